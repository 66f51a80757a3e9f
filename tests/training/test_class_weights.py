from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from sentiv_hf.training.class_weights import class_counts, compute_class_weights

# Counts 6, 2, 1 for three classes.
LABELS = [0, 0, 0, 0, 0, 0, 1, 1, 2]


def _normalised(raw):
    raw = np.asarray(raw, dtype=np.float64)
    return (raw * len(raw) / raw.sum()).tolist()


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("none", [1.0, 1.0, 1.0]),
        # 1/6, 1/2, 1/1 -> sum 5/3 -> times 3 / (5/3) = 9/5.
        ("inverse", [0.3, 0.9, 1.8]),
        ("sqrt_inverse", _normalised([1 / np.sqrt(6), 1 / np.sqrt(2), 1.0])),
        (
            "effective_number",
            _normalised([(1 - 0.9) / (1 - 0.9**6), (1 - 0.9) / (1 - 0.9**2), (1 - 0.9) / (1 - 0.9**1)]),
        ),
    ],
)
def test_exact_values(scheme, expected):
    weights = compute_class_weights(LABELS, 3, scheme, beta=0.9)
    assert weights.dtype == torch.float32
    assert weights.tolist() == pytest.approx(expected, rel=1e-6)
    assert weights.mean().item() == pytest.approx(1.0, rel=1e-6)


def test_inverse_two_classes_literal():
    assert compute_class_weights([0, 0, 0, 1], 2, "inverse").tolist() == [0.5, 1.5]


def test_effective_number_tends_to_inverse_and_uniform():
    labels = [0] * 50 + [1] * 5
    inverse = compute_class_weights(labels, 2, "inverse")
    near_one = compute_class_weights(labels, 2, "effective_number", beta=0.999999)
    torch.testing.assert_close(near_one, inverse, rtol=1e-3, atol=1e-3)
    assert compute_class_weights(labels, 2, "effective_number", beta=0.0).tolist() == [1.0, 1.0]


def test_accepts_numpy_torch_and_ignores_minus_100():
    expected = compute_class_weights(LABELS, 3, "inverse")
    torch.testing.assert_close(compute_class_weights(np.array(LABELS), 3, "inverse"), expected)
    torch.testing.assert_close(compute_class_weights(torch.tensor(LABELS + [-100]), 3, "inverse"), expected)


def test_multi_hot_counts_positives_per_class():
    multi_hot = np.array([[1, 0, 1], [1, 0, 0], [1, 1, 0], [1, 0, 0]])
    assert class_counts(multi_hot, 3).tolist() == [4, 1, 1]
    # 1/4, 1, 1 -> sum 9/4 -> times 3 / (9/4) = 4/3.
    assert compute_class_weights(multi_hot, 3, "inverse").tolist() == pytest.approx([1 / 3, 4 / 3, 4 / 3])


def test_absent_class_gets_largest_present_weight(caplog):
    with caplog.at_level(logging.WARNING, logger="sentiv_hf.training.class_weights"):
        weights = compute_class_weights([0, 0, 0, 1], 3, "inverse")
    # Raw 1/3, 1, and the absent class copies the largest (1) -> sum 7/3 -> times 3 / (7/3) = 9/7.
    assert weights.tolist() == pytest.approx([3 / 7, 9 / 7, 9 / 7])
    assert torch.isfinite(weights).all()
    assert "Classes [2] have no training examples" in caplog.text


def test_no_labels_gives_uniform():
    assert compute_class_weights([], 3, "inverse").tolist() == [1.0, 1.0, 1.0]


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="Unknown class weighting scheme 'log'; expected one of none, inverse"):
        compute_class_weights(LABELS, 3, "log")
    with pytest.raises(ValueError, match=r"Label id 3 is outside \[0, 3\)"):
        compute_class_weights([0, 3], 3, "inverse")
    with pytest.raises(ValueError, match="beta"):
        compute_class_weights(LABELS, 3, "effective_number", beta=1.0)
    with pytest.raises(ValueError, match="2 columns but num_classes=3"):
        compute_class_weights(np.zeros((2, 2), dtype=int), 3, "inverse")
