"""SentiV metrics: the local ``sentiv_emotion`` evaluate module and helpers for the Trainer and the benchmark.

Layer: metrics, at the bottom next to ``labels``, ``data`` and ``models``. It imports numpy, scikit-learn and
evaluate only (evaluate only for `load_metric`: the metric functions do not import it); never ``training``,
``benchmark`` or ``commands``.

The metric code lives in ``sentiv_emotion/sentiv_emotion.py`` so that ``evaluate.load(<that folder>)`` works offline
(``evaluate.load("f1")`` needs the Hub). The helpers here call the same functions directly, without evaluate's
Arrow cache, so ``compute_classification_metrics`` and ``load_metric().compute`` agree exactly.

Example:
    >>> from sentiv_hf.metrics import compute_classification_metrics, make_compute_metrics
    >>> compute_classification_metrics([0, 1], [0, 0], label_names=["Anger", "Joy"])["accuracy"]
    0.5
    >>> compute_metrics = make_compute_metrics(["Anger", "Joy"])  # Trainer(compute_metrics=...)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .sentiv_emotion.sentiv_emotion import (
    CONFIG_NAMES,
    classification_metrics,
    expected_calibration_error,
    multilabel_metrics,
)

logger = logging.getLogger(__name__)

METRIC_PATH = Path(__file__).resolve().parent / "sentiv_emotion"

__all__ = [
    "CONFIG_NAMES",
    "CONFUSION_AVERAGES",
    "METRIC_PATH",
    "compute_classification_metrics",
    "compute_multilabel_metrics",
    "expected_calibration_error",
    "load_metric",
    "make_compute_metrics",
    "metrics_from_logits",
    "MULTILABEL_AVERAGES",
    "multilabel_scores_from_counts",
    "probabilities_from_logits",
    "scores_from_confusion",
    "sigmoid",
    "softmax",
]


def load_metric(config_name: str = "default", **kwargs):
    """Load the local ``sentiv_emotion`` module with ``evaluate.load`` (no network needed).

    Args:
        config_name: ``"default"`` (single-label) or ``"multilabel"``.
        **kwargs: Passed to ``evaluate.load``, e.g. ``label_names=[...]``, ``threshold=0.5``, ``n_bins=15``,
            ``experiment_id`` or ``num_process``/``process_id`` for distributed evaluation.

    Example:
        >>> metric = load_metric(label_names=["Anger", "Joy"])
        >>> metric.compute(predictions=[0, 1], references=[0, 1])["macro_f1"]
        1.0
    """
    import evaluate

    if config_name not in CONFIG_NAMES:
        raise ValueError(f"Unknown sentiv_emotion config {config_name!r}; expected one of {', '.join(CONFIG_NAMES)}.")
    return evaluate.load(str(METRIC_PATH), config_name, **kwargs)


def compute_classification_metrics(
    predictions: Sequence[int] | np.ndarray,
    references: Sequence[int] | np.ndarray,
    *,
    label_names: Sequence[str] | None,
    probabilities: np.ndarray | None = None,
    n_bins: int = 15,
) -> dict:
    """Single-label metrics: ``accuracy``, ``macro_f1``, ``weighted_f1``, ``micro_f1``, ``precision_macro``,
    ``recall_macro``, ``uar``, ``f1_<Label>``, ``confusion_matrix`` and ``ece`` (when ``probabilities`` is given).

    ``uar`` is the balanced accuracy (recall averaged over the classes of ``references``). ``f1_<Label>`` is keyed by
    class name: with the hotline binary labels (``non-negative``, ``negative``) ``f1_negative`` is the F1 of the
    negative class, the hotline binary headline.

    Args:
        predictions: ``(N,)`` predicted class ids.
        references: ``(N,)`` true class ids.
        label_names: Class names by id (e.g. ``config.id2label`` values); None names them ``"0"``, ``"1"``, ...
        probabilities: Optional ``(N, num_classes)`` probabilities for the expected calibration error.
        n_bins: ECE bins.

    Example:
        >>> compute_classification_metrics([1, 1], [0, 1], label_names=["Anger", "Joy"])["uar"]
        0.5
    """
    return classification_metrics(
        predictions, references, label_names=label_names, probabilities=probabilities, n_bins=n_bins
    )


def compute_multilabel_metrics(
    predictions: np.ndarray,
    references: np.ndarray,
    *,
    label_names: Sequence[str] | None,
    threshold: float = 0.5,
) -> dict:
    """Multi-label metrics at ``threshold``: ``micro_f1``, ``macro_f1``, ``weighted_f1``, ``samples_f1``,
    ``precision_macro``, ``recall_macro``, ``uar``, ``subset_accuracy``, ``hamming_loss`` and ``f1_<Label>``.

    Args:
        predictions: ``(N, num_classes)`` probabilities (or 0/1); values ``>= threshold`` are positive.
        references: ``(N, num_classes)`` multi-hot targets.
        label_names: Class names by column.
        threshold: Decision threshold.

    Example:
        >>> compute_multilabel_metrics([[0.9, 0.1]], [[1, 0]], label_names=["Anger", "Joy"])["f1_Anger"]
        1.0
    """
    return multilabel_metrics(predictions, references, label_names=label_names, threshold=threshold)


#: The averaged single-label metrics `scores_from_confusion` computes (besides ``f1_<label>``).
CONFUSION_AVERAGES = ("accuracy", "micro_f1", "macro_f1", "weighted_f1")


def scores_from_confusion(counts: np.ndarray, metric: str, label_names: Sequence[str]) -> np.ndarray:
    """A single-label metric read from confusion counts, vectorised over a stack of confusion matrices.

    The rules are those of `compute_classification_metrics`: zero-division F1 is 0, ``macro_f1`` averages over the
    classes that occur in the gold labels or the predictions, ``weighted_f1`` weights by gold support, and
    ``micro_f1`` equals ``accuracy``. The leaderboard's bootstrap scores its resamples with it.

    Args:
        counts: ``(K, K)`` confusion counts (rows = gold, columns = predicted, as the metrics' ``confusion_matrix``)
            or a stack ``(R, K, K)`` of them; counts may be fractional (weights).
        metric: one of `CONFUSION_AVERAGES` or ``f1_<label>`` for a name in ``label_names``.
        label_names: class names by id (``K`` names).

    Returns:
        A float64 array: shape ``()`` for one matrix, ``(R,)`` for a stack.

    Example:
        >>> counts = np.array([[1, 1], [0, 2]])  # gold [0, 0, 1, 1], predicted [0, 1, 1, 1]
        >>> float(scores_from_confusion(counts, "macro_f1", ["a", "b"]))
        0.7333333333333334
        >>> scores_from_confusion(np.stack([counts, counts.T]), "accuracy", ["a", "b"]).tolist()
        [0.75, 0.75]
    """
    counts = np.asarray(counts, dtype=np.float64)
    names = list(label_names)
    if counts.ndim not in (2, 3) or counts.shape[-2:] != (len(names), len(names)):
        raise ValueError(
            f"Confusion counts must be (K, K) or (R, K, K) with K = {len(names)} label names; got {counts.shape}."
        )
    if metric not in CONFUSION_AVERAGES and not (metric.startswith("f1_") and metric[3:] in names):
        allowed = ", ".join([*CONFUSION_AVERAGES, *(f"f1_{n}" for n in names)])
        raise ValueError(f"Cannot read {metric!r} from confusion counts; use one of {allowed}.")
    single = counts.ndim == 2
    if single:
        counts = counts[None]
    tp = np.diagonal(counts, axis1=1, axis2=2)
    gold = counts.sum(axis=2)
    predicted = counts.sum(axis=1)
    total = gold.sum(axis=1)
    if metric in ("accuracy", "micro_f1"):
        scores = tp.sum(axis=1) / total
    else:
        denominator = gold + predicted
        f1 = np.divide(2 * tp, denominator, out=np.zeros_like(denominator), where=denominator > 0)
        if metric == "macro_f1":
            present = denominator > 0
            scores = (f1 * present).sum(axis=1) / present.sum(axis=1)
        elif metric == "weighted_f1":
            scores = (f1 * gold).sum(axis=1) / total
        else:
            scores = f1[:, names.index(metric[3:])]
    return scores[0] if single else scores


#: The averaged multi-label metrics `multilabel_scores_from_counts` computes (besides ``f1_<label>``).
MULTILABEL_AVERAGES = ("micro_f1", "macro_f1", "weighted_f1")


def multilabel_scores_from_counts(
    tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, metric: str, label_names: Sequence[str]
) -> np.ndarray:
    """A multi-label F1 read from per-label true-positive, false-positive and false-negative counts, vectorised over
    rows (the leaderboard's bootstrap resamples).

    The rules are those of `compute_multilabel_metrics` (scikit-learn, ``zero_division=0``): a label's F1 is
    ``2 tp / (2 tp + fp + fn)`` (0 when that is 0/0), ``macro_f1`` averages every label, ``weighted_f1`` weights by
    support ``tp + fn`` (0 with no positive at all), ``micro_f1`` pools the counts.

    Args:
        tp, fp, fn: ``(C,)`` or ``(R, C)`` counts (may be fractional weights).
        metric: one of `MULTILABEL_AVERAGES` or ``f1_<label>``.
        label_names: the ``C`` label names.

    Example:
        >>> # gold [[1, 0], [0, 1]], predicted [[1, 1], [0, 0]]: label a tp 1; label b fp 1, fn 1
        >>> tp, fp, fn = np.array([1, 0]), np.array([0, 1]), np.array([0, 1])
        >>> float(multilabel_scores_from_counts(tp, fp, fn, "micro_f1", ["a", "b"]))
        0.5
    """
    tp, fp, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, fn))
    names = list(label_names)
    if tp.shape[-1] != len(names) or not tp.shape == fp.shape == fn.shape or tp.ndim not in (1, 2):
        raise ValueError(f"tp, fp and fn must share a (C,) or (R, C) shape with C = {len(names)}; got {tp.shape}.")
    if metric not in MULTILABEL_AVERAGES and not (metric.startswith("f1_") and metric[3:] in names):
        allowed = ", ".join([*MULTILABEL_AVERAGES, *(f"f1_{n}" for n in names)])
        raise ValueError(f"Cannot read {metric!r} from multi-label counts; use one of {allowed}.")
    single = tp.ndim == 1
    if single:
        tp, fp, fn = tp[None], fp[None], fn[None]

    def f1(t, p, n):
        denominator = 2 * t + p + n
        return np.divide(2 * t, denominator, out=np.zeros_like(denominator), where=denominator > 0)

    if metric == "micro_f1":
        scores = f1(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1))
    else:
        per_label = f1(tp, fp, fn)
        if metric == "macro_f1":
            scores = per_label.mean(axis=1)
        elif metric == "weighted_f1":
            support = tp + fn
            total = support.sum(axis=1)
            scores = np.divide((per_label * support).sum(axis=1), total, out=np.zeros_like(total), where=total > 0)
        else:
            scores = per_label[:, names.index(metric[3:])]
    return scores[0] if single else scores


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64 (stable).

    Example:
        >>> softmax(np.array([[0.0, 0.0]])).tolist()
        [[0.5, 0.5]]
    """
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Element-wise logistic function in float64 (multi-label probabilities from logits)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def probabilities_from_logits(logits: np.ndarray, multi_label: bool = False) -> np.ndarray:
    """Class probabilities: ``sigmoid`` for multi-label logits, ``softmax`` otherwise."""
    return sigmoid(logits) if multi_label else softmax(logits)


def metrics_from_logits(
    logits: np.ndarray,
    references: np.ndarray,
    *,
    label_names: Sequence[str] | None,
    multi_label: bool = False,
    threshold: float = 0.5,
    n_bins: int = 15,
) -> dict:
    """Every metric of a set of logits: what the Trainer's ``compute_metrics``, the benchmark's model selection and
    its reports all compute, so a selection score and a reported score of the same predictions never differ.

    Single-label: argmax predictions and ``ece`` from the softmax (rows labelled -100 are dropped). Multi-label:
    sigmoid probabilities at ``threshold``. Per-class F1 is keyed by label name (``f1_negative`` for the hotline
    binary task).

    Example:
        >>> logits = np.array([[2.0, 0.0], [0.0, 1.0]])
        >>> metrics_from_logits(logits, np.array([0, 0]), label_names=["A", "B"])["accuracy"]
        0.5
        >>> metrics_from_logits(logits, np.array([1, 1]), label_names=["non-negative", "negative"])["f1_negative"]
        0.6666666666666666
    """
    logits = np.asarray(logits, dtype=np.float64)
    references = np.asarray(references)
    if multi_label:
        return compute_multilabel_metrics(sigmoid(logits), references, label_names=label_names, threshold=threshold)
    references = references.reshape(-1)
    keep = references != -100
    logits, references = logits[keep], references[keep]
    return compute_classification_metrics(
        logits.argmax(axis=-1), references, label_names=label_names, probabilities=softmax(logits), n_bins=n_bins
    )


def _first(array):
    # Models returning extra outputs (hidden states, embeddings) make the Trainer hand over a tuple; logits come first.
    return array[0] if isinstance(array, (tuple, list)) else array


def make_compute_metrics(
    label_names: Sequence[str] | None,
    multi_label: bool = False,
    threshold: float = 0.5,
    include_confusion_matrix: bool = False,
    n_bins: int = 15,
) -> Callable:
    """Build a ``compute_metrics`` function for ``transformers.Trainer``.

    The returned function takes an ``EvalPrediction`` whose predictions are logits and returns flat floats, so
    ``metric_for_best_model="macro_f1"`` works (the Trainer prefixes ``eval_``). Single-label: argmax predictions,
    ``ece`` from the softmax; rows labelled -100 (padding) are dropped. Multi-label: sigmoid probabilities at
    ``threshold``.

    Args:
        label_names: Class names by id (e.g. ``[model.config.id2label[i] for i in range(num_labels)]``).
        multi_label: Multi-hot targets and sigmoid outputs.
        threshold: Multi-label decision threshold.
        include_confusion_matrix: Also return ``confusion_matrix`` (multi-label: ``label_confusion``), a list of
            lists that loggers expecting scalars (TensorBoard) skip; off by default.
        n_bins: ECE bins.

    Example:
        >>> from transformers import EvalPrediction
        >>> fn = make_compute_metrics(["Anger", "Joy"])
        >>> fn(EvalPrediction(predictions=np.array([[2.0, 0.0]]), label_ids=np.array([0])))["macro_f1"]
        1.0
    """
    names = list(label_names) if label_names is not None else None

    def compute_metrics(eval_pred) -> dict[str, float]:
        metrics = metrics_from_logits(
            _first(eval_pred.predictions),
            _first(eval_pred.label_ids),
            label_names=names,
            multi_label=multi_label,
            threshold=threshold,
            n_bins=n_bins,
        )
        if not include_confusion_matrix:
            metrics.pop("confusion_matrix", None)
            metrics.pop("label_confusion", None)
        return metrics

    return compute_metrics
