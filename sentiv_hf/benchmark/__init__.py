"""The SentiV benchmark: the low-resource protocol (tasks × models × nested label budgets × seeds), a frozen-encoder
feature cache, classical baselines, a resumable results store, reports, and validated leaderboard submissions.

Example:
    >>> from sentiv_hf.benchmark import BenchmarkConfig, BenchmarkRunner, write_report
    >>> config = BenchmarkConfig.from_preset("demo").with_overrides(budgets=[0.1, 1.0], out="demo-out")
    >>> records = BenchmarkRunner(config).run()  # doctest: +SKIP
    >>> print(write_report(records, config.out_dir))  # doctest: +SKIP
"""

from __future__ import annotations

from .cache import FeatureCache
from .config import DEFAULT_BUDGETS, TASKS, BenchmarkConfig
from .features import ENCODER_CALLS, FeatureProvider, ModelSpec, parse_model
from .leaderboard import build_submission, push_submission, validate_submission, write_model_cards, write_submissions
from .report import write_report
from .runner import BenchmarkRunner, RunSpec
from .store import ResultsStore

__all__ = [
    "DEFAULT_BUDGETS",
    "ENCODER_CALLS",
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
    "validate_submission",
    "write_model_cards",
    "write_report",
    "write_submissions",
]
