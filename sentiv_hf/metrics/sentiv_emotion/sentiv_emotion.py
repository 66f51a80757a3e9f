"""SentiV emotion metrics: a local `evaluate` module that works offline.

This file is self-contained (numpy, scikit-learn, datasets and evaluate; no sentiv_hf imports) because
``evaluate.load`` copies it into its module cache and imports it on its own. Load it by path, never by Hub name:

    >>> import evaluate
    >>> metric = evaluate.load("/path/to/sentiv_emotion", label_names=["Anger", "Joy"])  # doctest: +SKIP
    >>> metric.compute(predictions=[0, 1], references=[0, 0])["f1_Anger"]  # doctest: +SKIP
    0.6666666666666666

Configs:

- ``"default"``: single-label. Inputs ``predictions`` and ``references`` (class ids). Reports ``accuracy``,
  ``macro_f1``, ``weighted_f1``, ``micro_f1``, ``precision_macro``, ``recall_macro``, ``uar`` (unweighted average
  recall over the classes of the references: scikit-learn's ``balanced_accuracy_score``), ``f1_<Label>`` per class
  (with the hotline binary labels ``non-negative``/``negative`` that gives ``f1_negative``, the hotline headline),
  ``confusion_matrix`` (rows = references) and, when ``probabilities`` (``(N, num_classes)``) are passed to
  ``compute``, ``ece`` (expected calibration error).
- ``"multilabel"``: inputs ``predictions`` (``(N, num_classes)`` scores or 0/1) and ``references`` (multi-hot).
  Predictions ``>= threshold`` count as positive. Reports ``micro_f1``, ``macro_f1``, ``weighted_f1``,
  ``samples_f1``, ``precision_macro``, ``recall_macro``, ``uar``, ``subset_accuracy``, ``hamming_loss``,
  ``f1_<Label>`` per class and ``label_confusion`` (``[a][b]``: gold has ``a`` and not ``b``, prediction has ``b``
  and not ``a``; a list of lists of ints).

Single-label averages (macro F1, precision/recall macro) run over the classes that occur in the references or the
predictions, which is scikit-learn's default. UAR runs over the classes of the references only, as the standard
definition (balanced accuracy) does: a predicted class that never occurs would otherwise add a recall of 0.
Per-class keys are reported for every name in ``label_names`` (0.0 for a class that never occurs). Ill-defined
ratios score 0 (``zero_division=0``). Multi-label averages (UAR included) run over every column, as in
scikit-learn.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    hamming_loss,
    precision_recall_fscore_support,
)

_CITATION = """@misc{sentiv_hf,
    title = {sentiv-hf: Vietnamese emotion recognition for text, speech and speech+text on the Hugging Face stack},
    year = {2026},
}
@inproceedings{guo2017calibration,
    title = {On Calibration of Modern Neural Networks},
    author = {Guo, Chuan and Pleiss, Geoff and Sun, Yu and Weinberger, Kilian Q.},
    booktitle = {Proceedings of the 34th International Conference on Machine Learning (ICML)},
    year = {2017},
}"""

_DESCRIPTION = """Classification metrics for SentiV emotion recognition: accuracy, macro/weighted F1, per-class F1,
precision/recall, unweighted average recall (UAR), confusion matrix and expected calibration error (ECE); and
micro/macro/weighted F1 at a threshold for multi-label emotion targets."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: class ids (default config) or an (N, num_classes) matrix of scores/0-1 values (multilabel config).
    references: class ids (default config) or an (N, num_classes) multi-hot matrix (multilabel config).
    label_names (optional): class names, index = class id; gives the per-class keys `f1_<name>`. Overrides the
        names given to `evaluate.load(..., label_names=...)`.
    probabilities (optional, default config): (N, num_classes) class probabilities; adds `ece`.
    n_bins (optional, default 15): number of equal-width confidence bins for ECE.
    threshold (optional, multilabel config, default 0.5): predictions >= threshold are positive.
Returns:
    dict of floats (plus `confusion_matrix`, a list of lists of ints, in the default config).
Examples:
    >>> metric = evaluate.load("sentiv_hf/metrics/sentiv_emotion", label_names=["Anger", "Joy"])
    >>> metric.compute(predictions=[0, 1, 1], references=[0, 1, 0])["accuracy"]
    0.6666666666666666
"""

CONFIG_NAMES = ("default", "multilabel")


def expected_calibration_error(
    probabilities: Sequence[Sequence[float]] | np.ndarray, labels: Sequence[int] | np.ndarray, n_bins: int = 15
) -> float:
    """Expected calibration error with equal-width confidence bins (Guo et al., 2017).

    ``ECE = sum_b |B_b| / N * |accuracy(B_b) - mean_confidence(B_b)|``, where an example's confidence is its top
    probability, its prediction the arg-max, and bin ``b`` holds confidences in ``((b-1)/n_bins, b/n_bins]``
    (confidence 0 falls in the first bin).

    Args:
        probabilities: ``(N, num_classes)`` class probabilities (rows should sum to 1).
        labels: ``(N,)`` true class ids.
        n_bins: Number of bins.

    Example:
        >>> round(expected_calibration_error([[0.9, 0.1], [0.6, 0.4]], [0, 1], n_bins=10), 4)
        0.35
    """
    probs = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels)
    if probs.ndim != 2 or probs.shape[0] != labels.shape[0]:
        raise ValueError(
            f"ECE needs probabilities of shape (N, num_classes) and N labels; got {probs.shape} and {labels.shape}."
        )
    if n_bins < 1:
        raise ValueError(f"`n_bins` must be >= 1, got {n_bins}.")
    if probs.shape[0] == 0:
        return 0.0
    confidences = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    inner_edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    # side="left" puts a confidence equal to an edge into the lower bin: bins are (lo, hi].
    bins = np.searchsorted(inner_edges, confidences, side="left")
    ece = 0.0
    for b in np.unique(bins):
        in_bin = bins == b
        ece += in_bin.mean() * abs(correct[in_bin].mean() - confidences[in_bin].mean())
    return float(ece)


def _resolve_names(label_names: Sequence[str] | None, num_classes: int) -> list[str]:
    if label_names is None:
        return [str(i) for i in range(num_classes)]
    names = [str(name) for name in label_names]
    if len(names) < num_classes:
        raise ValueError(
            f"Got {len(names)} label names {names} but class ids go up to {num_classes - 1}; pass one name per class."
        )
    return names


def classification_metrics(
    predictions: Sequence[int] | np.ndarray,
    references: Sequence[int] | np.ndarray,
    *,
    label_names: Sequence[str] | None = None,
    probabilities: Sequence[Sequence[float]] | np.ndarray | None = None,
    n_bins: int = 15,
) -> dict:
    """Single-label metrics; see the module docstring for the keys.

    Example:
        >>> classification_metrics([0, 1, 1], [0, 1, 0], label_names=["Anger", "Joy"])["f1_Joy"]
        0.6666666666666666
    """
    preds = np.asarray(predictions).astype(np.int64).reshape(-1)
    refs = np.asarray(references).astype(np.int64).reshape(-1)
    if preds.shape != refs.shape:
        raise ValueError(f"Got {preds.size} predictions but {refs.size} references; they must match one to one.")
    if preds.size == 0:
        raise ValueError("Cannot compute metrics on zero examples.")
    seen = int(max(preds.max(), refs.max())) + 1
    names = _resolve_names(label_names, seen)
    labels = list(range(len(names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        refs, preds, labels=labels, average=None, zero_division=0
    )
    # Averages follow scikit-learn's default label set: the classes seen in the references or the predictions.
    present = np.union1d(refs, preds)
    result = {
        "accuracy": float(accuracy_score(refs, preds)),
        "macro_f1": float(f1[present].mean()),
        "weighted_f1": float((f1 * support).sum() / support.sum()),
        "micro_f1": float(f1_score(refs, preds, labels=labels, average="micro", zero_division=0)),
        "precision_macro": float(precision[present].mean()),
        "recall_macro": float(recall[present].mean()),
        # UAR (balanced accuracy): recall averaged over the gold classes only, as `balanced_accuracy_score` does.
        "uar": float(recall[np.unique(refs)].mean()),
    }
    for name, value in zip(names, f1):
        result[f"f1_{name}"] = float(value)
    result["confusion_matrix"] = confusion_matrix(refs, preds, labels=labels).tolist()
    if probabilities is not None:
        probs = np.asarray(probabilities, dtype=np.float64)
        if probs.ndim != 2 or probs.shape[0] != refs.size:
            raise ValueError(
                f"`probabilities` must have shape ({refs.size}, num_classes) "
                f"to match the references; got {probs.shape}."
            )
        result["ece"] = expected_calibration_error(probs, refs, n_bins=n_bins)
    return result


def multilabel_metrics(
    predictions: Sequence[Sequence[float]] | np.ndarray,
    references: Sequence[Sequence[int]] | np.ndarray,
    *,
    label_names: Sequence[str] | None = None,
    threshold: float = 0.5,
) -> dict:
    """Multi-label metrics at ``threshold``; see the module docstring for the keys.

    Example:
        >>> multilabel_metrics([[0.9, 0.2], [0.7, 0.8]], [[1, 0], [0, 1]])["micro_f1"]
        0.8
    """
    scores = np.asarray(predictions, dtype=np.float64)
    refs = np.asarray(references)
    if scores.ndim != 2 or scores.shape != refs.shape:
        raise ValueError(
            f"Multi-label predictions and references must both be (N, num_classes) matrices of the same shape; "
            f"got {scores.shape} and {refs.shape}."
        )
    if not np.isin(refs, (0, 1)).all():
        raise ValueError("Multi-label references must be multi-hot (only 0 and 1).")
    refs = refs.astype(np.int64)
    preds = (scores >= threshold).astype(np.int64)
    names = _resolve_names(label_names, refs.shape[1])[: refs.shape[1]]
    precision, recall, f1, _ = precision_recall_fscore_support(refs, preds, average=None, zero_division=0)
    result = {
        "micro_f1": float(f1_score(refs, preds, average="micro", zero_division=0)),
        "macro_f1": float(f1.mean()),
        "weighted_f1": float(f1_score(refs, preds, average="weighted", zero_division=0)),
        "samples_f1": float(f1_score(refs, preds, average="samples", zero_division=0)),
        "precision_macro": float(precision.mean()),
        "recall_macro": float(recall.mean()),
        "uar": float(recall.mean()),
        "subset_accuracy": float(accuracy_score(refs, preds)),
        "hamming_loss": float(hamming_loss(refs, preds)),
        "threshold": float(threshold),
    }
    for name, value in zip(names, f1):
        result[f"f1_{name}"] = float(value)
    result["label_confusion"] = label_confusion(refs, preds).tolist()
    return result


def label_confusion(references: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Multi-label confusions between labels: cell ``[a, b]`` counts the examples whose gold has ``a`` but not ``b``
    and whose prediction has ``b`` but not ``a`` (``a`` taken for ``b``). The diagonal is 0.

    Example:
        >>> label_confusion(np.array([[1, 0], [1, 0], [0, 1]]), np.array([[0, 1], [1, 1], [0, 1]])).tolist()
        [[0, 1], [0, 0]]
    """
    refs, preds = np.asarray(references, dtype=np.int64), np.asarray(predictions, dtype=np.int64)
    missed, extra = refs * (1 - preds), preds * (1 - refs)  # gold not predicted / predicted not gold
    return missed.T @ extra * (1 - np.eye(refs.shape[1], dtype=np.int64))


# `evaluate.load` imports this file after `evaluate` itself, and finds the class below. The package imports the file
# for the metric functions above only (`sentiv_hf.metrics`), and importing `evaluate` costs seconds (it imports
# transformers' pipelines), so the `evaluate` class is defined only when `evaluate` is already loaded.
if "evaluate" in sys.modules:
    import datasets
    import evaluate

    @evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
    class SentivEmotion(evaluate.Metric):
        """`evaluate` metric for SentiV emotion recognition (single-label ``"default"`` or ``"multilabel"`` config).

        Extra ``evaluate.load`` keywords: ``label_names`` (list of class names), ``threshold`` (multilabel, 0.5) and
        ``n_bins`` (ECE, 15). The same names can be passed to ``compute`` to override them for one call.
        """

        def __init__(
            self,
            *args,
            label_names: Sequence[str] | None = None,
            threshold: float = 0.5,
            n_bins: int = 15,
            **kwargs,
        ) -> None:
            self.label_names = list(label_names) if label_names is not None else None
            self.threshold = float(threshold)
            self.n_bins = int(n_bins)
            super().__init__(*args, **kwargs)

        def _info(self) -> evaluate.MetricInfo:
            if self.config_name not in CONFIG_NAMES:
                raise ValueError(
                    f"Unknown sentiv_emotion config {self.config_name!r}; expected one of {', '.join(CONFIG_NAMES)}."
                )
            if self.config_name == "multilabel":
                features = datasets.Features(
                    {
                        "predictions": datasets.Sequence(datasets.Value("float32")),
                        "references": datasets.Sequence(datasets.Value("int32")),
                    }
                )
            else:
                features = datasets.Features(
                    {"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}
                )
            return evaluate.MetricInfo(
                description=_DESCRIPTION,
                citation=_CITATION,
                inputs_description=_KWARGS_DESCRIPTION,
                features=features,
                reference_urls=["https://scikit-learn.org/stable/modules/model_evaluation.html"],
            )

        def _compute(
            self,
            predictions,
            references,
            label_names: Sequence[str] | None = None,
            probabilities=None,
            n_bins: int | None = None,
            threshold: float | None = None,
        ) -> dict:
            names = label_names if label_names is not None else self.label_names
            if self.config_name == "multilabel":
                return multilabel_metrics(
                    predictions,
                    references,
                    label_names=names,
                    threshold=self.threshold if threshold is None else threshold,
                )
            return classification_metrics(
                predictions,
                references,
                label_names=names,
                probabilities=probabilities,
                n_bins=self.n_bins if n_bins is None else n_bins,
            )
