"""Significance on the leaderboard: a paired bootstrap over test examples, and a t-interval over seeds.

* `paired_bootstrap` compares two systems on the same test examples. Each resample draws the test examples with
  replacement (the same draw for both systems, hence *paired*); every seed of a system is scored on the drawn
  examples and the seeds are pooled into one score, so seed noise and test-set noise are both in the interval. The
  difference of the task's headline metric gets a 95 % percentile interval and a two-sided p-value.
* `seed_interval` is the 95 % t-interval of a row's mean over its seeds, shown beside mean ± std.

Scores are the package's metrics (`sentiv_hf.metrics`). For a single-label headline (accuracy, macro-/weighted-/
micro-F1, ``f1_<label>``) the resampled scores are read from per-resample confusion counts in one vectorised pass
(`sentiv_hf.metrics.scores_from_confusion`), and every call first checks that the counts give exactly what
`compute_classification_metrics` gives on the full sample, so the two can never drift apart. Multi-label headlines
call `compute_multilabel_metrics` per resample.

Example:
    >>> gold = np.array([0, 0, 1, 1])
    >>> result = paired_bootstrap(gold, [[0, 0, 1, 1]], [[0, 1, 1, 1]], label_names=["a", "b"], metric="accuracy")
    >>> round(result.difference, 2)
    0.25
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sentiv_hf.metrics import (
    CONFUSION_AVERAGES,
    MULTILABEL_AVERAGES,
    compute_classification_metrics,
    compute_multilabel_metrics,
    multilabel_scores_from_counts,
    scores_from_confusion,
)

#: What the board states about its significance test (with the number of resamples and the seed).
METHOD = "paired bootstrap over test examples, seeds pooled"
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
ALPHA = 0.05
_CHUNK = 100  # resamples scored at once: bounds the (chunk x examples) weight matrix


@dataclass(frozen=True)
class BootstrapResult:
    """A paired bootstrap of ``metric(A) - metric(B)``.

    Attributes:
        difference: the observed difference on the full test set (every seed of each system pooled).
        ci_low, ci_high: the 95 % percentile interval of the resampled differences.
        p_value: two-sided, ``min(1, 2 * (min(#{d* <= 0}, #{d* >= 0}) + 1) / (n_resamples + 1))``.
        n_resamples: number of resamples drawn.
    """

    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    n_resamples: int

    @property
    def significant(self) -> bool:
        """True when the difference is significant at the 5 % level."""
        return self.p_value < ALPHA


def seed_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """The t-interval of the mean of ``values`` (one per seed); ``(nan, nan)`` with fewer than two seeds.

    ``mean ± t_{(1+confidence)/2, n-1} * s / sqrt(n)`` with ``s`` the sample std (ddof=1, as the benchmark's tables).

    Example:
        >>> [round(v, 4) for v in seed_interval([0.5, 0.7])]
        [-0.6706, 1.8706]
    """
    from scipy.stats import t

    arr = np.asarray(values, dtype=np.float64)
    if arr.size < 2:
        return math.nan, math.nan
    half = float(t.ppf((1 + confidence) / 2, arr.size - 1)) * float(arr.std(ddof=1)) / math.sqrt(arr.size)
    mean = float(arr.mean())
    return mean - half, mean + half


def _vectorised(metric: str, label_names: Sequence[str], multi_label: bool = False) -> bool:
    names = {f"f1_{n}" for n in label_names}
    return metric in (MULTILABEL_AVERAGES if multi_label else CONFUSION_AVERAGES) or metric in names


class _System:
    """One system's predictions of every seed, ready to be scored on resampled test examples."""

    def __init__(self, gold: np.ndarray, predictions: np.ndarray, label_names: Sequence[str], metric: str) -> None:
        self.gold, self.predictions = gold, predictions
        self.names, self.metric = list(label_names), metric
        self.multi = gold.ndim == 2
        self.fast = _vectorised(metric, self.names, self.multi)
        if self.fast and self.multi:
            # per example and label, summed over seeds: true positives, false positives, false negatives
            hits = predictions.astype(bool) & gold.astype(bool)[None]
            self.per_example = [
                hits.sum(axis=0).astype(np.float64),
                (predictions.astype(bool) & ~gold.astype(bool)[None]).sum(axis=0).astype(np.float64),
                (~predictions.astype(bool) & gold.astype(bool)[None]).sum(axis=0).astype(np.float64),
            ]
        elif self.fast:
            k = len(self.names)
            # per example: how often (over seeds) each (gold, predicted) cell occurs, flattened to K*K columns
            cells = gold[None, :] * k + predictions
            self.per_example = np.zeros((gold.size, k * k), dtype=np.float64)
            for seed_cells in cells:
                np.add.at(self.per_example, (np.arange(gold.size), seed_cells), 1.0)

    def reference(self, rows: np.ndarray) -> float:
        """The metrics module's value on the given example rows, every seed pooled."""
        gold = np.concatenate([self.gold[rows]] * len(self.predictions))
        pred = np.concatenate([p[rows] for p in self.predictions])
        if self.multi:
            return float(compute_multilabel_metrics(pred, gold, label_names=self.names)[self.metric])
        return float(compute_classification_metrics(pred, gold, label_names=self.names)[self.metric])

    def scores(self, resamples: np.ndarray) -> np.ndarray:
        """The metric on each resample (rows of example indices)."""
        if not self.fast:
            return np.array([self.reference(rows) for rows in resamples])
        k, n = len(self.names), self.gold.shape[0]
        out = []
        for start in range(0, len(resamples), _CHUNK):
            chunk = resamples[start : start + _CHUNK]
            weights = np.zeros((len(chunk), n), dtype=np.float64)
            np.add.at(weights, (np.repeat(np.arange(len(chunk)), chunk.shape[1]), chunk.reshape(-1)), 1.0)
            if self.multi:
                tp, fp, fn = (weights @ part for part in self.per_example)
                out.append(multilabel_scores_from_counts(tp, fp, fn, self.metric, self.names))
                continue
            counts = (weights @ self.per_example).reshape(len(chunk), k, k)
            out.append(scores_from_confusion(counts, self.metric, self.names))
        return np.concatenate(out)

    def check(self) -> float:
        """The full-sample score, checked against the metrics module when the vectorised path is used."""
        expected = self.reference(np.arange(self.gold.shape[0]))
        if self.fast:
            got = float(self.scores(np.arange(self.gold.shape[0])[None, :])[0])
            if not math.isclose(got, expected, rel_tol=0.0, abs_tol=1e-9):
                raise RuntimeError(f"bootstrap {self.metric}: counts give {got}, the metrics module {expected}")
        return expected


def _as_predictions(predictions, gold: np.ndarray) -> np.ndarray:
    arr = np.asarray(predictions)
    if arr.ndim == gold.ndim:  # one seed
        arr = arr[None]
    if arr.shape[1:] != gold.shape:
        raise ValueError(
            f"predictions have shape {arr.shape} but the gold labels {gold.shape}: pass (seeds, examples) class ids "
            "(or (seeds, examples, classes) 0/1 for multi-label), one row per seed, in the gold labels' order."
        )
    return arr


def draw_resamples(n_examples: int, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> np.ndarray:
    """``(n_resamples, n_examples)`` example indices drawn with replacement by ``numpy.random.default_rng(seed)``.

    Example:
        >>> draw_resamples(3, 2, seed=0).shape
        (2, 3)
    """
    return np.random.default_rng(seed).integers(0, n_examples, size=(n_resamples, n_examples))


def paired_bootstrap(
    gold,
    predictions_a,
    predictions_b,
    *,
    label_names: Sequence[str],
    metric: str,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    resamples: np.ndarray | None = None,
) -> BootstrapResult:
    """Paired bootstrap of ``metric(A) - metric(B)`` over test examples, each system's seeds pooled.

    Args:
        gold: ``(N,)`` gold class ids, or ``(N, K)`` multi-hot for a multi-label task.
        predictions_a, predictions_b: ``(seeds, N)`` predicted class ids (``(seeds, N, K)`` 0/1 for multi-label);
            the systems may have different numbers of seeds.
        label_names: class names by id.
        metric: a key of the metrics module's output, the task's headline (``macro_f1``, ``f1_negative``, ...).
        n_resamples: resamples drawn with `draw_resamples` (ignored when ``resamples`` is given).
        seed: seed of the draw: the same inputs always give the same result.
        resamples: explicit ``(R, N)`` example indices (a test can pass a hand-made set).

    Example:
        >>> gold = np.array([0, 0, 1, 1])
        >>> r = paired_bootstrap(gold, [[0, 0, 1, 1]], [[0, 0, 1, 1]], label_names=["a", "b"], metric="macro_f1")
        >>> r.difference, r.ci_low, r.ci_high, r.p_value
        (0.0, 0.0, 0.0, 1.0)
    """
    gold = np.asarray(gold)
    systems = [_System(gold, _as_predictions(p, gold), label_names, metric) for p in (predictions_a, predictions_b)]
    observed = systems[0].check() - systems[1].check()
    if resamples is None:
        resamples = draw_resamples(gold.shape[0], n_resamples, seed)
    resamples = np.asarray(resamples, dtype=np.int64)
    deltas = systems[0].scores(resamples) - systems[1].scores(resamples)
    below, above = int((deltas <= 0).sum()), int((deltas >= 0).sum())
    p_value = min(1.0, 2 * (min(below, above) + 1) / (len(deltas) + 1))
    low, high = np.quantile(deltas, [ALPHA / 2, 1 - ALPHA / 2])
    return BootstrapResult(float(observed), float(low), float(high), float(p_value), len(deltas))


__all__ = [
    "ALPHA",
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "METHOD",
    "BootstrapResult",
    "draw_resamples",
    "paired_bootstrap",
    "seed_interval",
]
