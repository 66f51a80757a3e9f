from __future__ import annotations

import numpy as np
import pytest

from sentiv_hf.metrics import CONFUSION_AVERAGES, compute_classification_metrics, scores_from_confusion

NAMES = ["Anger", "Joy", "Neutral", "Sad"]
METRICS = [*CONFUSION_AVERAGES, *(f"f1_{n}" for n in NAMES)]


def _random_samples(seed: int, n_samples: int = 30, size: int = 25):
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(n_samples):
        # every third sample uses only some classes, so macro-F1's "present classes" rule and zero-division F1 matter
        k = len(NAMES) if i % 3 else 2 + i % 2
        gold = rng.integers(0, k, size=size)
        pred = np.where(rng.random(size) < 0.5, gold, rng.integers(0, min(k + i % 2, len(NAMES)), size=size))
        samples.append((gold, pred))
    return samples


@pytest.mark.parametrize("metric", METRICS)
def test_stack_matches_compute_classification_metrics(metric):
    samples = _random_samples(seed=len(metric))
    results = [compute_classification_metrics(p, g, label_names=NAMES) for g, p in samples]
    counts = np.array([r["confusion_matrix"] for r in results])
    assert counts.shape == (30, 4, 4)
    got = scores_from_confusion(counts, metric, NAMES)
    assert got.shape == (30,)
    np.testing.assert_allclose(got, [r[metric] for r in results], rtol=0, atol=1e-12)
    # one (K, K) matrix gives a 0-d array with the same value
    single = scores_from_confusion(counts[0], metric, NAMES)
    assert single.shape == ()
    assert float(single) == pytest.approx(results[0][metric], abs=1e-12)


def test_hand_example_with_a_class_absent_everywhere():
    # gold [0, 0, 1, 1], predicted [0, 1, 1, 1]; class 2 never occurs: macro over {0, 1}, f1 of class 2 is 0
    counts = np.array([[1, 1, 0], [0, 2, 0], [0, 0, 0]])
    names = ["a", "b", "c"]
    assert float(scores_from_confusion(counts, "accuracy", names)) == 0.75
    assert float(scores_from_confusion(counts, "f1_a", names)) == pytest.approx(2 / 3)
    assert float(scores_from_confusion(counts, "f1_b", names)) == pytest.approx(0.8)
    assert float(scores_from_confusion(counts, "f1_c", names)) == 0.0
    assert float(scores_from_confusion(counts, "macro_f1", names)) == pytest.approx((2 / 3 + 0.8) / 2)
    assert float(scores_from_confusion(counts, "weighted_f1", names)) == pytest.approx((2 / 3 + 0.8) / 2)


def test_fractional_counts_are_weights():
    counts = np.array([[1.0, 1.0], [0.0, 2.0]])
    assert float(scores_from_confusion(counts * 2.5, "macro_f1", ["a", "b"])) == pytest.approx(
        float(scores_from_confusion(counts, "macro_f1", ["a", "b"]))
    )


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"Cannot read 'uar' from confusion counts; use one of accuracy, .*f1_b"):
        scores_from_confusion(np.eye(2), "uar", ["a", "b"])
    with pytest.raises(ValueError, match=r"Cannot read 'a'"):
        scores_from_confusion(np.eye(2), "a", ["a", "b"])
    with pytest.raises(ValueError, match=r"\(K, K\) or \(R, K, K\) with K = 3 label names; got \(2, 2\)"):
        scores_from_confusion(np.eye(2), "accuracy", ["a", "b", "c"])


@pytest.mark.parametrize("metric", ["micro_f1", "macro_f1", "weighted_f1", "f1_Joy"])
def test_multilabel_counts_match_compute_multilabel_metrics(metric):
    from sentiv_hf.metrics import compute_multilabel_metrics, multilabel_scores_from_counts

    rng = np.random.default_rng(len(metric))
    rows = []
    for i in range(20):
        gold = (rng.random((15, 4)) < 0.3).astype(int)
        if i % 4 == 0:
            gold[:, 2] = 0  # a label with no positive: zero-division F1 and zero support
        pred = np.where(rng.random((15, 4)) < 0.6, gold, 1 - gold)
        rows.append((gold, pred))
    tp = np.array([(g & p).sum(axis=0) for g, p in rows])
    fp = np.array([((1 - g) & p).sum(axis=0) for g, p in rows])
    fn = np.array([(g & (1 - p)).sum(axis=0) for g, p in rows])
    got = multilabel_scores_from_counts(tp, fp, fn, metric, NAMES)
    expected = [compute_multilabel_metrics(p, g, label_names=NAMES)[metric] for g, p in rows]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert float(multilabel_scores_from_counts(tp[0], fp[0], fn[0], metric, NAMES)) == pytest.approx(expected[0])
    with pytest.raises(ValueError, match="Cannot read 'accuracy' from multi-label counts"):
        multilabel_scores_from_counts(tp, fp, fn, "accuracy", NAMES)
