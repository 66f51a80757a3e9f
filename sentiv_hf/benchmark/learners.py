"""Fit one model on a label budget and return a predictor: trained heads on cached features, or the baselines.

All predictors return *logits*: ``softmax(logits)`` (single-label) or ``sigmoid(logits)`` (multi-label) are the class
probabilities, so fusion and the metrics treat neural heads and baselines alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sentiv_hf.metrics import softmax

from .baselines import build_mfcc_logreg, build_tfidf_logreg, fit_select_c, predict_scores
from .features import ModelSpec
from .heads import train_head

logger = logging.getLogger(__name__)


@dataclass
class Fitted:
    """A model fitted on one budget: ``predict(inputs) -> logits`` plus how it was selected on validation."""

    predict: Callable[[object], np.ndarray]
    selection: dict = field(default_factory=dict)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def probabilities(logits: np.ndarray, multi_label: bool) -> np.ndarray:
    """Class probabilities from logits."""
    return sigmoid(logits) if multi_label else softmax(logits)


def make_score(headline: str, num_labels: int, multi_label: bool, threshold: float = 0.5) -> Callable:
    """Validation score ``score(gold, logits)`` used for model selection: macro-F1, or weighted-F1 (hotline).

    Example:
        >>> score = make_score("macro_f1", 2, False)
        >>> score(np.array([0, 1]), np.array([[2.0, 0.0], [0.0, 2.0]]))
        1.0
    """
    weighted = {"macro_f1": False, "weighted_f1": True}[headline]

    def score(gold: np.ndarray, logits: np.ndarray) -> float:
        gold = np.asarray(gold)
        if multi_label:
            pred = sigmoid(logits) >= threshold
            positive = gold.astype(bool)
            tp = (pred & positive).sum(axis=0)
            fp = (pred & ~positive).sum(axis=0)
            fn = (~pred & positive).sum(axis=0)
            support = positive.sum(axis=0)
        else:
            pred = np.asarray(logits).argmax(axis=-1)
            confusion = np.bincount(gold * num_labels + pred, minlength=num_labels**2).reshape(num_labels, -1)
            tp = np.diag(confusion)
            fp = confusion.sum(axis=0) - tp
            fn = confusion.sum(axis=1) - tp
            support = confusion.sum(axis=1)
        return f1_average(tp, fp, fn, support, weighted)

    return score


def f1_average(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, support: np.ndarray, weighted: bool) -> float:
    """Macro- or support-weighted F1 from per-class counts, with sklearn's ``zero_division=0`` convention.

    Model selection scores every epoch of every head, so this avoids sklearn's per-call input validation (which was
    most of a head's training time on the demo).

    Example:
        >>> f1_average(np.array([1, 1]), np.array([0, 1]), np.array([1, 0]), np.array([2, 1]), weighted=False)
        0.6666666666666666
    """
    denominator = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denominator, out=np.zeros(len(tp), dtype=np.float64), where=denominator > 0)
    if weighted:
        return float((f1 * support).sum() / support.sum()) if support.sum() else 0.0
    return float(f1.mean())


def to_logits(probs: np.ndarray, multi_label: bool) -> np.ndarray:
    """Logits whose softmax (sigmoid when ``multi_label``) gives ``probs`` back (clipped away from 0 and 1)."""
    p = np.clip(probs, 1e-7, 1 - 1e-7) if multi_label else np.clip(probs, 1e-9, 1.0)
    return np.log(p / (1 - p)) if multi_label else np.log(p)


def fit_learner(
    model: ModelSpec,
    x_train,
    y_train: np.ndarray,
    x_val,
    y_val: np.ndarray,
    *,
    num_labels: int,
    seed: int,
    headline: str = "macro_f1",
    multi_label: bool = False,
    epochs: int = 30,
    learning_rate: float = 3e-3,
    batch_size: int = 32,
) -> Fitted:
    """Fit ``model`` on ``(x_train, y_train)`` and select on ``(x_val, y_val)``.

    Args:
        model: the parsed model spec; ``tfidf`` takes lists of texts, ``mfcc`` ``(N, D)`` statistics, neural models
            ``(N, L, H)`` cached layer features.
        y_train, y_val: class ids, or multi-hot rows when ``multi_label``.
        headline: validation metric for selection (``macro_f1`` or ``weighted_f1``).

    Example:
        >>> fitted = fit_learner(parse_model("baseline:tfidf-logreg"), texts, y, val_texts, y_val,
        ...                      num_labels=7, seed=0)  # doctest: +SKIP
        >>> fitted.predict(test_texts).shape  # doctest: +SKIP
        (100, 7)
    """
    score = make_score(headline, num_labels, multi_label)
    if model.kind in ("tfidf", "mfcc"):
        build = build_tfidf_logreg if model.kind == "tfidf" else build_mfcc_logreg

        def prob_score(gold: np.ndarray, probs: np.ndarray) -> float:
            return score(gold, to_logits(probs, multi_label))

        best, c_value = fit_select_c(
            build,
            x_train,
            np.asarray(y_train),
            x_val,
            y_val,
            prob_score,
            num_labels=num_labels,
            seed=seed,
            multi_label=multi_label,
        )

        def predict(x) -> np.ndarray:
            return to_logits(predict_scores(best, x, num_labels, multi_label), multi_label)

        return Fitted(predict, {"C": c_value, "validation_score": score(y_val, predict(x_val))})

    trained = train_head(
        np.asarray(x_train),
        y_train,
        np.asarray(x_val),
        y_val,
        num_labels=num_labels,
        score=score,
        seed=seed,
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        multi_label=multi_label,
    )
    return Fitted(trained.logits, {"best_epoch": trained.best_epoch, "validation_score": trained.best_score})
