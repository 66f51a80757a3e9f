from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from sentiv_hf.training.losses import (
    FocalLoss,
    MultiLabelBCELoss,
    WeightedCrossEntropyLoss,
    build_loss,
)

# Row 0: logits (2, 0, 0), target 0 -> p_t = e^2 / (e^2 + 2) = 0.78699; focal term (1 - p_t)^2 * -log p_t = 0.0108693.
# Row 1: logits (0, 1, 0), target 2 -> p_t = 1 / (2 + e) = 0.21194; focal term = 0.9635032.
LOGITS = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
TARGETS = torch.tensor([0, 2])
ROW_TERMS = (0.010869330887949386, 0.9635031878654445)


def test_focal_matches_hand_computed_binary_value():
    p_t = math.exp(2.0) / (math.exp(2.0) + 1.0)
    expected = (1.0 - p_t) ** 2 * -math.log(p_t)
    assert expected == pytest.approx(0.0018035628352403763)
    loss = FocalLoss(gamma=2.0)(torch.tensor([[2.0, 0.0]]), torch.tensor([0]))
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_focal_hand_computed_mean_sum_none_and_weighted():
    none = FocalLoss(gamma=2.0, reduction="none")(LOGITS, TARGETS)
    assert none.tolist() == pytest.approx(list(ROW_TERMS), rel=1e-6)
    assert FocalLoss(gamma=2.0)(LOGITS, TARGETS).item() == pytest.approx(0.48718625937669696, rel=1e-6)
    weights = torch.tensor([1.0, 2.0, 3.0])
    # Weighted mean divides by the summed target weights (1 + 3), like nn.CrossEntropyLoss.
    weighted = FocalLoss(gamma=2.0, weight=weights)(LOGITS, TARGETS)
    assert weighted.item() == pytest.approx((1 * ROW_TERMS[0] + 3 * ROW_TERMS[1]) / 4, rel=1e-6)
    assert weighted.item() == pytest.approx(0.7253447236210708, rel=1e-6)
    summed = FocalLoss(gamma=2.0, weight=weights, reduction="sum")(LOGITS, TARGETS)
    assert summed.item() == pytest.approx(2.9013788944842833, rel=1e-6)


@pytest.mark.parametrize("weight", [None, torch.tensor([0.5, 1.0, 2.5])])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_focal_gamma_zero_equals_cross_entropy(weight, reduction):
    torch.manual_seed(0)
    logits = torch.randn(16, 3, requires_grad=True)
    targets = torch.randint(0, 3, (16,))
    targets[3] = -100  # ignored like in nn.CrossEntropyLoss
    focal = FocalLoss(gamma=0.0, weight=weight, reduction=reduction)(logits, targets)
    ce = F.cross_entropy(logits, targets, weight=weight, reduction=reduction)
    torch.testing.assert_close(focal, ce)
    grad_focal = torch.autograd.grad(focal.sum(), logits)[0]
    grad_ce = torch.autograd.grad(ce.sum(), logits)[0]
    torch.testing.assert_close(grad_focal, grad_ce)


def test_focal_gamma_reduces_easy_example_loss():
    easy = torch.tensor([[4.0, 0.0]])
    ce = F.cross_entropy(easy, torch.tensor([0])).item()
    focal = FocalLoss(gamma=2.0)(easy, torch.tensor([0])).item()
    assert focal < ce / 100


@pytest.mark.parametrize("gamma", [0.25, 0.5])
@pytest.mark.parametrize("weight", [None, torch.tensor([0.5, 2.0])])
def test_focal_gradients_stay_finite_for_fractional_gamma_on_saturated_examples(gamma, weight):
    # p_t == 1 in float32: d(1 - p_t)**gamma / dp_t is infinite there for 0 < gamma < 1.
    logits = torch.tensor([[50.0, -50.0], [-50.0, 50.0], [30.0, -30.0], [0.3, -0.2]], requires_grad=True)
    targets = torch.tensor([0, 1, 0, 1])
    loss = FocalLoss(gamma=gamma, weight=weight)(logits, targets)
    (grad,) = torch.autograd.grad(loss, logits)
    assert torch.isfinite(loss)
    assert torch.isfinite(grad).all(), grad
    # The saturated rows contribute (numerically) nothing; the hard row still gets its gradient.
    assert grad[:3].abs().max() < 1e-12
    assert grad[3].abs().min() > 1e-3
    # Away from saturation the value is the textbook formula.
    p_t = torch.softmax(torch.tensor([0.3, -0.2]), dim=-1)[1]
    by_hand = -((1 - p_t) ** gamma) * torch.log(p_t) * (1.0 if weight is None else weight[1])
    normaliser = 4.0 if weight is None else float(weight[targets].sum())
    assert loss.item() == pytest.approx(by_hand.item() / normaliser, rel=1e-5)


def test_normalizer_is_what_the_mean_divides_by():
    torch.manual_seed(0)
    logits = torch.randn(12, 3)
    targets = torch.randint(0, 3, (12,))
    targets[5] = -100
    weight = torch.tensor([0.5, 1.0, 2.5])
    for loss in (FocalLoss(gamma=2.0, weight=weight), WeightedCrossEntropyLoss(weight=weight), FocalLoss()):
        summed = loss(logits, targets, reduction="sum")
        torch.testing.assert_close(summed / loss.normalizer(targets), loss(logits, targets))
        # Over two halves: the weighted mean of the whole is the summed sums over the summed normalisers.
        halves = [(logits[:4], targets[:4]), (logits[4:], targets[4:])]
        total = sum(loss.normalizer(t) for _, t in halves)
        torch.testing.assert_close(sum(loss(x, t, reduction="sum") for x, t in halves) / total, loss(logits, targets))
    bce = MultiLabelBCELoss(pos_weight=[1.0, 3.0, 2.0])
    multi_hot = (torch.rand(12, 3) > 0.5).long()
    torch.testing.assert_close(
        bce(logits, multi_hot, reduction="sum") / bce.normalizer(multi_hot), bce(logits, multi_hot)
    )


def test_weighted_ce_matches_torch():
    weight = torch.tensor([0.5, 1.0, 2.5])
    loss = WeightedCrossEntropyLoss(weight=weight)(LOGITS, TARGETS)
    torch.testing.assert_close(loss, F.cross_entropy(LOGITS, TARGETS, weight=weight))
    assert WeightedCrossEntropyLoss().get_config_dict() == {
        "weight": None,
        "reduction": "mean",
        "label_smoothing": 0.0,
    }


def test_multilabel_bce_pos_weight():
    logits = torch.tensor([[0.0, 1.0], [2.0, -1.0]])
    targets = torch.tensor([[1, 0], [1, 1]])
    pos_weight = torch.tensor([1.0, 4.0])
    loss = MultiLabelBCELoss(pos_weight=pos_weight)(logits, targets)
    # Element-wise: -[pw * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x))], averaged over the 4 elements.
    sig = torch.sigmoid(logits)
    by_hand = -(pos_weight * targets * sig.log() + (1 - targets) * (1 - sig).log()).mean()
    torch.testing.assert_close(loss, by_hand)
    with pytest.raises(ValueError, match="multi-hot labels shaped like the logits"):
        MultiLabelBCELoss()(logits, torch.tensor([0, 1]))


@pytest.mark.parametrize(
    ("name", "cls", "config_key"),
    [
        ("ce", WeightedCrossEntropyLoss, "weight"),
        ("weighted_ce", WeightedCrossEntropyLoss, "weight"),
        ("focal", FocalLoss, "weight"),
        ("bce", MultiLabelBCELoss, "pos_weight"),
    ],
)
def test_build_loss_table(name, cls, config_key):
    loss = build_loss(name, class_weights=torch.tensor([0.5, 1.5]), gamma=1.0)
    assert isinstance(loss, cls)
    config = loss.get_config_dict()
    assert config[config_key] == (None if name == "ce" else [0.5, 1.5])
    assert loss.citation.startswith("@inproceedings{")
    if name == "focal":
        assert config["gamma"] == 1.0
        assert "Focal Loss for Dense Object Detection" in loss.citation


def test_build_loss_errors():
    with pytest.raises(ValueError, match="Unknown loss 'hinge'; expected one of ce, weighted_ce, focal, bce"):
        build_loss("hinge")
    with pytest.raises(ValueError, match="needs class weights"):
        build_loss("weighted_ce")
    with pytest.raises(ValueError, match="gamma"):
        FocalLoss(gamma=-1.0)
    with pytest.raises(ValueError, match="finite, non-negative"):
        FocalLoss(weight=[1.0, float("inf")])
    with pytest.raises(ValueError, match="Unknown reduction 'avg'"):
        FocalLoss(reduction="avg")


def test_weights_follow_module_device_and_dtype():
    loss = FocalLoss(weight=[1.0, 2.0]).to(torch.float64)
    assert loss.weight.dtype == torch.float64
    # Non-persistent buffer: nothing lands in a model's state dict.
    assert "weight" not in loss.state_dict()
    value = loss(torch.tensor([[1.0, 0.0]], dtype=torch.bfloat16), torch.tensor([1]))
    assert torch.isfinite(value)
