"""Context training: a `SentiVContextModel` trained with `SentiVTrainer` on cached per-segment features of calls.

Layer: training. The benchmark caches one feature row per segment (`encode_layers` of the frozen segment model, as
for the ``frozen`` head) together with its call and position. Here the rows are grouped into calls (ordered by
``segment_index``), one training example is one call, and the loss counts only the *labelled* segments of the
training calls: under a label budget the rest of a call is unlabelled context, seen but not scored.

The pieces are those of `sentiv_hf.training.frozen.train_frozen_head`: the loss, class weighting and seed of the
`SentiVTrainingArguments`, class weights from `sentiv_hf.training.class_weights` (over the labelled training
segments), the validation metric from `sentiv_hf.metrics` every epoch, and the best epoch kept in memory
(`KeepBestState`).

Example:
    >>> args = SentiVTrainingArguments(output_dir="out", loss="weighted_ce", class_weighting="inverse",
    ...                                eval_strategy="epoch", save_strategy="no", remove_unused_columns=False)
    >>> trainer, selection = train_context_model(
    ...     model, features, call_ids, segment_index, labels, labelled, train_rows, val_rows,
    ...     args=args, label_names=["non_negative", "negative"])  # doctest: +SKIP
    >>> logits = predict_context(model, features, call_ids, segment_index, test_rows)  # doctest: +SKIP

``sentiv train context`` computes the features from raw audio with `embed_calls` (the checkpoint's own segment
model, once per segment) and trains with `CONTEXT_TRAINING_DEFAULTS`, the benchmark's settings for this head.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from transformers import TrainerCallback
from transformers.modeling_outputs import SequenceClassifierOutput

from .trainer import SentiVTrainer

logger = logging.getLogger(__name__)

#: `SentiVTrainingArguments` defaults of a context head (``sentiv train context``): a learning rate for a small
#: Transformer trained from scratch, batches of 8 *calls*, whole calls drawn at random (per-segment class balance
#: comes from the loss's class weights), the best validation epoch kept in memory and no checkpoints written.
CONTEXT_TRAINING_DEFAULTS: dict[str, Any] = {
    "learning_rate": 1e-3,
    "per_device_train_batch_size": 8,
    "per_device_eval_batch_size": 8,
    "loss": "weighted_ce",
    "class_weighting": "inverse",
    "sampler": "random",
    "eval_strategy": "epoch",
    "save_strategy": "no",
}


def call_sequences(
    call_ids: Sequence | np.ndarray,
    segment_index: Sequence[int] | np.ndarray,
    rows: Sequence[int] | np.ndarray,
    max_segments: int | None = None,
) -> list[np.ndarray]:
    """Group ``rows`` into calls: one array of row ids per call, ordered by ``segment_index``.

    Calls come in the order of their first row in ``rows``. A call longer than ``max_segments`` is cut into
    consecutive chunks of at most ``max_segments`` segments (the longest sequence the context model takes).

    Args:
        call_ids: ``(N,)`` call of every row.
        segment_index: ``(N,)`` position of every row in its call.
        rows: the rows to group (indices into ``call_ids``).
        max_segments: chunk length; ``None`` keeps whole calls.

    Raises:
        ValueError: a call has two rows at the same ``segment_index`` among ``rows``.

    Example:
        >>> [s.tolist() for s in call_sequences(["a", "b", "a", "a"], [2, 0, 0, 1], [0, 1, 2, 3], max_segments=2)]
        [[2, 3], [0], [1]]
    """
    call_ids = np.asarray(call_ids)
    segment_index = np.asarray(segment_index)
    rows = np.asarray(rows, dtype=np.int64)
    if max_segments is not None and max_segments < 1:
        raise ValueError(f"max_segments must be >= 1, got {max_segments}.")
    if rows.size == 0:
        return []
    _, first, inverse = np.unique(call_ids[rows], return_index=True, return_inverse=True)
    sequences = []
    for call in np.argsort(first, kind="stable"):
        members = rows[inverse.reshape(-1) == call]
        members = members[np.argsort(segment_index[members], kind="stable")]
        positions = segment_index[members]
        repeated = positions[1:][positions[1:] == positions[:-1]]
        if repeated.size:
            raise ValueError(
                f"Call {call_ids[members[0]].item()!r} has several rows with segment_index {repeated[0]}; every "
                "segment of a call needs its own segment_index (deduplicate the rows or rebuild the calls dataset)."
            )
        step = max_segments or len(members)
        sequences.extend(members[start : start + step] for start in range(0, len(members), step))
    return sequences


class CallBatchCollator:
    """Collates calls (``{"sequence": i}`` examples) into a padded `SentiVContextModel` batch.

    The batch holds ``segment_features`` ``(B, S, *feature_shape)`` (float32, zero padding at the end),
    ``segment_mask`` ``(B, S)`` (True = real segment), ``target_mask`` ``(B, S)`` (real segments whose label counts)
    and, with ``labels``, the labels of the target segments in row-major order, ``(M,)`` class ids or ``(M, C)``
    multi-hot: the order of ``logits[target_mask]``.

    Args:
        features: ``(N, L, H)`` or ``(N, H)`` cached segment features.
        sequences: row ids of each call, in time order (`call_sequences`).
        labels: ``(N,)`` class ids or ``(N, C)`` multi-hot; ``None`` for prediction.
        targets: ``(N,)`` bool, rows whose label counts; ``None`` = every row.

    Example:
        >>> collate = CallBatchCollator(np.zeros((3, 4)), [np.array([0, 1]), np.array([2])], np.array([1, 0, 1]))
        >>> batch = collate([{"sequence": 0}, {"sequence": 1}])
        >>> batch["segment_mask"].tolist(), batch["labels"].tolist()
        ([[True, True], [True, False]], [1, 0, 1])
    """

    def __init__(
        self,
        features: np.ndarray,
        sequences: list[np.ndarray],
        labels: np.ndarray | None = None,
        targets: np.ndarray | None = None,
    ) -> None:
        self.features = features
        self.sequences = sequences
        self.labels = None if labels is None else np.asarray(labels)
        self.targets = np.ones(len(features), dtype=bool) if targets is None else np.asarray(targets, dtype=bool)

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        sequences = [self.sequences[int(e["sequence"])] for e in examples]
        length = max(len(s) for s in sequences)
        feature_shape = np.asarray(self.features[0]).shape
        values = np.zeros((len(sequences), length, *feature_shape), dtype=np.float32)
        mask = np.zeros((len(sequences), length), dtype=bool)
        target = np.zeros_like(mask)
        for i, rows in enumerate(sequences):
            values[i, : len(rows)] = np.asarray(self.features[rows])
            mask[i, : len(rows)] = True
            target[i, : len(rows)] = self.targets[rows]
        batch = {
            "segment_features": torch.from_numpy(values),
            "segment_mask": torch.from_numpy(mask),
            "target_mask": torch.from_numpy(target),
        }
        if self.labels is not None:
            target_rows = np.concatenate([rows[self.targets[rows]] for rows in sequences])
            picked = self.labels[target_rows]
            batch["labels"] = torch.as_tensor(picked, dtype=torch.float32 if picked.ndim == 2 else torch.long)
        return batch


class ContextHead(nn.Module):
    """The trainable part of a `SentiVContextModel` (everything but its segment model) as the Trainer's model.

    It shares parameters with ``model`` (training it trains ``model``) and returns the logits of the target segments
    only, ``(M, num_labels)``, so that `SentiVTrainer`'s loss, class weights and metrics see one row per labelled
    segment, as for any classifier.

    Args:
        model: a `SentiVContextModel`.
    """

    main_input_name = "segment_features"

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.config = model.config
        self._model = [model]  # a list, so that the segment model is not registered as a submodule
        self.parts = nn.ModuleDict({name: child for name, child in model.named_children() if name != "segment_model"})
        self.layer_weights = model.layer_weights

    @property
    def model(self) -> nn.Module:
        return self._model[0]

    def forward(
        self,
        segment_features: torch.Tensor,
        segment_mask: torch.Tensor | None = None,
        target_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **_: Any,
    ) -> SequenceClassifierOutput:
        logits = self.model(segment_features, segment_mask=segment_mask).logits
        return SequenceClassifierOutput(logits=logits[target_mask] if target_mask is not None else logits)


class ContextTrainer(SentiVTrainer):
    """`SentiVTrainer` whose evaluation scores the validation calls with `predict_context`, as the test calls are.

    Why: the Trainer's evaluation gathers predictions per *example* (a call here) and, through Accelerate's
    ``gather_for_metrics``, keeps only ``len(eval_dataset) % batch_size`` rows of the last batch, but a call holds
    many segment rows: the validation score (and so the chosen epoch) would come from a few segments. Here every
    labelled validation segment is scored, with its call as context, and the metrics go to the callbacks
    (`KeepBestState`) and the log as usual.

    Args:
        context_model: the `SentiVContextModel` the Trainer's `ContextHead` trains.
        validation: ``(features, call_ids, segment_index, rows, scored, labels)``: the arrays of
            `train_context_model`, the validation rows, the mask of the scored ones among them and their labels.
        label_names, multi_label: as for the metrics module.
        kwargs: the `SentiVTrainer` arguments.
    """

    def __init__(self, *args, context_model: nn.Module, validation: tuple, label_names, multi_label, **kwargs):
        super().__init__(*args, **kwargs)
        self._context_model = [context_model]  # a list: not a second registration of the trained parameters
        self._validation = validation
        self._label_names = list(label_names)
        self._multi_label = multi_label

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval") -> dict[str, float]:
        from sentiv_hf.metrics import metrics_from_logits

        features, call_ids, segment_index, rows, scored, labels = self._validation
        logits = predict_context(
            self._context_model[0], features, call_ids, segment_index, rows, self.args.per_device_eval_batch_size
        )
        scores = metrics_from_logits(
            logits[scored], labels, label_names=self._label_names, multi_label=self._multi_label
        )
        metrics = {f"{metric_key_prefix}_{k}": float(v) for k, v in scores.items() if isinstance(v, (int, float))}
        if self.state.epoch is not None:
            metrics["epoch"] = self.state.epoch
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics


def _check_rows(name: str, rows: np.ndarray, n: int) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    if rows.size and (rows.min() < 0 or rows.max() >= n):
        raise ValueError(f"{name} holds row ids outside [0, {n}); pass indices into the features array.")
    return rows


def _check_arrays(features, call_ids, segment_index, labels=None, labelled=None) -> int:
    n = len(features)
    named = {"call_ids": call_ids, "segment_index": segment_index, "labels": labels, "labelled": labelled}
    wrong = {name: len(value) for name, value in named.items() if value is not None and len(value) != n}
    if wrong:
        raise ValueError(f"features has {n} rows but {', '.join(f'{k} has {v}' for k, v in wrong.items())}.")
    return n


def train_context_model(
    model: nn.Module,
    features: np.ndarray,
    call_ids: Sequence | np.ndarray,
    segment_index: Sequence[int] | np.ndarray,
    labels: np.ndarray,
    labelled: np.ndarray,
    train_rows: Sequence[int] | np.ndarray,
    val_rows: Sequence[int] | np.ndarray,
    *,
    args,
    label_names: list[str],
    multi_label: bool = False,
    metric: str = "macro_f1",
    patience: int | None = 10,
    callbacks: Iterable[TrainerCallback] = (),
    quiet: bool = False,
):
    """Train ``model``'s context head (not its segment model) on cached segment features, keeping the best
    validation epoch.

    Args:
        model: a `SentiVContextModel`, trained in place. Its initial weights are the caller's (build it under
            ``torch.manual_seed(seed)``); ``args.seed`` orders the calls.
        features: ``(N, feature_layers, feature_size)`` or ``(N, feature_size)`` cached segment features.
        call_ids, segment_index: ``(N,)`` call and position of every row.
        labels: ``(N,)`` class ids, or ``(N, C)`` multi-hot when ``multi_label``; unlabelled rows may hold anything.
        labelled: ``(N,)`` bool, rows whose label counts (in the loss for training rows, in the score for validation
            rows); the others are context only.
        train_rows, val_rows: the rows of the training and validation calls. A call's sequence is its rows among
            these (ordered by ``segment_index``; chunks of ``model.config.max_segments``).
        args: `SentiVTrainingArguments` (loss, class weighting, epochs, batch size in calls, learning rate, seed),
            with ``sampler="random"`` and ``remove_unused_columns=False``; evaluation every epoch.
        label_names: class names in id order (the metrics module's labels).
        multi_label: multi-hot labels (train with ``loss="bce"``).
        metric: the validation metric that picks the epoch (from `sentiv_hf.metrics`).
        patience: stop after this many epochs without a better validation score.
        callbacks: more Trainer callbacks.
        quiet: drop the Trainer's printer of every evaluation.

    Returns:
        ``(trainer, selection)`` as `train_frozen_head`: the `SentiVTrainer` (its ``card_data`` and
        ``model.config`` hold the loss and class weights) and ``{"best_epoch", "validation_score"}``.

    Example:
        >>> trainer, selection = train_context_model(model, x, calls, index, y, labelled, tr, va, args=args,
        ...                                          label_names=names)  # doctest: +SKIP
    """
    import datasets

    from .callbacks import KeepBestState
    from .training_args import LossType, SamplerType

    n = _check_arrays(features, call_ids, segment_index, labels, labelled)
    labels = np.asarray(labels)
    labelled = np.asarray(labelled, dtype=bool)
    train_rows = _check_rows("train_rows", train_rows, n)
    val_rows = _check_rows("val_rows", val_rows, n)
    if args.sampler != SamplerType.RANDOM:
        raise ValueError(
            f"Context training draws whole calls, so sampler={args.sampler.value!r} (per-segment class balancing) "
            "does not apply; pass sampler='random' (class weights still balance the loss)."
        )
    if args.remove_unused_columns:
        raise ValueError("Context training collates calls from in-memory features; pass remove_unused_columns=False.")
    if multi_label != (args.loss == LossType.BCE):
        raise ValueError(
            f"multi_label={multi_label} needs loss={'bce' if multi_label else 'ce, weighted_ce or focal'}, "
            f"got loss={args.loss.value!r}."
        )
    if multi_label and (labels.ndim != 2 or labels.shape[1] != len(label_names)):
        raise ValueError(f"Multi-label labels must be multi-hot (N, {len(label_names)}), got {labels.shape}.")
    train_targets = train_rows[labelled[train_rows]]
    val_targets = val_rows[labelled[val_rows]]
    if not train_targets.size or not val_targets.size:
        raise ValueError(
            f"Context training needs labelled training and validation rows; got {train_targets.size} and "
            f"{val_targets.size}. Mark them in `labelled`."
        )

    max_segments = model.config.max_segments

    def calls(rows: np.ndarray) -> list[np.ndarray]:
        # Sequences without a labelled segment add nothing to the loss or the score.
        return [s for s in call_sequences(call_ids, segment_index, rows, max_segments) if labelled[s].any()]

    train_calls, val_calls = calls(train_rows), calls(val_rows)
    # The Trainer has one collator for both splits: validation calls are numbered after the training ones.
    ids = list(range(len(train_calls) + len(val_calls)))
    head = ContextHead(model)
    for param in model.parameters():
        param.requires_grad = False
    for param in head.parameters():
        param.requires_grad = True
    keep = KeepBestState(head, metric, patience)
    trainer = ContextTrainer(
        model=head,
        args=args,
        train_dataset=datasets.Dataset.from_dict({"sequence": ids[: len(train_calls)]}),
        eval_dataset=datasets.Dataset.from_dict({"sequence": ids[len(train_calls) :]}),
        data_collator=CallBatchCollator(features, train_calls + val_calls, labels, labelled),
        callbacks=[keep, *callbacks],
        train_labels=labels[train_targets],  # the labelled training segments, not the calls
        context_model=model,
        validation=(features, call_ids, segment_index, val_rows, labelled[val_rows], labels[val_targets]),
        label_names=label_names,
        multi_label=multi_label,
    )
    if quiet:
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    trainer.train()
    model.eval()
    return trainer, {"best_epoch": keep.best_epoch, "validation_score": keep.best_score}


@torch.no_grad()
def predict_context(
    model: nn.Module,
    features: np.ndarray,
    call_ids: Sequence | np.ndarray,
    segment_index: Sequence[int] | np.ndarray,
    rows: Sequence[int] | np.ndarray,
    batch_size: int = 32,
) -> np.ndarray:
    """Logits ``(len(rows), num_labels)`` (float64) of a `SentiVContextModel` for ``rows``, in the order of ``rows``.

    Each row is scored with its call's other rows among ``rows`` as context (ordered by ``segment_index``; chunks of
    ``model.config.max_segments``), in evaluation mode.

    Args:
        model: a `SentiVContextModel`.
        features: ``(N, feature_layers, feature_size)`` or ``(N, feature_size)`` cached segment features.
        call_ids, segment_index: ``(N,)`` call and position of every row.
        rows: the rows to score (indices into ``features``).
        batch_size: calls per forward pass.

    Example:
        >>> logits = predict_context(model, features, call_ids, segment_index, np.arange(len(features)))
        >>> logits.shape  # doctest: +SKIP
        (120, 2)
    """
    n = _check_arrays(features, call_ids, segment_index)
    rows = _check_rows("rows", rows, n)
    model.eval()
    sequences = call_sequences(call_ids, segment_index, rows, model.config.max_segments)
    collate = CallBatchCollator(features, sequences)
    device = model.classifier.weight.device  # the context head's (a segment model may sit elsewhere)
    by_row: dict[int, np.ndarray] = {}
    for start in range(0, len(sequences), batch_size):
        chunk = range(start, min(start + batch_size, len(sequences)))
        batch = collate([{"sequence": i} for i in chunk])
        logits = model(
            batch["segment_features"].to(device), segment_mask=batch["segment_mask"].to(device)
        ).logits.double()
        for i, j in enumerate(chunk):
            rows_j = sequences[j]
            by_row.update(zip(rows_j.tolist(), logits[i, : len(rows_j)].cpu().numpy()))
    num_labels = model.config.num_labels
    if not by_row:
        return np.zeros((0, num_labels))
    return np.stack([by_row[int(r)] for r in rows])


@torch.no_grad()
def embed_calls(
    model: nn.Module,
    dataset,
    feature_extractor,
    batch_size: int = 8,
    *,
    max_seconds: float | None = None,
    audio_column: str = "audio",
    show_progress: bool = True,
) -> np.ndarray:
    """Segment features ``(N, feature_layers, feature_size)`` (float32) of every row of a calls dataset: its
    ``model.embed_segments`` (the segment model's `encode_layers`), computed once, in evaluation mode.

    Each batch is prepared like evaluation audio by `AudioPreprocessor` (mono, resampled, centre crop to
    ``max_seconds``), as the benchmark's feature cache and ``sentiv predict-call`` prepare a segment.

    Args:
        model: a `SentiVContextModel` with a segment model (`SentiVContextModel.from_segment_model`).
        dataset: a `datasets.Dataset` with an audio column (one row per segment).
        feature_extractor: the segment model's feature extractor.
        batch_size: segments per forward pass.
        max_seconds: the crop; default the segment model's ``max_duration_s``.
        audio_column: the column holding the audio.
        show_progress: a `tqdm` bar over the batches.

    Example:
        >>> features = embed_calls(model, splits["train"], feature_extractor, batch_size=16)  # doctest: +SKIP
        >>> features.shape  # doctest: +SKIP
        (112, 3, 32)
    """
    from tqdm.auto import tqdm

    from sentiv_hf.data.audio import AudioPreprocessor

    if audio_column not in dataset.column_names:
        raise ValueError(f"The dataset has no {audio_column!r} column; its columns are {dataset.column_names}.")
    max_seconds = max_seconds or getattr(model.config.segment_config, "max_duration_s", None) or 8.0
    prepare = AudioPreprocessor(
        feature_extractor, max_seconds=max_seconds, sampling_rate=feature_extractor.sampling_rate, train=False
    )
    audio = dataset.select_columns([audio_column])
    model.eval()
    device = next(model.parameters()).device
    rows = []
    for start in tqdm(range(0, len(audio), batch_size), desc="Embedding segments", disable=not show_progress):
        inputs = prepare({"audio": audio[start : start + batch_size][audio_column]})
        tensors = {key: torch.as_tensor(value).to(device) for key, value in inputs.items() if key != "labels"}
        rows.append(model.embed_segments(**tensors).float().cpu())
    if not rows:
        config = model.config
        return np.zeros((0, config.feature_layers, config.feature_size), dtype=np.float32)
    return torch.cat(rows).numpy()


__all__ = [
    "CONTEXT_TRAINING_DEFAULTS",
    "CallBatchCollator",
    "ContextHead",
    "ContextTrainer",
    "call_sequences",
    "embed_calls",
    "predict_context",
    "train_context_model",
]
