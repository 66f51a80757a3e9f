"""Classification losses for imbalanced emotion data: focal, class-weighted cross-entropy and multi-label BCE.

Every loss is an ``nn.Module`` taking ``(logits, labels)``, exposes ``get_config_dict()`` (what the model card and the
saved config record) and a BibTeX ``citation``. ``build_loss`` maps the ``--loss`` option of ``sentiv train`` to one
of them.

Example:
    >>> import torch
    >>> from sentiv_hf.training.losses import build_loss
    >>> loss_fct = build_loss("focal", class_weights=torch.tensor([0.5, 1.5]), gamma=2.0)
    >>> loss = loss_fct(torch.randn(4, 2), torch.tensor([0, 1, 1, 0]))
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

logger = logging.getLogger(__name__)

LOSS_NAMES = ("ce", "weighted_ce", "focal", "bce")
REDUCTIONS = ("mean", "sum", "none")

FOCAL_LOSS_CITATION = """@inproceedings{lin2017focal,
    title = {Focal Loss for Dense Object Detection},
    author = {Lin, Tsung-Yi and Goyal, Priya and Girshick, Ross and He, Kaiming and Doll{\\'a}r, Piotr},
    booktitle = {Proceedings of the IEEE International Conference on Computer Vision (ICCV)},
    pages = {2980--2988},
    year = {2017},
}"""

CLASS_BALANCED_CITATION = """@inproceedings{cui2019classbalanced,
    title = {Class-Balanced Loss Based on Effective Number of Samples},
    author = {Cui, Yin and Jia, Menglin and Lin, Tsung-Yi and Song, Yang and Belongie, Serge},
    booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
    pages = {9268--9277},
    year = {2019},
}"""


def _as_weight_tensor(weight: torch.Tensor | Sequence[float] | None, name: str) -> torch.Tensor | None:
    if weight is None:
        return None
    tensor = torch.as_tensor(weight, dtype=torch.float32).detach().clone()
    if tensor.ndim != 1:
        raise ValueError(f"`{name}` must be a 1-D tensor with one value per class, got shape {tuple(tensor.shape)}.")
    if not torch.isfinite(tensor).all() or (tensor < 0).any():
        raise ValueError(f"`{name}` must hold finite, non-negative values, got {tensor.tolist()}.")
    return tensor


def _check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"Unknown reduction {reduction!r}; expected one of {', '.join(REDUCTIONS)}.")
    return reduction


def _weight_list(weight: torch.Tensor | None) -> list[float] | None:
    return None if weight is None else [round(float(w), 6) for w in weight.tolist()]


def _target_weights(weight: torch.Tensor | None, labels: torch.Tensor, ignore_index: int) -> torch.Tensor:
    """``weight[label]`` per example (1 without weights), 0 for ignored targets: what a weighted mean divides by."""
    labels = labels.view(-1).long()
    valid = labels != ignore_index
    if weight is None:
        return valid.float()
    safe_labels = torch.where(valid, labels, torch.zeros_like(labels))
    return weight.to(labels.device, torch.float32)[safe_labels] * valid.float()


class FocalLoss(nn.Module):
    """Multi-class focal loss (Lin et al., 2017) with optional per-class weights (the paper's alpha).

    ``FL(p_t) = -alpha_t * (1 - p_t) ** gamma * log(p_t)``, where ``p_t`` is the softmax probability of the true class
    and ``alpha_t = weight[target]`` (1 when ``weight`` is None). ``gamma`` down-weights easy examples; with
    ``gamma=0`` the loss is exactly ``nn.CrossEntropyLoss(weight=weight)``, including its ``"mean"`` reduction, which
    divides by the summed weights of the (non-ignored) targets rather than by the batch size.

    Args:
        gamma: Focusing parameter (>= 0). 2.0 is the paper's default.
        weight: Optional per-class weights of shape ``(num_classes,)``, e.g. from ``compute_class_weights``.
        reduction: ``"mean"`` (weighted mean, as in ``nn.CrossEntropyLoss``), ``"sum"`` or ``"none"``.
        ignore_index: Target value that contributes nothing (the transformers convention, -100).

    Inputs:
        logits: ``(batch, num_classes)`` unnormalised scores.
        labels: ``(batch,)`` integer class ids.

    Example:
        >>> loss_fct = FocalLoss(gamma=2.0, weight=torch.tensor([1.0, 3.0]))
        >>> loss = loss_fct(torch.tensor([[2.0, 0.0]]), torch.tensor([0]))
    """

    citation = FOCAL_LOSS_CITATION

    def __init__(
        self,
        gamma: float = 2.0,
        weight: torch.Tensor | Sequence[float] | None = None,
        reduction: str = "mean",
        ignore_index: int = -100,
    ) -> None:
        super().__init__()
        if gamma < 0:
            raise ValueError(f"Focal loss `gamma` must be >= 0, got {gamma}.")
        self.gamma = float(gamma)
        self.reduction = _check_reduction(reduction)
        self.ignore_index = ignore_index
        # A non-persistent buffer follows the module across devices but stays out of the model's state dict.
        self.register_buffer("weight", _as_weight_tensor(weight, "weight"), persistent=False)

    def forward(self, logits: torch.Tensor, labels: torch.Tensor, reduction: str | None = None) -> torch.Tensor:
        """Loss of ``logits`` against ``labels``; ``reduction`` overrides the module's for this call."""
        reduction = self.reduction if reduction is None else _check_reduction(reduction)
        if logits.ndim != 2:
            raise ValueError(f"FocalLoss expects logits of shape (batch, num_classes), got {tuple(logits.shape)}.")
        labels = labels.view(-1).long()
        valid = labels != self.ignore_index
        safe_labels = torch.where(valid, labels, torch.zeros_like(labels))
        # log_softmax in float32 keeps (1 - p_t) ** gamma stable under bf16 autocast.
        log_probs = F.log_softmax(logits.float(), dim=-1)
        log_p_t = log_probs.gather(1, safe_labels.unsqueeze(1)).squeeze(1)
        # 1 - p_t via expm1 avoids cancellation when p_t is close to 1 (the easy examples focal loss is about). The
        # floor at the smallest normal float keeps d(x**gamma)/dx = gamma * x**(gamma - 1) finite for 0 < gamma < 1
        # on saturated examples (x == 0 gives inf * 0 = NaN); below the floor clamp passes no gradient, and the
        # loss changes by at most tiny**gamma * -log(p_t), with -log(p_t) itself below tiny.
        one_minus_p_t = (-torch.expm1(log_p_t)).clamp(min=torch.finfo(log_p_t.dtype).tiny)
        # gamma == 0 skips the power: it is exactly cross-entropy.
        loss = -log_p_t if self.gamma == 0 else -(one_minus_p_t**self.gamma) * log_p_t
        # Weights follow the logits' device so a loss built before `Trainer` moved the model still works.
        weight = self.weight.to(device=loss.device, dtype=loss.dtype) if self.weight is not None else None
        alpha_t = weight[safe_labels] if weight is not None else torch.ones_like(loss)
        alpha_t = alpha_t * valid.to(alpha_t.dtype)
        loss = loss * alpha_t
        if reduction == "none":
            return loss
        if reduction == "sum":
            return loss.sum()
        return loss.sum() / alpha_t.sum()

    def normalizer(self, labels: torch.Tensor) -> torch.Tensor:
        """What the ``"mean"`` reduction divides the ``"sum"`` by: the summed weights of the non-ignored targets.

        Over several batches (gradient accumulation, DDP ranks) the weighted mean of the whole is the sum of their
        ``"sum"`` losses divided by the sum of their normalizers.

        Example:
            >>> FocalLoss(weight=torch.tensor([1.0, 3.0])).normalizer(torch.tensor([0, 1, 1]))
            tensor(7.)
        """
        return _target_weights(self.weight, labels, self.ignore_index).sum()

    def get_config_dict(self) -> dict[str, Any]:
        """The hyperparameters recorded in model cards and saved configs."""
        return {"gamma": self.gamma, "weight": _weight_list(self.weight), "reduction": self.reduction}


class WeightedCrossEntropyLoss(nn.Module):
    """Cross-entropy with optional per-class weights (class-balanced weighting as in Cui et al., 2019).

    A thin wrapper around ``torch.nn.functional.cross_entropy`` that carries its weights as a buffer and reports them
    through ``get_config_dict()``. Without ``weight`` it is plain cross-entropy.

    Args:
        weight: Optional per-class weights of shape ``(num_classes,)``, e.g. from ``compute_class_weights``.
        reduction: ``"mean"`` (divides by the summed target weights), ``"sum"`` or ``"none"``.
        ignore_index: Target value that contributes nothing (-100).
        label_smoothing: Passed to ``cross_entropy``.

    Inputs:
        logits: ``(batch, num_classes)``; labels: ``(batch,)`` integer class ids.

    Example:
        >>> loss_fct = WeightedCrossEntropyLoss(weight=torch.tensor([0.5, 1.5]))
        >>> loss = loss_fct(torch.tensor([[2.0, 0.0]]), torch.tensor([1]))
    """

    citation = CLASS_BALANCED_CITATION

    def __init__(
        self,
        weight: torch.Tensor | Sequence[float] | None = None,
        reduction: str = "mean",
        ignore_index: int = -100,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        self.reduction = _check_reduction(reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = float(label_smoothing)
        self.register_buffer("weight", _as_weight_tensor(weight, "weight"), persistent=False)

    def forward(self, logits: torch.Tensor, labels: torch.Tensor, reduction: str | None = None) -> torch.Tensor:
        """Loss of ``logits`` against ``labels``; ``reduction`` overrides the module's for this call."""
        weight = self.weight.to(logits.device, torch.float32) if self.weight is not None else None
        return F.cross_entropy(
            logits.float(),
            labels.view(-1).long(),
            weight=weight,
            reduction=self.reduction if reduction is None else _check_reduction(reduction),
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
        )

    def normalizer(self, labels: torch.Tensor) -> torch.Tensor:
        """What the ``"mean"`` reduction divides the ``"sum"`` by: the summed weights of the non-ignored targets.

        Example:
            >>> WeightedCrossEntropyLoss(weight=torch.tensor([0.5, 1.5])).normalizer(torch.tensor([0, 1, -100]))
            tensor(2.)
        """
        return _target_weights(self.weight, labels, self.ignore_index).sum()

    def get_config_dict(self) -> dict[str, Any]:
        """The hyperparameters recorded in model cards and saved configs."""
        return {
            "weight": _weight_list(self.weight),
            "reduction": self.reduction,
            "label_smoothing": self.label_smoothing,
        }


class MultiLabelBCELoss(nn.Module):
    """Binary cross-entropy over independent sigmoid outputs, for multi-label emotion targets.

    Wraps ``torch.nn.functional.binary_cross_entropy_with_logits``; ``pos_weight[c]`` multiplies the positive term of
    class ``c`` so that rare emotions are not drowned out (the sigmoid variant of class-balanced loss, Cui et al.,
    2019).

    Args:
        pos_weight: Optional per-class weights of shape ``(num_classes,)`` for positive targets.
        reduction: ``"mean"`` (over every element), ``"sum"`` or ``"none"``.

    Inputs:
        logits: ``(batch, num_classes)``; labels: ``(batch, num_classes)`` multi-hot (0/1, any dtype).

    Example:
        >>> loss_fct = MultiLabelBCELoss(pos_weight=torch.tensor([1.0, 4.0]))
        >>> loss = loss_fct(torch.zeros(2, 2), torch.tensor([[1, 0], [1, 1]]))
    """

    citation = CLASS_BALANCED_CITATION

    def __init__(self, pos_weight: torch.Tensor | Sequence[float] | None = None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _check_reduction(reduction)
        self.register_buffer("pos_weight", _as_weight_tensor(pos_weight, "pos_weight"), persistent=False)

    def forward(self, logits: torch.Tensor, labels: torch.Tensor, reduction: str | None = None) -> torch.Tensor:
        """Loss of ``logits`` against ``labels``; ``reduction`` overrides the module's for this call."""
        if labels.shape != logits.shape:
            raise ValueError(
                f"MultiLabelBCELoss expects multi-hot labels shaped like the logits {tuple(logits.shape)}, got "
                f"{tuple(labels.shape)}; use loss='ce', 'weighted_ce' or 'focal' for single-label targets."
            )
        pos_weight = self.pos_weight.to(logits.device, torch.float32) if self.pos_weight is not None else None
        return F.binary_cross_entropy_with_logits(
            logits.float(),
            labels.float(),
            pos_weight=pos_weight,
            reduction=self.reduction if reduction is None else _check_reduction(reduction),
        )

    def normalizer(self, labels: torch.Tensor) -> torch.Tensor:
        """What the ``"mean"`` reduction divides the ``"sum"`` by: the number of (example, class) entries.

        Example:
            >>> MultiLabelBCELoss().normalizer(torch.zeros(4, 3))
            tensor(12.)
        """
        return torch.tensor(float(labels.numel()), device=labels.device)

    def get_config_dict(self) -> dict[str, Any]:
        """The hyperparameters recorded in model cards and saved configs."""
        return {"pos_weight": _weight_list(self.pos_weight), "reduction": self.reduction}


def build_loss(
    name: str,
    *,
    class_weights: torch.Tensor | Sequence[float] | None = None,
    gamma: float = 2.0,
    reduction: str = "mean",
) -> nn.Module:
    """Build the loss selected by ``--loss``.

    Args:
        name: ``"ce"`` (plain cross-entropy; ``class_weights`` is ignored with a warning), ``"weighted_ce"``
            (requires ``class_weights``), ``"focal"`` (``class_weights`` optional, used as alpha) or ``"bce"``
            (multi-label; ``class_weights`` optional, used as ``pos_weight``).
        class_weights: Per-class weights, e.g. ``compute_class_weights(train_labels, num_classes, "inverse")``.
        gamma: Focal-loss focusing parameter.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The loss module.

    Example:
        >>> build_loss("weighted_ce", class_weights=[0.5, 1.5]).get_config_dict()["weight"]
        [0.5, 1.5]
    """
    if name not in LOSS_NAMES:
        raise ValueError(f"Unknown loss {name!r}; expected one of {', '.join(LOSS_NAMES)}.")
    if name == "ce":
        if class_weights is not None:
            logger.warning("loss='ce' ignores class weights; use loss='weighted_ce' or 'focal' to apply them.")
        return WeightedCrossEntropyLoss(weight=None, reduction=reduction)
    if name == "weighted_ce":
        if class_weights is None:
            raise ValueError(
                "loss='weighted_ce' needs class weights; pass class_weights= (e.g. class_weighting='inverse') "
                "or use loss='ce'."
            )
        return WeightedCrossEntropyLoss(weight=class_weights, reduction=reduction)
    if name == "focal":
        return FocalLoss(gamma=gamma, weight=class_weights, reduction=reduction)
    return MultiLabelBCELoss(pos_weight=class_weights, reduction=reduction)
