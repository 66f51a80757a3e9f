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

import copy
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

from .kinds import ModelSpec

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


def selection_score(metric: str, label_names: list[str], multi_label: bool) -> Callable[[np.ndarray, np.ndarray], float]:
    """``score(gold, logits)``: the validation ``metric`` from the metrics module (the one the reports use)."""

    def score(gold: np.ndarray, logits: np.ndarray) -> float:
        return float(metrics_from_logits(logits, gold, label_names=label_names, multi_label=multi_label)[metric])

    return score


def to_logits(probs: np.ndarray, multi_label: bool) -> np.ndarray:
    """Logits whose softmax (sigmoid when ``multi_label``) gives ``probs`` back (clipped away from 0 and 1)."""
    p = np.clip(probs, 1e-7, 1 - 1e-7) if multi_label else np.clip(probs, 1e-9, 1.0)
    return np.log(p / (1 - p)) if multi_label else np.log(p)


def _training_arguments(settings: TrainSettings, modality: str, multi_label: bool, seed: int, metric: str, **extra):
    from sentiv_hf.training.recipes import recipe
    from sentiv_hf.training.training_args import SentiVTrainingArguments

    settings.work_dir.mkdir(parents=True, exist_ok=True)
    return SentiVTrainingArguments(
        output_dir=tempfile.mkdtemp(prefix="run-", dir=str(settings.work_dir)),
        num_train_epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        eval_strategy="epoch",
        metric_for_best_model=metric,
        greater_is_better=True,
        seed=seed,
        report_to=[],
        logging_strategy="no",
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
        **recipe(modality, multi_label),
        **extra,
    )


def _quiet(trainer) -> None:
    # PrinterCallback prints every eval dict (disable_tqdm swaps it in); the benchmark prints one line per run.
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)


# --- frozen encoder: the shipped head on cached features --------------------------------------------------------


def fit_frozen(
    spec: ModelSpec,
    modality: str,
    base: tuple[Any, Any],
    features: Callable[[Split], np.ndarray],
    train: Split,
    idx: np.ndarray,
    val: Split,
    val_idx: np.ndarray,
    *,
    label_names: list[str],
    seed: int,
    metric: str,
    settings: TrainSettings,
    multi_label: bool = False,
) -> Fitted:
    """Train the head of a copy of ``base``'s model on cached features of ``train[idx]``, selecting on
    ``val[val_idx]``.

    Args:
        base: ``(model, processor)`` whose frozen encoder produced the features (never modified).
        features: ``features(split) -> array`` (the feature cache).
        metric: the validation metric that picks the epoch.
    """
    import shutil

    from sentiv_hf.training.frozen import predict_head, reset_head, train_frozen_head

    model = copy.deepcopy(base[0])
    reset_head(model, seed)
    args = _training_arguments(
        settings,
        modality,
        multi_label,
        seed,
        metric,
        save_strategy="no",
        per_device_eval_batch_size=PREDICT_BATCH,
        remove_unused_columns=False,
    )
    trainer, selection = train_frozen_head(
        model,
        features(train)[idx],
        train.labels[idx],
        features(val)[val_idx],
        val.labels[val_idx],
        args=args,
        label_names=label_names,
        multi_label=multi_label,
        metric=metric,
        patience=settings.patience,
        quiet=True,
    )
    shutil.rmtree(args.output_dir, ignore_errors=True)

    def predict(split: Split) -> np.ndarray:
        return predict_head(model, features(split))

    return Fitted(predict, {**selection, "mode": "frozen"}, model, base[1], trainer.card_data)


# --- fine-tuning (full or LoRA) -----------------------------------------------------------------------------------


def prepare_split(split: Split, modality: str, processor, settings: TrainSettings, *, train: bool, seed: int):
    """The split as model inputs, with the preprocessing of ``sentiv train`` (segment + tokenise; or decode, crop,
    resample and extract)."""
    ds = split.dataset
    keep = [c for c in ("label",) if c in ds.column_names]
    if modality == "text":
        from sentiv_hf.training.preprocessing import text_preprocessor

        column = "text" if "text" in ds.column_names else "transcript"
        tokenize = text_preprocessor(processor, settings.word_segmenter, settings.text_max_length, column)
        return ds.map(tokenize, batched=True, remove_columns=[c for c in ds.column_names if c not in keep])
    from sentiv_hf.data.audio import AudioPreprocessor

    ds = ds.remove_columns([c for c in ds.column_names if c not in ("audio", *keep)])
    ds.set_transform(AudioPreprocessor(processor, max_seconds=settings.max_seconds, train=train, seed=seed))
    return ds


def _subset(split: Split, idx: np.ndarray) -> Split:
    return Split(
        split.name, [split.ids[i] for i in idx], split.labels[idx], split.label_names, split.dataset.select(idx), ""
    )


def fit_finetune(
    spec: ModelSpec,
    modality: str,
    train: Split,
    idx: np.ndarray,
    val: Split,
    val_idx: np.ndarray,
    *,
    label_names: list[str],
    seed: int,
    metric: str,
    settings: TrainSettings,
    train_texts: list[str] | None = None,
) -> Fitted:
    """Fine-tune (``settings.encoder == "lora"``: LoRA-tune) ``spec`` on ``train[idx]`` with `SentiVTrainer`, keeping
    the best validation epoch (``load_best_model_at_end``)."""
    import shutil

    from transformers import DataCollatorWithPadding

    from sentiv_hf.metrics import make_compute_metrics
    from sentiv_hf.training.trainer import SentiVTrainer

    lora = settings.encoder == "lora"
    model, processor = spec.build(
        modality,
        label_names,
        seed=seed,
        train_texts=train_texts,
        word_segmenter=settings.word_segmenter,
        max_length=settings.text_max_length,
        max_seconds=settings.max_seconds,
    )
    if modality == "speech":
        model.freeze_feature_encoder()
    if lora:
        from sentiv_hf.models.lora import add_lora

        model = add_lora(model, target_modules=LORA_TARGETS[modality])
    args = _training_arguments(
        settings,
        modality,
        False,
        seed,
        metric,
        save_strategy="epoch",
        save_total_limit=1,
        load_best_model_at_end=True,
        per_device_eval_batch_size=max(settings.batch_size, 16),
        remove_unused_columns=modality == "text",
    )
    trainer = SentiVTrainer(
        model=model,
        args=args,
        train_dataset=prepare_split(_subset(train, idx), modality, processor, settings, train=True, seed=seed),
        eval_dataset=prepare_split(_subset(val, val_idx), modality, processor, settings, train=False, seed=seed),
        data_collator=DataCollatorWithPadding(processor),
        processing_class=processor,
        compute_metrics=make_compute_metrics(label_names),
        label_column="label",
    )
    _quiet(trainer)
    trainer.train()
    selection = {"validation_score": trainer.state.best_metric, "mode": "lora" if lora else "finetune"}
    # Checkpoints were only needed to restore the best epoch, which load_best_model_at_end has done.
    shutil.rmtree(args.output_dir, ignore_errors=True)
    if lora:
        trainer.model = trainer.model.merge_and_unload()
    trained = trainer.model.eval()

    def predict(split: Split) -> np.ndarray:
        data = prepare_split(split, modality, processor, settings, train=False, seed=seed)
        out = trainer.predict(data).predictions
        return np.asarray(out[0] if isinstance(out, tuple | list) else out, dtype=np.float64)

    return Fitted(predict, selection, trained, processor, trainer.card_data)


# --- scikit-learn baselines ---------------------------------------------------------------------------------------


def fit_baseline(
    spec: ModelSpec,
    x_train,
    y_train: np.ndarray,
    x_val,
    y_val: np.ndarray,
    inputs: Callable[[Split], Any],
    *,
    label_names: list[str],
    seed: int,
    metric: str,
    multi_label: bool = False,
) -> Fitted:
    """Fit a baseline pipeline per ``C`` and keep the best on validation ``metric``.

    Args:
        x_train, x_val: raw texts (TF-IDF) or MFCC statistics.
        inputs: ``inputs(split)``: what the baseline reads for a split (to predict).
    """
    from .baselines import fit_select_c, predict_scores

    num_labels = len(label_names)
    score = selection_score(metric, label_names, multi_label)
    best, c_value = fit_select_c(
        spec.pipeline_builder(),
        x_train,
        np.asarray(y_train),
        x_val,
        y_val,
        lambda gold, probs: score(gold, to_logits(probs, multi_label)),
        num_labels=num_labels,
        seed=seed,
        multi_label=multi_label,
    )

    def predict_inputs(x) -> np.ndarray:
        return to_logits(predict_scores(best, x, num_labels, multi_label), multi_label)

    selection = {"C": c_value, "validation_score": score(y_val, predict_inputs(x_val)), "mode": "baseline"}
    return Fitted(lambda split: predict_inputs(inputs(split)), selection)


__all__ = ["Fitted", "TrainSettings", "fit_baseline", "fit_finetune", "fit_frozen", "selection_score", "to_logits"]
