"""`BenchmarkConfig`: what one `sentiv benchmark` invocation runs, loadable from YAML presets or files.

Presets live next to this module as ``presets/<name>.yaml`` (``demo``: offline, tiny models on the bundled demo
corpus; ``sentiv``: PhoBERT and HuBERT-large on the SentiV dataset, needs the Hub and a GPU).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

PRESETS_DIR = Path(__file__).resolve().parent / "presets"
DEFAULT_BUDGETS: tuple[float, ...] = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0)
TASKS: tuple[str, ...] = (
    "text",
    "speech",
    "multimodal",
    "cross_modal",
    "cross_dataset",
    "hotline_binary",
    "hotline_multilabel",
)
ENCODER_MODES: tuple[str, ...] = ("frozen", "finetune", "lora")
FUSION_STRATEGIES: tuple[str, ...] = ("average", "concat_mlp", "uncertainty")
CONFIDENCES: tuple[str, ...] = ("entropy", "max_prob")
#: How the hotline tasks train (`sentiv_hf.benchmark.tasks.run_hotline`): each segment alone, with the segments of
#: its call as context (a ``calls`` config), or each segment alone on a class-balanced downsample.
HOTLINE_VARIANTS: tuple[str, ...] = ("segment", "context", "balanced")
#: Dataset config each task reads when ``configs`` does not say otherwise.
DEFAULT_TASK_CONFIGS: dict[str, str] = {
    "text": "text",
    "speech": "speech",
    "multimodal": "multimodal",
    "cross_modal": "multimodal",
    "hotline_binary": "calls",  # `sentiv data build-calls`; pre-cut clips: `configs: {hotline_binary: speech}`
    "hotline_multilabel": "calls",
}


#: Fields that say how runs execute, not what they compute: not in the protocol hash nor in results lines.
EXECUTION_FIELDS = ("workers",)


@dataclass
class BenchmarkConfig:
    """One benchmark: tasks × models × label budgets × seeds.

    Args:
        name: a label for the output (``demo``, ``sentiv`` or your own).
        dataset: a dataset folder (Hub-ready layout) or Hub id; ``None`` means the bundled demo corpus.
        dataset_revision: Hub revision of ``dataset``.
        tasks: task ids, any of `TASKS`.
        models: ``tiny``, ``baseline:tfidf-logreg``, ``baseline:mfcc-logreg``, or checkpoint ids/folders written as
            ``text:<id>`` / ``speech:<id>`` (a bare id is inspected to find its modality).
        budgets: label budgets as fractions of the train split, nested per seed.
        seeds: the seeds (an int ``n`` means ``0..n-1``).
        epochs: epochs of every trained head (frozen mode) or model (fine-tune mode).
        encoder: ``frozen`` (cached features + heads), ``finetune`` or ``lora`` (`SentiVTrainer` per run).
        output_dir: output folder (results.jsonl, tables, plots, submission), one per dataset.
        cache_dir: feature cache folder; default ``OUTPUT_DIR/cache``.
        batch_size, learning_rate: head / model training.
        max_seconds: audio crop length in seconds (preprocessing, part of the cache fingerprint): one number, or per
            dataset config ``{calls: 45, default: 8}``. A config whose card records ``segments: {<config>:
            {max_seconds: ...}}`` (``sentiv data build-calls``) is cropped there unless this mapping names it.
        text_max_length: tokenizer truncation length.
        fusion: fusion strategies reported side by side on ``multimodal``.
        confidence: the per-sample confidence of the ``uncertainty`` fusion, ``entropy`` or ``max_prob``.
        configs: dataset config per task, overriding `DEFAULT_TASK_CONFIGS`.
        cross_dataset: ``{"train": {"dataset": ..., "config": ...}, "test": {"dataset": ..., "config": ...}}``.
        hotline_folds: folds of the grouped (speaker-disjoint) cross-validation of the hotline tasks.
        model_revisions: ``{model id: revision}`` for checkpoint ids.
        word_segmenter: ``pyvi`` to word-segment Vietnamese text before a PhoBERT tokenizer; ``None`` otherwise.
        hotline_variants: how the hotline tasks train, each a row of the tables: ``segment`` (each segment alone),
            ``context`` (a `SentiVContextModel` over the segments of a call; needs a ``calls`` config with
            ``call_id`` and ``segment_index``, and a frozen neural model) and ``balanced`` (``segment`` on the budget
            downsampled to its rarest class).
        workers: worker processes for the runs (`BenchmarkRunner`); the results are the same bit for bit whatever
            the count, so it is neither part of the protocol hash nor recorded in results lines.

    Example:
        >>> cfg = BenchmarkConfig.from_preset("demo").with_overrides(budgets=[0.1, 1.0], seeds=2)
        >>> cfg.seeds
        [0, 1]
    """

    name: str = "custom"
    dataset: str | None = None
    dataset_revision: str | None = None
    tasks: list[str] = field(default_factory=lambda: ["text", "speech", "multimodal"])
    models: list[str] = field(default_factory=lambda: ["tiny", "baseline:tfidf-logreg", "baseline:mfcc-logreg"])
    budgets: list[float] = field(default_factory=lambda: list(DEFAULT_BUDGETS))
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    epochs: int = 30
    encoder: str = "frozen"
    output_dir: str = "sentiv-benchmark-output"
    cache_dir: str | None = None
    batch_size: int = 32
    learning_rate: float = 3e-3
    max_seconds: float | dict[str, float] = 8.0
    text_max_length: int = 128
    fusion: list[str] = field(default_factory=lambda: list(FUSION_STRATEGIES))
    confidence: str = "entropy"
    configs: dict[str, str] = field(default_factory=dict)
    cross_dataset: dict[str, Any] | None = None
    hotline_folds: int = 5
    model_revisions: dict[str, str] = field(default_factory=dict)
    word_segmenter: str | None = None
    hotline_variants: list[str] = field(default_factory=lambda: ["segment", "context"])
    workers: int = 1

    def __post_init__(self) -> None:
        self.tasks = _as_list(self.tasks, "tasks")
        self.models = _as_list(self.models, "models")
        self.fusion = _as_list(self.fusion, "fusion")
        self.hotline_variants = _as_list(self.hotline_variants, "hotline_variants")
        self.budgets = [float(b) for b in _as_list(self.budgets, "budgets")]
        if isinstance(self.seeds, int | str) and str(self.seeds).strip().isdigit() and "," not in str(self.seeds):
            self.seeds = list(range(int(self.seeds)))
        else:
            self.seeds = [int(s) for s in _as_list(self.seeds, "seeds")]
        self.validate()

    def validate(self) -> None:
        """Raise `ValueError` naming the field and the allowed values when a value is out of range."""
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown:
            raise ValueError(f"Unknown task(s) {unknown} in 'tasks'; choose from {list(TASKS)}.")
        if not self.tasks:
            raise ValueError("'tasks' is empty; name at least one of " + ", ".join(TASKS))
        if not self.models:
            raise ValueError("'models' is empty; for example: tiny, baseline:tfidf-logreg, baseline:mfcc-logreg.")
        bad = [b for b in self.budgets if not 0.0 < b <= 1.0]
        if bad or not self.budgets:
            raise ValueError(f"'budgets' must be fractions in (0, 1], e.g. 0.01,0.1,1.0; got {self.budgets}.")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"'seeds' must be distinct integers (or a count); got {self.seeds}.")
        if self.encoder not in ENCODER_MODES:
            raise ValueError(f"'encoder' must be one of {list(ENCODER_MODES)}; got {self.encoder!r}.")
        bad_fusion = [f for f in self.fusion if f not in FUSION_STRATEGIES]
        if bad_fusion:
            raise ValueError(f"Unknown fusion strategies {bad_fusion}; choose from {list(FUSION_STRATEGIES)}.")
        bad_variants = [v for v in self.hotline_variants if v not in HOTLINE_VARIANTS]
        if bad_variants or not self.hotline_variants:
            raise ValueError(
                f"'hotline_variants' must name some of {list(HOTLINE_VARIANTS)}; got {self.hotline_variants}."
            )
        if self.confidence not in CONFIDENCES:
            raise ValueError(f"'confidence' must be one of {list(CONFIDENCES)}; got {self.confidence!r}.")
        if self.epochs < 1:
            raise ValueError(f"'epochs' must be >= 1; got {self.epochs}.")
        crops = self.max_seconds.values() if isinstance(self.max_seconds, dict) else [self.max_seconds]
        if not all(isinstance(v, int | float) and v > 0 for v in crops):
            raise ValueError(
                f"'max_seconds' must be seconds > 0, or a mapping of config names (and 'default') to seconds; "
                f"got {self.max_seconds!r}."
            )
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"'workers' must be an integer >= 1 (worker processes); got {self.workers!r}.")
        if "cross_dataset" in self.tasks:
            cd = self.cross_dataset or {}
            if not all(isinstance(cd.get(k), dict) and cd[k].get("config") for k in ("train", "test")):
                raise ValueError(
                    "Task 'cross_dataset' needs 'cross_dataset: {train: {dataset: DIR, config: NAME}, "
                    "test: {dataset: DIR, config: NAME}}' in the config file."
                )
        self.budgets = sorted(self.budgets)

    # --- construction -------------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, values: dict[str, Any], *, source: str = "config") -> BenchmarkConfig:
        """Build a config from a mapping, rejecting unknown keys with the list of known ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown field(s) {unknown} in {source}; known fields are {sorted(known)}.")
        return cls(**values)

    @classmethod
    def from_yaml(cls, path: str | Path) -> BenchmarkConfig:
        """Load a YAML config file (same fields as the dataclass).

        Example:
            >>> cfg = BenchmarkConfig.from_yaml("my_benchmark.yaml")  # doctest: +SKIP
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Benchmark config file {path} does not exist.")
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(values, dict):
            raise ValueError(f"{path} must hold a YAML mapping of config fields, got {type(values).__name__}.")
        return cls.from_dict(values, source=str(path))

    @classmethod
    def from_preset(cls, name: str) -> BenchmarkConfig:
        """Load a bundled preset (``demo`` or ``sentiv``)."""
        path = PRESETS_DIR / f"{name}.yaml"
        if not path.is_file():
            available = sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))
            raise ValueError(f"Unknown preset {name!r}; available presets: {available}.")
        return cls.from_yaml(path)

    def with_overrides(self, **overrides: Any) -> BenchmarkConfig:
        """Return a copy with the non-``None`` fields of ``overrides`` replaced (command-line flags)."""
        values = self.to_dict()
        values.update({k: v for k, v in overrides.items() if v is not None})
        return type(self).from_dict(values, source="overrides")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def recorded(self) -> dict[str, Any]:
        """The fields a results line records: every field except how the runs were executed (``workers``), which
        changes no result."""
        return {k: v for k, v in self.to_dict().items() if k not in EXECUTION_FIELDS}

    # --- derived values -----------------------------------------------------------------------------------------
    @property
    def out_dir(self) -> Path:
        return Path(self.output_dir)

    @property
    def cache_path(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else self.out_dir / "cache"

    @property
    def default_max_seconds(self) -> float:
        """The audio crop of configs that neither `max_seconds` nor their card name."""
        if isinstance(self.max_seconds, dict):
            return float(self.max_seconds.get("default", 8.0))
        return float(self.max_seconds)

    def config_max_seconds(self, config_name: str, recorded: float | None = None) -> float:
        """The audio crop of ``config_name``: its `max_seconds` entry, else the ``recorded`` value of its card (call
        segments longer than the speech default), else `default_max_seconds`.

        Example:
            >>> BenchmarkConfig(max_seconds={"calls": 45, "default": 8}).config_max_seconds("calls")
            45.0
            >>> BenchmarkConfig(max_seconds=4.0).config_max_seconds("calls", recorded=6.0)
            6.0
        """
        if isinstance(self.max_seconds, dict) and config_name in self.max_seconds:
            return float(self.max_seconds[config_name])
        return float(recorded) if recorded else self.default_max_seconds

    def task_config(self, task: str) -> str:
        """Dataset config that ``task`` reads."""
        return self.configs.get(task, DEFAULT_TASK_CONFIGS.get(task, task))

    def protocol_hash(self) -> str:
        """Hash of the fields that change a run's result; part of every run key, so changing them re-runs."""
        keys = ("dataset", "dataset_revision", "epochs", "encoder", "batch_size", "learning_rate", "max_seconds")
        keys += ("text_max_length", "configs", "cross_dataset", "hotline_folds", "model_revisions", "word_segmenter")
        keys += ("confidence",)
        payload = json.dumps({k: getattr(self, k) for k in keys}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _as_list(value: Any, name: str) -> list:
    """Accept a list or a comma-separated string (command-line flags)."""
    if value is None:
        raise ValueError(f"'{name}' must not be empty.")
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]
