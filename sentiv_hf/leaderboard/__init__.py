"""The SentiV leaderboard: validated submissions → a results dataset → a Gradio board (Space).

Layer: leaderboard, above ``benchmark`` and below ``commands``. It may import ``benchmark`` (the validator, the
protocol table, the report's summaries), ``metrics``, ``data`` and ``sentiv_hf.errors``; only ``commands`` imports it.
Gradio is imported only by `sentiv_hf.leaderboard.app` (the optional ``leaderboard`` extra) and selenium only by
`sentiv_hf.leaderboard.browser` (development), so ``sentiv --help`` stays light.

Modules: `results` (``sentiv leaderboard build``), `significance` (paired bootstrap, seed intervals), `board` (the
tables and plots the app shows, without gradio), `app` (the Gradio Blocks), `space` (the Space folder and its
push), `browser` (headless Chromium for the end-to-end test and ``make leaderboard-screens``).

Example:
    >>> from sentiv_hf.leaderboard.results import build_results
    >>> print(build_results(["sentiv-demo-output/submissions/tiny.json"], "lb-data"))  # doctest: +SKIP
"""

from __future__ import annotations
