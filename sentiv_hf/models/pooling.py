"""Masked pooling over time: a small registry of strict names (``mean``, ``stats``, ``attentive``).

Every pooling module takes ``hidden`` of shape ``(batch, time, hidden)`` and a ``mask`` of shape ``(batch, time)``
(1 = real frame, 0 = padding; ``None`` means no padding) and returns ``(batch, output_size)``. Pooling is vectorised
with the mask, never a per-sample loop, so padded batches cost one kernel call.

Example:
    >>> import torch
    >>> pool = build_pooling("stats", hidden_size=4)
    >>> pool(torch.ones(2, 5, 4), torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])).shape
    torch.Size([2, 8])
"""

from __future__ import annotations

import torch
from torch import nn

# A floor for the variance so that sqrt has a finite gradient on constant inputs.
_VARIANCE_FLOOR = 1e-6


def _float_mask(hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return hidden.new_ones(hidden.shape[:2])
    if mask.shape != hidden.shape[:2]:
        raise ValueError(
            f"Pooling mask has shape {tuple(mask.shape)} but hidden states have {tuple(hidden.shape[:2])}."
        )
    return mask.to(hidden.dtype)


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over the real frames of ``hidden`` ``(B, T, H)`` (or ``(B, L, T, H)``), with ``mask`` ``(B, T)``.

    Example:
        >>> masked_mean(torch.tensor([[[1.0], [3.0], [100.0]]]), torch.tensor([[1, 1, 0]]))
        tensor([[2.]])
    """
    if mask is None:
        return hidden.mean(dim=-2)
    weights = mask.to(hidden.dtype)
    if hidden.dim() == 4:  # (B, L, T, H): one mask shared by every layer
        weights = weights[:, None]
    # clamp: an all-padding row yields zeros instead of NaN
    return (hidden * weights.unsqueeze(-1)).sum(dim=-2) / weights.sum(dim=-1, keepdim=True).clamp(min=1.0)


def masked_mean_std(
    hidden: torch.Tensor, mask: torch.Tensor | None = None, weights: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted mean and standard deviation over time; ``weights`` ``(B, T)`` sum to 1 over real frames."""
    if weights is None:
        frame_mask = _float_mask(hidden, mask)
        weights = frame_mask / frame_mask.sum(dim=1, keepdim=True).clamp(min=1.0)
    mean = (hidden * weights.unsqueeze(-1)).sum(dim=1)
    var = (weights.unsqueeze(-1) * (hidden - mean.unsqueeze(1)).pow(2)).sum(dim=1)
    return mean, var.clamp(min=_VARIANCE_FLOOR).sqrt()


class MeanPooling(nn.Module):
    """Masked mean over time (as in ``Wav2Vec2ForSequenceClassification``)."""

    def __init__(self, hidden_size: int, **kwargs) -> None:
        super().__init__()
        self.output_size = hidden_size

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return masked_mean(hidden, mask)


class StatsPooling(nn.Module):
    """Statistics pooling: masked mean and standard deviation, concatenated (x-vector style)."""

    def __init__(self, hidden_size: int, **kwargs) -> None:
        super().__init__()
        self.output_size = 2 * hidden_size

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return torch.cat(masked_mean_std(hidden, mask), dim=-1)


class AttentiveStatsPooling(nn.Module):
    """Attentive statistics pooling (Okabe et al., 2018): frame weights from a small MLP, masked softmax, then the
    weighted mean and standard deviation."""

    citation = "Okabe, Koshinaka, Shinoda. Attentive Statistics Pooling for Deep Speaker Embedding. Interspeech 2018."

    def __init__(self, hidden_size: int, attention_hidden_size: int = 128, **kwargs) -> None:
        super().__init__()
        self.output_size = 2 * hidden_size
        self.attention = nn.Sequential(
            nn.Linear(hidden_size, attention_hidden_size), nn.Tanh(), nn.Linear(attention_hidden_size, 1)
        )

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        scores = self.attention(hidden).squeeze(-1)
        frame_mask = _float_mask(hidden, mask)
        scores = scores.masked_fill(frame_mask == 0, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=-1) * frame_mask
        return torch.cat(masked_mean_std(hidden, weights=weights), dim=-1)


POOLING_REGISTRY: dict[str, type[nn.Module]] = {
    "mean": MeanPooling,
    "stats": StatsPooling,
    "attentive": AttentiveStatsPooling,
}


def build_pooling(name: str, hidden_size: int, **kwargs) -> nn.Module:
    """Build the pooling module registered under ``name`` (``mean``, ``stats`` or ``attentive``).

    Example:
        >>> build_pooling("mean", hidden_size=8).output_size
        8
    """
    if name not in POOLING_REGISTRY:
        raise ValueError(f"Unknown pooling {name!r}; choose one of {sorted(POOLING_REGISTRY)}.")
    return POOLING_REGISTRY[name](hidden_size, **kwargs)
