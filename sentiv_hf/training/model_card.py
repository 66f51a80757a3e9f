"""Model cards for SentiV checkpoints: a card-data dataclass, the Trainer callback that fills it, and rendering.

`SentiVModelCardData` collects what a reader of the card needs (base model, dataset and config, label budget and
seed, loss and class weights, hyperparameters, training logs, metrics, framework versions, citations) and renders
it with Jinja2 through `huggingface_hub.ModelCard.from_template`. The YAML header is a `huggingface_hub.ModelCardData`,
so its ``model-index`` (built from `EvalResult`s) parses back with `ModelCard.load`. Gating fields
(``extra_gated_prompt``/``extra_gated_fields``) are added when ``gated`` is set (``"manual"`` or ``"auto"``).

The YAML names the base model(s) and dataset only by Hub id (the Hub checks these ids); a local folder is shown in
the body by its folder name, never by its absolute path. The intended-use and limitations sections state only what
the SentiV release says about itself (research use only, gated access, the label spaces).

The template is ``sentiv_hf/templates/model_card_template.md`` (shipped as package data);
``model_cards/model_card_template.md`` at the repository root is a symlink to it, so there is one copy. Pass
``template_path`` to render your own.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData
from transformers import TrainerCallback

from sentiv_hf.data.hub import DEFAULT_CITATION
from sentiv_hf.labels import SPEECH_LABELS, TEXT_LABELS
from sentiv_hf.naming import public_name

logger = logging.getLogger(__name__)

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "templates" / "model_card_template.md"

#: The citation the SentiV release asks for.
SENTIV_CITATION = DEFAULT_CITATION

GATED_MODES = ("manual", "auto")
DEFAULT_GATED_PROMPT = (
    "This model is built for SentiV, which is released for research use only: access is granted for research "
    "purposes, redistribution without permission is not allowed, and users must comply with the licences of the "
    "original datasets. Please tell us who you are and agree to these terms before downloading it."
)
DEFAULT_GATED_FIELDS: dict[str, str] = {
    "Name": "text",
    "Affiliation": "text",
    "Intended use": "text",
    "I will use this model for research only and will not redistribute it without permission": "checkbox",
}

# ``pipeline_tag`` drives the Hub's widget and inference API, which call the model with that task's input. The fusion
# model needs text *and* audio (the ``sentiv-emotion`` pipeline), and no Hub pipeline type takes both for
# classification, so it declares none rather than one whose widget would fail. ``index_task`` is the task type of the
# ``model-index`` results (the same as the benchmark's cards: audio-classification for speech + text).
TASK_INFO: dict[str, dict[str, str | None]] = {
    "text": {
        "title": "Text emotion classification",
        "pipeline_tag": "text-classification",
        "index_task": "text-classification",
    },
    "speech": {
        "title": "Speech emotion recognition",
        "pipeline_tag": "audio-classification",
        "index_task": "audio-classification",
    },
    "fusion": {
        "title": "Speech + text emotion recognition (late fusion)",
        "pipeline_tag": None,
        "index_task": "audio-classification",
    },
    "context": {
        "title": "Call-level emotion detection (context over segments)",
        "pipeline_tag": None,
        "index_task": "audio-classification",
    },
}

# Scalar metrics that go into the YAML model-index: name in our metrics dict -> (metric type, display name).
MODEL_INDEX_METRICS: dict[str, tuple[str, str]] = {
    "accuracy": ("accuracy", "Accuracy"),
    "macro_f1": ("f1", "Macro F1"),
    "weighted_f1": ("f1", "Weighted F1"),
    "micro_f1": ("f1", "Micro F1"),
    "uar": ("recall", "Unweighted Average Recall"),
}
# Trainer bookkeeping that is not a model-quality metric.
_SKIPPED_METRICS = ("runtime", "samples_per_second", "steps_per_second", "epoch", "model_preparation_time")
_SPLIT_OF_PREFIX = {"eval": "validation", "validation": "validation", "test": "test", "train": "train"}


def _framework_versions() -> dict[str, str]:
    versions = {"Python": platform.python_version()}
    for package, name in (
        ("sentiv-hf", "SentiV"),
        ("transformers", "Transformers"),
        ("torch", "PyTorch"),
        ("datasets", "Datasets"),
        ("accelerate", "Accelerate"),
        ("evaluate", "Evaluate"),
        ("huggingface_hub", "huggingface_hub"),
        ("tokenizers", "Tokenizers"),
    ):
        try:
            versions[name] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _looks_like_hub_id(value: str | None) -> bool:
    """A Hub id is ``name`` or ``org/name`` and not an existing local path (``tiny`` is built in code)."""
    if not value or value == "tiny" or Path(value).exists():
        return False
    parts = value.split("/")
    return len(parts) <= 2 and all(parts) and not value.startswith((".", "~"))


def _source(value: str) -> dict[str, Any]:
    """A base model or dataset for the template: its display name and whether it links to the Hub."""
    return {"name": public_name(value), "on_hub": _looks_like_hub_id(value), "local": value != "tiny"}


def split_metrics(metrics: dict[str, Any]) -> tuple[str, dict[str, float]]:
    """Split Trainer metrics (``eval_macro_f1``, ``test_accuracy``...) into a split name and scalar metrics.

    Example:
        >>> split_metrics({"eval_macro_f1": 0.5, "eval_runtime": 1.0, "epoch": 1.0})
        ('validation', {'macro_f1': 0.5})
    """
    prefix = None
    for key in metrics:
        head, sep, _ = key.partition("_")
        if sep and head in _SPLIT_OF_PREFIX:
            prefix = head
            break
    split = _SPLIT_OF_PREFIX.get(prefix or "eval", "validation")
    scalars: dict[str, float] = {}
    for key, value in metrics.items():
        name = key[len(prefix) + 1 :] if prefix and key.startswith(prefix + "_") else key
        if name in _SKIPPED_METRICS or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if isinstance(value, float) and math.isnan(value):
            continue
        scalars[name] = float(value)
    return split, scalars


@dataclass
class SentiVModelCardData:
    """Everything the SentiV model card shows; filled by the train command and `SentiVModelCardCallback`.

    Args:
        task: ``text``, ``speech`` or ``fusion``.
        model_name: the title of the card (defaults to the Hub id's name or "SentiV <task> model").
        model_id: the Hub repo id, when pushed.
        base_model: the pretrained id/folder it was fine-tuned from, or ``tiny``; fusion models list the text and the
            speech checkpoint (a list, or ``"TEXT + SPEECH"``).
        dataset_id / dataset_config / dataset_revision: where the training data came from.
        label_budget / seed / num_train_examples: the label budget the run trained on.
        labels: the label names in class-id order.
        loss: ``{"name": ..., "params": {...}}``; class_weighting / class_weight_beta / sampler: training options.
        class_weights / class_counts: per-class weights and training-split counts, in class-id order.
        metrics: ``{split: {metric: value}}``.
        gated: ``"manual"`` or ``"auto"`` (the approval mode) to add ``extra_gated_prompt`` and ``extra_gated_fields``
            to the YAML header; None for an open model. ``True`` means ``"manual"``.

    Example:
        >>> data = SentiVModelCardData(task="text", labels=["Anger", "Enjoyment"], dataset_id="org/sentiv")
        >>> data.add_metrics({"test_macro_f1": 0.5, "test_accuracy": 0.6})
        >>> card = data.to_model_card()
        >>> card.data.eval_results[0].metric_value
        0.6
    """

    task: str = "text"
    model_name: str | None = None
    model_id: str | None = None
    base_model: str | list[str] | None = None
    dataset_id: str | None = None
    dataset_config: str | None = None
    dataset_revision: str | None = None
    label_budget: float | None = None
    seed: int | None = None
    num_train_examples: int | None = None
    labels: list[str] = field(default_factory=list)
    loss: dict[str, Any] = field(default_factory=lambda: {"name": "ce", "params": {}})
    class_weighting: str = "none"
    class_weight_beta: float = 0.999
    sampler: str = "random"
    class_weights: list[float] | None = None
    class_counts: list[int] | None = None
    preprocessing: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    training_logs: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    license: str = "apache-2.0"
    language: str = "vi"
    tags: list[str] = field(default_factory=list)
    gated: str | None = None
    extra_gated_prompt: str | None = None
    extra_gated_fields: dict[str, str] | None = None
    citations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.gated is True:  # the SentiV release grants access manually
            self.gated = "manual"
        elif self.gated is False:
            self.gated = None
        if self.gated not in (None, *GATED_MODES):
            raise ValueError(f"gated must be None, 'manual' or 'auto' (the approval mode), not {self.gated!r}.")

    # ---- filling ----
    def add_metrics(self, metrics: dict[str, Any], split: str | None = None) -> None:
        """Record Trainer metrics (``eval_*``/``test_*`` keys); the split comes from the prefix unless given."""
        detected, scalars = split_metrics(metrics)
        if scalars:
            self.metrics[split or detected] = scalars

    def set_class_weights(self, weights: Any, counts: Any | None = None) -> None:
        self.class_weights = [float(w) for w in weights] if weights is not None else None
        self.class_counts = [int(c) for c in counts] if counts is not None else None

    # ---- rendering ----
    @property
    def pipeline_tag(self) -> str | None:
        return TASK_INFO.get(self.task, {}).get("pipeline_tag")

    def base_models(self) -> list[str]:
        """The base model(s) as a list: one for text and speech, the text and speech checkpoints for fusion."""
        if not self.base_model:
            return []
        if isinstance(self.base_model, str):
            return [part.strip() for part in self.base_model.split(" + ") if part.strip()]
        return [str(part) for part in self.base_model]

    def _title(self) -> str:
        if self.model_name:
            return self.model_name
        if self.model_id:
            return self.model_id.split("/")[-1]
        return f"SentiV {self.task} emotion model"

    def eval_results(self) -> list[EvalResult]:
        """One `EvalResult` per (split, scalar metric in `MODEL_INDEX_METRICS`), test split first."""
        results = []
        dataset_type = self.dataset_id if _looks_like_hub_id(self.dataset_id) else "sentiv"
        dataset_name = f"SentiV ({self.dataset_config})" if self.dataset_config else "SentiV"
        for split in sorted(self.metrics, key=lambda s: (s != "test", s)):
            for key, (metric_type, display) in MODEL_INDEX_METRICS.items():
                if key not in self.metrics[split]:
                    continue
                results.append(
                    EvalResult(
                        task_type=TASK_INFO.get(self.task, {}).get("index_task") or "text-classification",
                        task_name=TASK_INFO.get(self.task, {}).get("title"),
                        dataset_type=dataset_type,
                        dataset_name=dataset_name,
                        dataset_config=self.dataset_config,
                        dataset_split=split,
                        dataset_revision=self.dataset_revision,
                        metric_type=metric_type,
                        metric_name=f"{display} ({split})",
                        metric_value=round(self.metrics[split][key], 4),
                        metric_args={"average": key.split("_")[0]} if metric_type == "f1" else None,
                        dataset_args=self._protocol_args(),
                    )
                )
        return results

    def _protocol_args(self) -> dict[str, Any] | None:
        """The label budget and seed of the run, recorded with each result (the low-resource protocol's axes)."""
        args = {"label_budget": self.label_budget, "seed": self.seed}
        return {k: v for k, v in args.items() if v is not None} or None

    def to_card_data(self) -> ModelCardData:
        """The YAML header as `huggingface_hub.ModelCardData` (model-index included when there are metrics)."""
        eval_results = self.eval_results()
        extra: dict[str, Any] = {}
        if self.gated:
            extra["extra_gated_prompt"] = self.extra_gated_prompt or DEFAULT_GATED_PROMPT
            extra["extra_gated_fields"] = dict(self.extra_gated_fields or DEFAULT_GATED_FIELDS)
        hub_bases = [name for name in self.base_models() if _looks_like_hub_id(name)]
        return ModelCardData(
            language=self.language,
            license=self.license,
            library_name="transformers",
            pipeline_tag=self.pipeline_tag,
            tags=["sentiv", "emotion-recognition", self.task, *self.tags],
            # The Hub validates these ids, so local folders and the in-code tiny model stay in the card body only.
            base_model=(hub_bases[0] if len(hub_bases) == 1 else hub_bases) or None,
            datasets=[self.dataset_id] if _looks_like_hub_id(self.dataset_id) else None,
            metrics=sorted({metric_type for metric_type, _ in MODEL_INDEX_METRICS.values()}) if eval_results else None,
            model_name=self._title() if eval_results else None,  # only the model-index uses it
            eval_results=eval_results or None,
            **extra,
        )

    def _template_kwargs(self) -> dict[str, Any]:
        title = self._title()
        task_title = TASK_INFO.get(self.task, {}).get("title", self.task)
        repo = self.model_id or "path/to/checkpoint"
        if self.task == "text":
            snippet = (
                f'classifier = pipeline("text-classification", model="{repo}")\n'
                "# The model was trained on word-segmented text: `sentiv predict` and the sentiv-emotion pipeline\n"
                "# apply the same segmenter (config.word_segmenter) for you.\n"
                'classifier("Hôm_nay tôi rất vui")'
            )
        elif self.task == "speech":
            snippet = f'classifier = pipeline("audio-classification", model="{repo}")\nclassifier("sample.wav")'
        elif self.task == "context":
            snippet = (
                f'calls = pipeline("sentiv-call", model="{repo}")\n'
                "# per-segment scores and a summary of the whole recording (`sentiv predict-call` does the same)\n"
                'calls("call.wav")'
            )
        else:
            snippet = (
                f'classifier = pipeline("sentiv-emotion", model="{repo}")\n'
                'classifier({"text": "Hôm nay tôi rất vui", "audio": "sample.wav"})'
            )
        class_weights = []
        if self.class_weights:
            counts = self.class_counts or [None] * len(self.class_weights)
            names = self.labels or [str(i) for i in range(len(self.class_weights))]
            class_weights = [
                {"label": name, "weight": weight, "count": "-" if count is None else count}
                for name, weight, count in zip(names, self.class_weights, counts)
            ]
        tables = []
        for split in sorted(self.metrics, key=lambda s: (s != "test", s)):
            rows = [(name, f"{value:.4f}") for name, value in sorted(self.metrics[split].items())]
            tables.append({"split": split, "rows": rows})
        log_metric_names = sorted({name for row in self.training_logs for name in row.get("metrics", {})})
        logs = [
            {
                "step": row.get("step", "-"),
                "epoch": f"{row['epoch']:.2f}" if isinstance(row.get("epoch"), float) else row.get("epoch", "-"),
                "loss": f"{row['loss']:.4f}" if isinstance(row.get("loss"), float) else "-",
                "metrics": {k: f"{v:.4f}" for k, v in row.get("metrics", {}).items()},
            }
            for row in self.training_logs
        ]
        citations = [SENTIV_CITATION, *self.citations]
        bases = [_source(name) for name in self.base_models()]
        base_names = " + ".join(f"`{base['name']}`" for base in bases)
        return {
            "model_name": title,
            "model_description": (
                f"A {task_title.lower()} model for Vietnamese, trained with sentiv-hf"
                + (f" from {base_names}" if bases else "")
                + "."
            ),
            "task": self.task,
            "task_title": task_title,
            "base_models": bases,
            # Single-value forms, for custom templates: display names only, never a local absolute path.
            "base_model": " + ".join(base["name"] for base in bases) or None,
            "base_model_on_hub": bool(bases) and all(base["on_hub"] for base in bases),
            "dataset": _source(self.dataset_id) if self.dataset_id else None,
            "dataset_id": public_name(self.dataset_id) if self.dataset_id else None,
            "dataset_on_hub": _looks_like_hub_id(self.dataset_id),
            "dataset_config": self.dataset_config,
            "gated": self.gated,
            "text_labels": list(TEXT_LABELS),
            "speech_labels": list(SPEECH_LABELS),
            # The 6-label speech space: its Anger also stands for the Disgust examples.
            "merges_disgust": set(self.labels) == set(SPEECH_LABELS),
            "label_budget": self.label_budget,
            "seed": self.seed,
            "num_train_examples": self.num_train_examples,
            "labels": list(self.labels),
            "preprocessing": self.preprocessing,
            "usage_snippet": snippet,
            "loss": {"name": self.loss.get("name", "ce"), "params": self.loss.get("params") or {}},
            "class_weighting": self.class_weighting,
            "class_weight_beta": self.class_weight_beta,
            "sampler": self.sampler,
            "class_weights": class_weights,
            "hyperparameters": self.hyperparameters,
            "training_logs": logs,
            "training_log_metrics": log_metric_names,
            "metrics_tables": tables,
            "framework_versions": _framework_versions(),
            "citations": list(dict.fromkeys(c.strip() for c in citations if c and c.strip())),
        }

    def to_model_card(self, template_path: str | Path | None = None) -> ModelCard:
        """Render the card (YAML header + Markdown body) from the Jinja2 template.

        Example:
            >>> card = SentiVModelCardData(task="speech").to_model_card()
            >>> card.data.pipeline_tag
            'audio-classification'
        """
        path = Path(template_path) if template_path is not None else TEMPLATE_PATH
        if not path.is_file():
            raise FileNotFoundError(f"Model card template not found: {path}. Pass template_path=<a .md file>.")
        return ModelCard.from_template(self.to_card_data(), template_path=str(path), **self._template_kwargs())

    def save(self, path: str | Path, template_path: str | Path | None = None) -> Path:
        """Render and write the card to ``path`` (a README.md file or a folder); returns the file path."""
        path = Path(path)
        if path.is_dir() or not path.suffix:
            path = path / "README.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(self.to_model_card(template_path)), encoding="utf-8")
        return path


_HYPERPARAMETERS = (
    "learning_rate",
    "per_device_train_batch_size",
    "per_device_eval_batch_size",
    "gradient_accumulation_steps",
    "num_train_epochs",
    "max_steps",
    "warmup_steps",
    "lr_scheduler_type",
    "weight_decay",
    "optim",
    "seed",
    "bf16",
    "fp16",
    "train_sampling_strategy",
)


class SentiVModelCardCallback(TrainerCallback):
    """Fills a `SentiVModelCardData` while the Trainer runs: hyperparameters and class weights at the start,
    the training-loss log, and every evaluation's metrics.

    Example:
        >>> card_data = SentiVModelCardData(task="text")
        >>> callback = SentiVModelCardCallback(card_data)  # then Trainer(..., callbacks=[callback])
    """

    def __init__(self, card_data: SentiVModelCardData) -> None:
        self.card_data = card_data

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        data = self.card_data
        for name in _HYPERPARAMETERS:
            value = getattr(args, name, None)
            if value is None or (name == "max_steps" and value <= 0):
                continue
            data.hyperparameters[name] = getattr(value, "value", value)
        data.hyperparameters["world_size"] = args.world_size
        data.hyperparameters["total_train_batch_size"] = (
            args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size
        )
        if hasattr(args, "sentiv_loss_config"):  # SentiVTrainingArguments: loss, class weighting and sampler
            data.hyperparameters.update(args.sentiv_loss_config())
        config = getattr(model, "config", None)
        if config is not None and not data.labels and getattr(config, "id2label", None):
            data.labels = [config.id2label[i] for i in sorted(config.id2label)]

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self._row(state)["loss"] = float(logs["loss"])

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if not metrics:
            return
        split, scalars = split_metrics(metrics)
        self.card_data.add_metrics(metrics, split)
        if split == "validation":  # test-set results go to the metrics table only, not the training log
            row = self._row(state)
            for name in ("loss", "macro_f1", "accuracy"):
                if name in scalars:
                    row.setdefault("metrics", {})[f"{split} {name}"] = scalars[name]

    def _row(self, state) -> dict[str, Any]:
        logs = self.card_data.training_logs
        if not logs or logs[-1].get("step") != state.global_step:
            logs.append({"step": state.global_step, "epoch": float(state.epoch or 0.0), "metrics": {}})
        return logs[-1]


__all__ = [
    "DEFAULT_GATED_FIELDS",
    "DEFAULT_GATED_PROMPT",
    "SENTIV_CITATION",
    "TEMPLATE_PATH",
    "SentiVModelCardCallback",
    "SentiVModelCardData",
    "split_metrics",
]
