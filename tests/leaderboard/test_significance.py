from __future__ import annotations

import math

import numpy as np
import pytest

from sentiv_hf.leaderboard.significance import draw_resamples, paired_bootstrap, seed_interval
from sentiv_hf.metrics import compute_classification_metrics, compute_multilabel_metrics

GOLD = np.array([0, 0, 1, 1])
PERFECT = [[0, 0, 1, 1]]
ONE_WRONG = [[0, 1, 1, 1]]  # class 0: F1 2/3, class 1: F1 4/5 -> macro 11/15
# Hand-made resamples, with macro-F1(A) - macro-F1(B) worked out by hand:
RESAMPLES = np.array(
    [
        [0, 0, 0, 0],  # gold all 0, both predict 0 -> 1 - 1 = 0
        [1, 1, 2, 3],  # gold 0 0 1 1, B 1 1 1 1: (0 + 2/3) / 2 = 1/3 -> 2/3
        [1, 2, 3, 3],  # gold 0 1 1 1, B 1 1 1 1: (0 + 6/7) / 2 = 3/7 -> 4/7
        [0, 1, 2, 3],  # the full set -> 1 - 11/15 = 4/15
        [1, 1, 1, 1],  # gold all 0, B all 1: F1 0 for both classes -> 1 - 0 = 1
    ]
)


def test_hand_computed_case():
    result = paired_bootstrap(GOLD, PERFECT, ONE_WRONG, label_names=["a", "b"], metric="macro_f1", resamples=RESAMPLES)
    assert result.difference == pytest.approx(4 / 15)
    # sorted deltas 0, 4/15, 4/7, 2/3, 1; linear quantiles at 0.1 and 3.9 of 4 steps
    assert result.ci_low == pytest.approx(0.1 * 4 / 15)
    assert result.ci_high == pytest.approx(2 / 3 + 0.9 * (1 - 2 / 3))
    # #(d <= 0) = 1, #(d >= 0) = 5: p = 2 * (1 + 1) / (5 + 1)
    assert result.p_value == pytest.approx(2 / 3)
    assert result.n_resamples == 5 and not result.significant


def test_seeds_are_pooled():
    # two seeds of A: perfect and one wrong -> pooled over 8 predictions: class 0 F1 6/7, class 1 F1 8/9
    result = paired_bootstrap(
        GOLD, PERFECT + ONE_WRONG, PERFECT, label_names=["a", "b"], metric="macro_f1", resamples=RESAMPLES[3:4]
    )
    assert result.difference == pytest.approx((6 / 7 + 8 / 9) / 2 - 1)


def test_identical_systems_and_fixed_seed():
    rng = np.random.default_rng(1)
    gold = rng.integers(0, 3, 50)
    pred = rng.integers(0, 3, (2, 50))
    same = paired_bootstrap(gold, pred, pred, label_names=list("abc"), metric="macro_f1", n_resamples=50)
    assert (same.difference, same.ci_low, same.ci_high, same.p_value) == (0.0, 0.0, 0.0, 1.0)
    better = np.where(rng.random((2, 50)) < 0.9, gold, pred)
    one = paired_bootstrap(gold, better, pred, label_names=list("abc"), metric="accuracy", n_resamples=300, seed=7)
    two = paired_bootstrap(gold, better, pred, label_names=list("abc"), metric="accuracy", n_resamples=300, seed=7)
    assert one == two and one.significant and one.ci_low > 0
    assert draw_resamples(5, 3, seed=7).tolist() == draw_resamples(5, 3, seed=7).tolist()


@pytest.mark.parametrize("metric", ["accuracy", "macro_f1", "weighted_f1", "micro_f1", "f1_b"])
def test_vectorised_scores_equal_the_metrics_module(metric):
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 4, 40)
    pred = rng.integers(0, 3, (3, 40))  # class "d" never predicted, and absent from some resamples
    other = np.zeros((1, 40), dtype=int)
    resamples = draw_resamples(40, 20, seed=3)
    result = paired_bootstrap(gold, pred, other, label_names=list("abcd"), metric=metric, resamples=resamples)
    expected = [
        compute_classification_metrics(
            np.concatenate([p[r] for p in pred]), np.tile(gold[r], 3), label_names=list("abcd")
        )[metric]
        - compute_classification_metrics(other[0][r], gold[r], label_names=list("abcd"))[metric]
        for r in resamples
    ]
    assert result.ci_low == pytest.approx(np.quantile(expected, 0.025))
    assert result.ci_high == pytest.approx(np.quantile(expected, 0.975))


def test_multilabel_uses_the_metrics_module():
    gold = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    a = gold[None]
    b = np.array([[[1, 0], [0, 0], [1, 0], [0, 0]]])
    result = paired_bootstrap(gold, a, b, label_names=["x", "y"], metric="weighted_f1", resamples=RESAMPLES[3:4])
    want = 1.0 - compute_multilabel_metrics(b[0], gold, label_names=["x", "y"])["weighted_f1"]
    assert result.difference == pytest.approx(want) and want > 0


def test_seed_interval_is_the_t_interval():
    low, high = seed_interval([0.5, 0.7, 0.6])
    half = 4.302652729911275 * 0.1 / math.sqrt(3)  # t_{0.975, 2} * s / sqrt(n), s = 0.1
    assert (low, high) == (pytest.approx(0.6 - half), pytest.approx(0.6 + half))
    assert all(math.isnan(v) for v in seed_interval([0.5]))


def test_shape_mismatch_is_a_one_line_error():
    with pytest.raises(ValueError, match=r"predictions have shape \(1, 3\) but the gold labels \(4,\)"):
        paired_bootstrap(GOLD, [[0, 1, 1]], PERFECT, label_names=["a", "b"], metric="accuracy")
