"""The Gradio board: one tab per task, a Submit tab that runs the validator, an About tab.

This is the only module that imports gradio (``pip install sentiv-hf[leaderboard]``). ``sentiv leaderboard serve``
launches `build_app`; the Space written by ``sentiv leaderboard space`` calls the same function from its ``app.py``.

Example:
    >>> demo = build_app("lb-data")  # doctest: +SKIP
    >>> demo.launch(server_name="127.0.0.1", server_port=7860)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline by default, like the rest of the package

import gradio as gr  # noqa: E402

from .board import NOT_SIGNIFICANT, Board, budget_text  # noqa: E402

CITATION = """@article{sentiv2026,
  title  = {SentiV: A Benchmark for Low-Resource Vietnamese Speech–Text Emotion Understanding},
  author = {Anonymous},
  year   = {2026}
}"""


def _about(board: Board) -> str:
    info = board.info
    budgets = ", ".join(budget_text(b) for b in info["budgets"])
    headlines = ", ".join(f"`{t}`: {board.headline(t)}" for t in board.tasks)
    return f"""## Protocol

* **Label budgets:** {budgets} of the train split (the SentiV protocol: 1, 5, 10, 25, 50 and 100 %). Budgets are
  stratified, seeded and nested; only train is subsampled.
* **Seeds:** {", ".join(map(str, info["seeds"]))}; every cell is the mean ± std over seeds, with the 95 % t-interval
  of the mean over seeds.
* **Fixed test set:** the test split of the leaderboard's dataset (`{info["dataset"]}`) is never subsampled. Gold
  labels come from this dataset only; every metric is recomputed from the submitted predictions.
* **Metrics:** accuracy, macro-, weighted- and per-class F1 (SentiV's headline is Macro-F1); ranked by {headlines}.
* **Significance:** {info["method"]}, {info["n_resamples"]} resamples, seed {info["seed"]}: the difference in the
  headline metric between a row and the row above it, with its 95 % interval and p-value. {NOT_SIGNIFICANT} marks a
  row whose gap to the row above is not significant (p ≥ {info["alpha"]}).

## Submitting

Run `sentiv benchmark` (it writes `submissions/<model>.json`), check the file with
`sentiv submit FILE --validate --dataset DATASET`, then open a pull request with `sentiv submit FILE --push
--dataset DATASET --repo-id ORG/leaderboard`, or try it in the Submit tab.

## How to cite

```bibtex
{CITATION}
```
"""


def _validate(path, dataset: str, task_configs: Mapping[str, str] | None) -> str:
    """The Submit tab: each problem of an uploaded submission, or the rows it would add."""
    from sentiv_hf.benchmark.validation import validate_submission
    from sentiv_hf.errors import UserError

    if not path:
        return "Upload a `submission.json` to check it."
    try:
        report = validate_submission(Path(path), dataset, task_configs=task_configs)
    except UserError as error:
        return f"### Not a submission\n\n* {error}"
    if not report.ok:
        lines = [f"### Refused: {len(report.errors)} problem(s)", ""]
        lines += [f"* {e}" for e in report.errors] + [f"* warning: {w}" for w in report.warnings]
        return "\n".join(lines)
    lines = [f"### Valid: it would add {len(report.recomputed)} row(s)", ""]
    lines += ["| task | model | budget | seed | headline |", "|---|---|---:|---:|---:|"]
    for r in report.recomputed:
        metric = r["headline_metric"]
        lines.append(
            f"| {r['task']} | {r['name']} | {budget_text(r['budget'])} | {r['seed']} | "
            f"{metric} {r['metrics'][metric]:.4f} |"
        )
    return "\n".join(lines)


def _task_tab(board: Board, task: str) -> None:
    budgets = board.budgets(task)
    labels = {budget_text(b): b for b in budgets}
    first = budgets[-1]
    models = board.models(task, first)
    scored = (
        "over the caller-grouped cross-validation folds (every segment predicted once)"
        if task.startswith("hotline_")
        else "on the fixed test set"
    )
    gr.Markdown(
        f"Ranked by **{board.headline(task)}** {scored}. {NOT_SIGNIFICANT} after a rank: the gap to "
        "the row above is not significant (paired bootstrap, p ≥ 0.05)."
    )
    budget = gr.Radio(list(labels), value=budget_text(first), label="Label budget", elem_id=f"budget-{task}")
    ranking = gr.Dataframe(board.ranking(task, first), interactive=False, wrap=True, elem_id=f"ranking-{task}")
    gr.Plot(board.curve(task), label=f"{board.headline(task)} vs label budget", elem_id=f"curve-{task}")
    with gr.Row():
        row = gr.Dropdown(models, value=models[0] if models else None, label="Row", elem_id=f"row-{task}")
    links = gr.Markdown(board.links(task, first, models[0]) if models else "", elem_id=f"links-{task}")
    with gr.Row():
        per_class = gr.Dataframe(board.per_class(task, first, models[0]), label="Per-class F1", interactive=False)
        confusion = gr.Dataframe(
            board.confusion(task, first, models[0]), label="Confusion matrix (summed over seeds)", interactive=False
        )

    def on_budget(text):
        b = labels[text]
        names = board.models(task, b)
        pick = names[0] if names else None
        return (
            board.ranking(task, b),
            gr.Dropdown(choices=names, value=pick),
            board.links(task, b, pick),
            board.per_class(task, b, pick),
            board.confusion(task, b, pick),
        )

    def on_row(text, model):
        b = labels[text]
        return board.links(task, b, model), board.per_class(task, b, model), board.confusion(task, b, model)

    budget.change(on_budget, budget, [ranking, row, links, per_class, confusion])
    row.change(on_row, [budget, row], [links, per_class, confusion])


def build_app(
    data_dir: str | Path, *, dataset: str | Path | None = None, task_configs: Mapping[str, str] | None = None
) -> gr.Blocks:
    """The board over a results dataset folder.

    Args:
        data_dir: the folder ``sentiv leaderboard build`` wrote.
        dataset: the leaderboard's dataset for the Submit tab's validator (default: the bundled demo corpus).
        task_configs: the maintainer's ``{task: config}`` overrides, as given to ``build``.

    Example:
        >>> build_app("lb-data").launch()  # doctest: +SKIP
    """
    from sentiv_hf.data import demo_path

    board = Board.load(data_dir)
    dataset = str(dataset or demo_path())
    with gr.Blocks(title="SentiV leaderboard") as demo:
        gr.Markdown(
            f"# SentiV leaderboard\n\nLow-resource Vietnamese emotion recognition: {len(board.tasks)} task(s), "
            f"{board.info['n_accepted']} validated submission(s), gold labels from `{board.info['dataset']}`."
        )
        with gr.Tabs():
            for task in board.tasks:
                with gr.Tab(task, id=f"tab-{task}"):
                    _task_tab(board, task)
            with gr.Tab("Submit", id="tab-submit"):
                gr.Markdown(
                    "Upload a `submission.json`: the leaderboard's validator (the one behind `sentiv submit "
                    "--validate`) checks it against the gold labels and lists each problem, or the rows it would add."
                )
                upload = gr.File(label="submission.json", file_types=[".json"], type="filepath", elem_id="submit-file")
                report = gr.Markdown("Upload a `submission.json` to check it.", elem_id="submit-report")
                upload.change(lambda p: _validate(p, dataset, task_configs), upload, report)
            with gr.Tab("About", id="tab-about"):
                gr.Markdown(_about(board), elem_id="about")
    return demo


def serve(
    data_dir: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    dataset: str | Path | None = None,
    task_configs: Mapping[str, str] | None = None,
) -> None:
    """Launch the board and block until interrupted (``sentiv leaderboard serve``)."""
    build_app(data_dir, dataset=dataset, task_configs=task_configs).launch(
        server_name=host, server_port=port, show_error=True, share=False
    )


__all__ = ["build_app", "serve"]
