"""Fit one model on a label budget and return a predictor: trained heads on cached features, or the baselines.

All predictors return *logits*: ``softmax(logits)`` (single-label) or ``sigmoid(logits)`` (multi-label) are the class
probabilities, so fusion and the metrics treat neural heads and baselines alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import f1_score

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


def softmax(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


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
    average = {"macro_f1": "macro", "weighted_f1": "weighted"}[headline]

    def score(gold: np.ndarray, logits: np.ndarray) -> float:
        if multi_label:
            pred = (sigmoid(logits) >= threshold).astype(int)
            return float(f1_score(gold, pred, average=average, zero_division=0))
        pred = np.asarray(logits).argmax(axis=-1)
        return float(f1_score(gold, pred, average=average, labels=list(range(num_labels)), zero_division=0))

    return score


def _to_logits(probs: np.ndarray, multi_label: bool) -> np.ndarray:
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
            return score(gold, _to_logits(probs, multi_label))

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
            return _to_logits(predict_scores(best, x, num_labels, multi_label), multi_label)

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
