"""Per-class weights from training-label counts, for weighted losses and weighted sampling.

Compute them from the **training split only**; the weights are mean-normalised so that they average to 1 over all
``num_classes`` classes, which keeps the loss scale comparable to unweighted cross-entropy.

Example:
    >>> from sentiv_hf.training.class_weights import compute_class_weights
    >>> compute_class_weights([0, 0, 0, 1], num_classes=2, scheme="inverse").tolist()
    [0.5, 1.5]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch

logger = logging.getLogger(__name__)

WEIGHTING_SCHEMES = ("none", "inverse", "sqrt_inverse", "effective_number")
IGNORE_INDEX = -100


def as_label_array(labels: Sequence | np.ndarray | torch.Tensor) -> np.ndarray:
    """Labels (a sequence, numpy array or tensor on any device) as a numpy array.

    Example:
        >>> as_label_array(torch.tensor([0, 2])).tolist()
        [0, 2]
    """
    return labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)


def class_counts(labels: Sequence[int] | np.ndarray | torch.Tensor, num_classes: int) -> np.ndarray:
    """Count examples per class.

    Args:
        labels: Single-label class ids of shape ``(N,)`` (entries equal to -100 are skipped), or a multi-hot matrix
            of shape ``(N, num_classes)`` whose column sums are the counts.
        num_classes: Number of classes.

    Returns:
        ``int64`` array of shape ``(num_classes,)``.

    Example:
        >>> class_counts([0, 2, 2], 3).tolist()
        [1, 0, 2]
    """
    if num_classes < 1:
        raise ValueError(f"`num_classes` must be >= 1, got {num_classes}.")
    array = as_label_array(labels)
    if array.ndim == 2:
        if array.shape[1] != num_classes:
            raise ValueError(
                f"Multi-hot labels have {array.shape[1]} columns but num_classes={num_classes}; "
                "pass one column per class."
            )
        if not np.isin(array, (0, 1)).all():
            raise ValueError("Multi-hot labels must contain only 0 and 1.")
        return array.astype(np.int64).sum(axis=0)
    if array.ndim != 1:
        raise ValueError(f"Labels must be 1-D class ids or a 2-D multi-hot matrix, got shape {array.shape}.")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.mod(array, 1) == 0):
            raise ValueError(f"Single-label class ids must be integers, got dtype {array.dtype}.")
        array = array.astype(np.int64)
    array = array[array != IGNORE_INDEX]
    bad = array[(array < 0) | (array >= num_classes)]
    if bad.size:
        raise ValueError(
            f"Label id {int(bad[0])} is outside [0, {num_classes}); check num_classes or the label column."
        )
    return np.bincount(array.astype(np.int64), minlength=num_classes)


def compute_class_weights(
    labels: Sequence[int] | np.ndarray | torch.Tensor,
    num_classes: int,
    scheme: str = "none",
    beta: float = 0.999,
) -> torch.Tensor:
    """Per-class weights, mean-normalised to 1.

    Schemes (``n_c`` = training examples of class ``c``; for multi-hot labels, examples where ``c`` is positive):

    - ``"none"``: all ones.
    - ``"inverse"``: proportional to ``1 / n_c``.
    - ``"sqrt_inverse"``: proportional to ``1 / sqrt(n_c)``.
    - ``"effective_number"``: proportional to ``(1 - beta) / (1 - beta ** n_c)`` (Cui et al., 2019).

    A class absent from the training labels (``n_c = 0``) would get an infinite weight. It instead gets the largest
    weight among the classes that are present (it is treated like the rarest seen class), and a warning is logged.
    If no class is present at all, every weight is 1.

    Args:
        labels: ``(N,)`` class ids or an ``(N, num_classes)`` multi-hot matrix (training split only).
        num_classes: Number of classes.
        scheme: One of ``none``, ``inverse``, ``sqrt_inverse``, ``effective_number``.
        beta: Hyperparameter of ``effective_number``, in ``[0, 1)``.

    Returns:
        ``float32`` tensor of shape ``(num_classes,)`` whose mean is 1.

    Example:
        >>> compute_class_weights([0, 0, 0, 1], 2, "inverse").tolist()
        [0.5, 1.5]
    """
    if scheme not in WEIGHTING_SCHEMES:
        raise ValueError(f"Unknown class weighting scheme {scheme!r}; expected one of {', '.join(WEIGHTING_SCHEMES)}.")
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"`beta` must be in [0, 1) for the effective-number scheme, got {beta}.")
    counts = class_counts(labels, num_classes).astype(np.float64)
    if scheme == "none":
        return torch.ones(num_classes, dtype=torch.float32)
    present = counts > 0
    if not present.any():
        logger.warning("No labelled examples to compute class weights from; using uniform weights.")
        return torch.ones(num_classes, dtype=torch.float32)
    raw = np.zeros(num_classes, dtype=np.float64)
    n = counts[present]
    if scheme == "inverse":
        raw[present] = 1.0 / n
    elif scheme == "sqrt_inverse":
        raw[present] = 1.0 / np.sqrt(n)
    else:
        raw[present] = (1.0 - beta) / (1.0 - np.power(beta, n))
    if not present.all():
        missing = np.flatnonzero(~present).tolist()
        logger.warning(
            "Classes %s have no training examples; giving them the largest weight among present classes.", missing
        )
        raw[~present] = raw[present].max()
    weights = raw * num_classes / raw.sum()
    return torch.tensor(weights, dtype=torch.float32)


def bce_pos_weight(
    labels: Sequence[Sequence[int]] | np.ndarray | torch.Tensor,
    num_classes: int,
    scheme: str = "inverse",
    beta: float = 0.999,
) -> torch.Tensor:
    """Per-label ``pos_weight`` of a multi-label BCE loss: how much a positive counts against a negative.

    Mean-normalised class weights (`compute_class_weights`) would leave positives and negatives weighing about the
    same, and with a few percent positives per label a BCE head then learns to predict no label at all. The positive
    term is instead weighted by the label's imbalance, as ``torch.nn.BCEWithLogitsLoss`` documents:

    - ``"inverse"``: ``n_neg / n_pos``;
    - ``"sqrt_inverse"``: ``sqrt(n_neg / n_pos)``;
    - ``"effective_number"``: ``E(n_neg) / E(n_pos)`` with ``E(n) = (1 - beta ** n) / (1 - beta)``;
    - ``"none"``: all ones.

    A label with no positive (or no negative) example gets the largest (smallest) ratio among the others, with a
    warning; with no labelled row at all every weight is 1.

    Args:
        labels: ``(N, num_classes)`` multi-hot matrix (training rows only).
        num_classes: number of labels.
        scheme: one of ``none``, ``inverse``, ``sqrt_inverse``, ``effective_number``.
        beta: the ``effective_number`` hyperparameter, in ``[0, 1)``.

    Example:
        >>> bce_pos_weight([[1, 0], [0, 0], [0, 1], [0, 0]], 2, "inverse").tolist()
        [3.0, 3.0]
    """
    if scheme not in WEIGHTING_SCHEMES:
        raise ValueError(f"Unknown class weighting scheme {scheme!r}; expected one of {', '.join(WEIGHTING_SCHEMES)}.")
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"`beta` must be in [0, 1) for the effective-number scheme, got {beta}.")
    positives = class_counts(labels, num_classes).astype(np.float64)
    total = float(as_label_array(labels).shape[0])
    negatives = total - positives
    if scheme == "none" or total == 0:
        return torch.ones(num_classes, dtype=torch.float32)
    if scheme == "effective_number":
        pos, neg = (1.0 - np.power(beta, positives)) / (1.0 - beta), (1.0 - np.power(beta, negatives)) / (1.0 - beta)
    else:
        pos, neg = positives, negatives
    defined = (pos > 0) & (neg > 0)
    ratio = np.ones(num_classes, dtype=np.float64)
    ratio[defined] = neg[defined] / pos[defined]
    if scheme == "sqrt_inverse":
        ratio = np.sqrt(ratio)
    if not defined.all():
        logger.warning(
            "Labels %s have no positive or no negative training example; their pos_weight is the others' extreme.",
            np.flatnonzero(~defined).tolist(),
        )
        known = ratio[defined] if defined.any() else np.ones(1)
        ratio[(pos == 0)] = known.max()
        ratio[(neg == 0) & (pos > 0)] = known.min()
    return torch.tensor(ratio, dtype=torch.float32)
