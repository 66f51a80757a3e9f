"""The SentiV benchmark: the low-resource protocol (tasks × models × nested label budgets × seeds), a frozen-encoder
feature cache, classical baselines, a resumable results store, reports, and validated leaderboard submissions.

Layer: benchmark, above ``training``. It may import ``training``, ``labels``, ``data``, ``models``, ``metrics`` and
``sentiv_hf.errors``, and orchestrates them rather than re-implementing them; never ``commands``.

Example:
    >>> from sentiv_hf.benchmark import BenchmarkConfig, BenchmarkRunner, write_report
    >>> config = BenchmarkConfig.from_preset("demo").with_overrides(budgets=[0.1, 1.0], output_dir="demo-out")
    >>> records = BenchmarkRunner(config).run()  # doctest: +SKIP
    >>> print(write_report(records, config.out_dir))  # doctest: +SKIP
"""

from __future__ import annotations

from .cache import FeatureCache
from .cards import write_model_cards
from .config import DEFAULT_BUDGETS, TASKS, BenchmarkConfig
from .features import ENCODER_CALLS, FeatureProvider
from .hub_push import push_submission
from .kinds import KINDS, ModelSpec, parse_model, register_kind
from .report import write_report
from .runner import BenchmarkRunner, RunSpec
from .store import ResultsStore
from .submission import build_submission, write_submissions
from .validation import validate_submission

__all__ = [
    "DEFAULT_BUDGETS",
    "ENCODER_CALLS",
    "KINDS",
    "TASKS",
    "BenchmarkConfig",
    "BenchmarkRunner",
    "FeatureCache",
    "FeatureProvider",
    "ModelSpec",
    "ResultsStore",
    "RunSpec",
    "build_submission",
    "parse_model",
    "push_submission",
    "register_kind",
    "validate_submission",
    "write_model_cards",
    "write_report",
    "write_submissions",
]
