"""`bce_pos_weight`: the multi-label BCE head's per-label positive weight, and the trainer's use of it."""

from __future__ import annotations

import numpy as np
import pytest

from sentiv_hf.training.class_weights import bce_pos_weight


def test_pos_weight_is_the_label_imbalance():
    labels = np.array([[1, 0, 1], [0, 0, 1], [0, 1, 1], [0, 0, 0], [0, 0, 1]])
    # label 0: 1 positive of 5 -> 4; label 1: 1 of 5 -> 4; label 2: 4 of 5 -> 0.25
    assert bce_pos_weight(labels, 3, "inverse").tolist() == pytest.approx([4.0, 4.0, 0.25])
    assert bce_pos_weight(labels, 3, "sqrt_inverse").tolist() == pytest.approx([2.0, 2.0, 0.5])
    assert bce_pos_weight(labels, 3, "none").tolist() == [1.0, 1.0, 1.0]
    beta = 0.9
    effective = [(1 - beta**n) / (1 - beta) for n in (4, 1)]
    assert bce_pos_weight(labels, 3, "effective_number", beta)[0].item() == pytest.approx(effective[0] / effective[1])


def test_labels_without_positives_or_negatives_take_the_extremes(caplog):
    labels = np.array([[1, 0, 1], [0, 0, 1], [0, 0, 1], [1, 0, 1]])
    weights = bce_pos_weight(labels, 3, "inverse").tolist()
    assert weights[0] == 1.0  # 2 of 4
    assert weights[1] == 1.0 and weights[2] == 1.0  # no positive -> max of the others; no negative -> min
    assert "Labels [1, 2] have no positive or no negative training example" in caplog.text
    with pytest.raises(ValueError, match="Unknown class weighting scheme 'odd'"):
        bce_pos_weight(labels, 3, "odd")
