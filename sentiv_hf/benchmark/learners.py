"""Fit one model on a label budget and return a `Fitted`: logits for any split, how it was selected, and (for the
neural kinds) the trained model itself, ready to save as a checkpoint.

* ``frozen``: the shipped model's own head (`sentiv_hf.training.frozen`) trained with `SentiVTrainer` on cached
  encoder features;
* ``finetune`` / ``lora``: the model built by the same builder, trained end to end with `SentiVTrainer` (LoRA through
  `sentiv_hf.models.add_lora`), on the same preprocessing as ``sentiv train``;
* baselines: scikit-learn pipelines, ``C`` picked on validation with the metrics module.

Every learner follows the SentiV recipe of its modality (`sentiv_hf.training.recipes`) and selects on validation
with `sentiv_hf.metrics.metrics_from_logits`, the function the reports use too. All predictors return *logits*:
``softmax`` (single-label) or ``sigmoid`` (multi-label) of them are the class probabilities.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sentiv_hf.data.loading import Split
from sentiv_hf.metrics import metrics_from_logits

from .kinds import ModelSpec, Preprocessing

logger = logging.getLogger(__name__)

#: LoRA target modules per modality (RoBERTa/PhoBERT attention; HuBERT/wav2vec2/WavLM/Whisper attention).
LORA_TARGETS = {"text": ("query", "value"), "speech": ("q_proj", "v_proj")}
PREDICT_BATCH = 1024


@dataclass
class TrainSettings:
    """How the neural learners train (from `BenchmarkConfig`)."""

    encoder: str = "frozen"
    epochs: int = 30
    learning_rate: float = 3e-3
    batch_size: int = 32
    max_seconds: float = 8.0
    text_max_length: int = 128
    word_segmenter: str | None = None
    work_dir: Path = Path(".")
    patience: int | None = 10

    @property
    def preprocessing(self) -> Preprocessing:
        return Preprocessing(self.word_segmenter, self.text_max_length, self.max_seconds)


@dataclass
class FitRequest:
    """One fit: train ``model`` on rows ``idx`` of ``train``, select on rows ``val_idx`` of ``val``.

    Attributes:
        metric: the validation metric that picks the epoch or ``C`` (from the metrics module).
        multi_label: multi-hot labels (the hotline fine-grained task).
    """

    model: ModelSpec
    modality: str
    train: Split
    idx: np.ndarray
    val: Split
    val_idx: np.ndarray
    seed: int
    metric: str = "macro_f1"
    multi_label: bool = False

    @property
    def label_names(self) -> list[str]:
        return list(self.train.label_names)

    def training_arguments(self, settings: TrainSettings, **extra):
        """`SentiVTrainingArguments` of this fit: the SentiV recipe of its modality, evaluation every epoch, and
        nothing written to disk (`KeepBestState` keeps the best epoch in memory); ``extra`` fields win."""
        from sentiv_hf.training.recipes import recipe
        from sentiv_hf.training.training_args import SentiVTrainingArguments

        settings.work_dir.mkdir(parents=True, exist_ok=True)
        fields = {
            "num_train_epochs": settings.epochs,
            "learning_rate": settings.learning_rate,
            "per_device_train_batch_size": settings.batch_size,
            "eval_strategy": "epoch",
            "save_strategy": "no",
            "metric_for_best_model": self.metric,
            "greater_is_better": True,
            "seed": self.seed,
            "report_to": [],
            "logging_strategy": "no",
            "disable_tqdm": True,
            "use_cpu": not torch.cuda.is_available(),
            "dataloader_pin_memory": torch.cuda.is_available(),
            **recipe(self.modality, self.multi_label),
            **extra,
        }
        return SentiVTrainingArguments(
            output_dir=tempfile.mkdtemp(prefix="run-", dir=str(settings.work_dir)), **fields
        )


@dataclass
class Fitted:
    """A model fitted on one budget.

    Attributes:
        predict: ``predict(split) -> logits (N, num_labels)``.
        selection: how it was selected on validation (best epoch or ``C``, validation score).
        model / processor: the trained transformers model and its tokenizer or feature extractor (``None`` for
            baselines); `sentiv_hf.benchmark.checkpoints.save_checkpoint` writes them as a checkpoint folder.
        card_data: the Trainer's `SentiVModelCardData` (loss, class weights, hyperparameters).
    """

    predict: Callable[[Split], np.ndarray]
    selection: dict = field(default_factory=dict)
    model: Any = None
    processor: Any = None
    card_data: Any = None


def selection_score(
    metric: str, label_names: list[str], multi_label: bool
) -> Callable[[np.ndarray, np.ndarray], float]:
    """``score(gold, logits)``: the validation ``metric`` from the metrics module (the one the reports use)."""

    def score(gold: np.ndarray, logits: np.ndarray) -> float:
        return float(metrics_from_logits(logits, gold, label_names=label_names, multi_label=multi_label)[metric])

    return score


def to_logits(probs: np.ndarray, multi_label: bool) -> np.ndarray:
    """Logits whose softmax (sigmoid when ``multi_label``) gives ``probs`` back (clipped away from 0 and 1)."""
    p = np.clip(probs, 1e-7, 1 - 1e-7) if multi_label else np.clip(probs, 1e-9, 1.0)
    return np.log(p / (1 - p)) if multi_label else np.log(p)


def _quiet(trainer) -> None:
    # PrinterCallback prints every eval dict (disable_tqdm swaps it in); the benchmark prints one line per run.
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)


# --- frozen encoder: the shipped head on cached features --------------------------------------------------------


def fit_frozen(
    request: FitRequest, settings: TrainSettings, base: tuple[Any, Any], features: Callable[[Split], np.ndarray]
) -> Fitted:
    """Train the head of a copy of ``base``'s model on cached features of the request's rows.

    Args:
        base: ``(model, processor)`` whose frozen encoder produced the features (never modified).
        features: ``features(split) -> array`` (the feature cache).
    """
    import shutil

    from sentiv_hf.training.frozen import copy_sharing_encoder, predict_head, reset_head, train_frozen_head

    r = request
    model = copy_sharing_encoder(base[0])
    reset_head(model, r.seed)
    args = r.training_arguments(settings, per_device_eval_batch_size=PREDICT_BATCH, remove_unused_columns=False)
    trainer, selection = train_frozen_head(
        model,
        features(r.train)[r.idx],
        r.train.labels[r.idx],
        features(r.val)[r.val_idx],
        r.val.labels[r.val_idx],
        args=args,
        label_names=r.label_names,
        multi_label=r.multi_label,
        metric=r.metric,
        patience=settings.patience,
        quiet=True,
    )
    shutil.rmtree(args.output_dir, ignore_errors=True)

    def predict(split: Split) -> np.ndarray:
        return predict_head(model, features(split))

    return Fitted(predict, {**selection, "mode": "frozen"}, model, base[1], trainer.card_data)


# --- context over a call's segments (hotline ``context`` variant) -----------------------------------------------


def fit_context(
    request: FitRequest,
    settings: TrainSettings,
    base: tuple[Any, Any],
    features: Callable[[Split], np.ndarray],
    context_rows: np.ndarray,
) -> Fitted:
    """Train a `SentiVContextModel` over the cached segment features of whole calls (``train`` is the pooled calls
    config: ``call_id`` and ``segment_index`` columns).

    The loss counts the request's budget rows ``idx`` only; the other rows of ``context_rows`` (the rest of the
    training calls) are unlabelled context, seen but not scored. Validation scores every row of ``val_idx`` with
    its call around it. The features are those of the ``frozen`` head (``base``'s segment model, `encode_layers`),
    so the context model's ``from_segment_model(base)`` computes them from raw audio.

    Args:
        base: ``(model, processor)`` of the frozen segment model that produced the features.
        features: ``features(split) -> (N, layers, hidden)`` (the feature cache).
        context_rows: every row of the training calls (``idx`` is a subset).
    """
    import shutil

    from sentiv_hf.models import SentiVContextConfig, SentiVContextModel
    from sentiv_hf.training.context import CONTEXT_TRAINING_DEFAULTS, predict_context, train_context_model

    r = request
    missing = [c for c in ("call_id", "segment_index") if c not in r.train.dataset.column_names]
    if missing or r.train is not r.val:
        raise ValueError(
            f"The context variant needs one pooled calls config with call_id and segment_index columns (missing "
            f"{missing}); build it with `sentiv data build-calls`, or run the hotline tasks with variant segment."
        )
    x = features(r.train)
    call_ids = np.asarray(r.train.dataset["call_id"])
    positions = np.asarray(r.train.dataset["segment_index"])
    labelled = np.zeros(len(r.train), dtype=bool)
    labelled[r.idx] = True
    labelled[r.val_idx] = True
    names = r.label_names
    with torch.random.fork_rng():
        torch.manual_seed(r.seed)
        model = SentiVContextModel(
            SentiVContextConfig(
                feature_layers=x.shape[1],
                feature_size=x.shape[2],
                head="multi_label" if r.multi_label else "single_label",
                id2label=dict(enumerate(names)),
                label2id={n: i for i, n in enumerate(names)},
                sampling_rate=getattr(base[0].config, "sampling_rate", 16000),
            )
        )
    # A call is one example and an attention stack wants a smaller step than a linear head: the context head's own
    # settings (as `sentiv train context`), with this task's loss (BCE for multi-label) and validation metric.
    defaults = {k: v for k, v in CONTEXT_TRAINING_DEFAULTS.items() if k not in ("loss", "class_weighting")}
    args = r.training_arguments(settings, **defaults, remove_unused_columns=False)
    trainer, selection = train_context_model(
        model,
        x,
        call_ids,
        positions,
        r.train.labels,
        labelled,
        np.union1d(context_rows, r.idx),
        r.val_idx,
        args=args,
        label_names=names,
        multi_label=r.multi_label,
        metric=r.metric,
        patience=settings.patience,
        quiet=True,
    )
    shutil.rmtree(args.output_dir, ignore_errors=True)

    def predict(split: Split) -> np.ndarray:
        rows = np.arange(len(split))
        x_split = x if split is r.train else features(split)
        ids = call_ids if split is r.train else np.asarray(split.dataset["call_id"])
        index = positions if split is r.train else np.asarray(split.dataset["segment_index"])
        return predict_context(model, x_split, ids, index, rows)

    return Fitted(predict, {**selection, "mode": "context"}, model, base[1], trainer.card_data)


# --- fine-tuning (full or LoRA) -----------------------------------------------------------------------------------


def prepare_split(
    split: Split, modality: str, processor, settings: TrainSettings, *, rows=None, train: bool, seed: int
):
    """Rows ``rows`` (all: ``None``) of the split as model inputs, with the preprocessing of ``sentiv train``
    (segment + tokenise; or decode, crop (random in training) and resample).

    Text: the whole split is word-segmented once (`segment_dataset`, cached by fingerprint, so every budget × seed
    reuses it) before ``rows`` are selected and tokenised."""
    ds = split.dataset
    keep = [c for c in ("label",) if c in ds.column_names]
    if modality == "text":
        from sentiv_hf.models.text import segment_dataset
        from sentiv_hf.training.preprocessing import tokenize_text_split

        column = "text" if "text" in ds.column_names else "transcript"
        ds = segment_dataset(ds, column, settings.word_segmenter)
        ds = ds if rows is None else ds.select(rows)
        drop = [c for c in ds.column_names if c not in keep]
        return tokenize_text_split(
            ds,
            processor,
            settings.word_segmenter,
            settings.text_max_length,
            column,
            remove_columns=drop,
            segmented=True,
        )
    from sentiv_hf.data.audio import AudioPreprocessor

    ds = ds if rows is None else ds.select(rows)
    ds = ds.remove_columns([c for c in ds.column_names if c not in ("audio", *keep)])
    crop = split.max_seconds or settings.max_seconds
    ds.set_transform(AudioPreprocessor(processor, max_seconds=crop, train=train, seed=seed))
    return ds


def fit_finetune(request: FitRequest, settings: TrainSettings, train_texts: list[str] | None = None) -> Fitted:
    """Fine-tune (``settings.encoder == "lora"``: LoRA-tune) the request's model with `SentiVTrainer`, keeping the
    best validation epoch's weights (in memory: `KeepBestState`).

    Args:
        train_texts: the texts a ``tiny`` tokenizer learns from.
    """
    import shutil

    from transformers import DataCollatorWithPadding

    from sentiv_hf.metrics import make_compute_metrics
    from sentiv_hf.training.callbacks import KeepBestState
    from sentiv_hf.training.trainer import SentiVTrainer

    r = request
    if r.multi_label:
        raise NotImplementedError(
            "Multi-label heads train on cached features; use encoder: frozen for hotline_multilabel "
            "(fine-tune mode covers the single-label tasks)."
        )
    lora = settings.encoder == "lora"
    model, processor = r.model.build(
        r.modality, r.label_names, seed=r.seed, preprocessing=settings.preprocessing, train_texts=train_texts
    )
    if r.modality == "speech":
        model.freeze_feature_encoder()
    if lora:
        from sentiv_hf.models.lora import add_lora

        model = add_lora(model, target_modules=LORA_TARGETS[r.modality])
    # The best epoch's trainable weights are kept in memory, not in a checkpoint per epoch: a LoRA model's Trainer
    # checkpoints hold its adapters only, and load_best_model_at_end would pair the best epoch's adapters with the
    # last epoch's head and layer weights.
    keep = KeepBestState(model, r.metric, patience=None)
    args = r.training_arguments(
        settings, per_device_eval_batch_size=max(settings.batch_size, 16), remove_unused_columns=r.modality == "text"
    )

    def prepare(split: Split, rows: np.ndarray | None, train: bool):
        return prepare_split(split, r.modality, processor, settings, rows=rows, train=train, seed=r.seed)

    trainer = SentiVTrainer(
        model=model,
        args=args,
        train_dataset=prepare(r.train, r.idx, train=True),
        eval_dataset=prepare(r.val, r.val_idx, train=False),
        data_collator=DataCollatorWithPadding(processor),
        processing_class=processor,
        compute_metrics=make_compute_metrics(r.label_names),
        label_column="label",
        callbacks=[keep],
    )
    _quiet(trainer)
    trainer.train()
    shutil.rmtree(args.output_dir, ignore_errors=True)
    if lora:
        trainer.model = trainer.model.merge_and_unload()
    trained = trainer.model.eval()

    def predict(split: Split) -> np.ndarray:
        out = trainer.predict(prepare(split, None, train=False)).predictions
        return np.asarray(out[0] if isinstance(out, tuple | list) else out, dtype=np.float64)

    selection = {"validation_score": keep.best_score, "best_epoch": keep.best_epoch, "mode": settings.encoder}
    return Fitted(predict, selection, trained, processor, trainer.card_data)


# --- scikit-learn baselines ---------------------------------------------------------------------------------------


def fit_baseline(request: FitRequest, inputs: Callable[[Split], Any]) -> Fitted:
    """Fit the request's baseline pipeline per ``C`` and keep the best on the validation metric.

    Args:
        inputs: ``inputs(split)``: what the baseline reads for a split (raw texts, or MFCC statistics).
    """
    from .baselines import fit_select_c, predict_scores

    r = request
    num_labels = len(r.label_names)
    score = selection_score(r.metric, r.label_names, r.multi_label)
    x, x_val = inputs(r.train), inputs(r.val)
    x_train = [x[i] for i in r.idx] if isinstance(x, list) else x[r.idx]
    x_val = [x_val[i] for i in r.val_idx] if isinstance(x_val, list) else x_val[r.val_idx]
    y_val = r.val.labels[r.val_idx]
    best, c_value, val_score = fit_select_c(
        r.model.pipeline_builder(),
        x_train,
        np.asarray(r.train.labels[r.idx]),
        x_val,
        y_val,
        lambda gold, probs: score(gold, to_logits(probs, r.multi_label)),
        num_labels=num_labels,
        seed=r.seed,
        multi_label=r.multi_label,
    )

    def predict_inputs(x) -> np.ndarray:
        return to_logits(predict_scores(best, x, num_labels, r.multi_label), r.multi_label)

    selection = {"C": c_value, "validation_score": val_score, "mode": "baseline"}
    return Fitted(lambda split: predict_inputs(inputs(split)), selection)


__all__ = [
    "FitRequest",
    "Fitted",
    "TrainSettings",
    "fit_baseline",
    "fit_finetune",
    "fit_frozen",
    "selection_score",
    "to_logits",
]
