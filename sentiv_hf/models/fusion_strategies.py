"""Late-fusion building blocks: label alignment (text 7 → speech 6 by name), confidence measures, the fusion
strategy registry (``average``, ``concat_mlp``, ``uncertainty``) and temperature fitting.

All functions work on plain tensors so the benchmark can fuse cached logits without building a model.

Example:
    >>> text_probs = torch.tensor([[0.1, 0.5, 0.1, 0.1, 0.1, 0.05, 0.05]])  # 7 text labels, Disgust = 0.5
    >>> aligned = align_text_probs(text_probs, TEXT, SPEECH)                   # Anger gets 0.1 + 0.5
    >>> fused, weights = fuse_probs(aligned, speech_probs, strategy="uncertainty", confidence="entropy")
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from .configuration_sentiv_fusion import DEFAULT_LABEL_MERGE, label_alignment_pairs

_EPS = 1e-8


def _as_names(labels: Mapping | Sequence[str]) -> list[str]:
    if isinstance(labels, Mapping):
        return [labels[k] for k in sorted(labels, key=int)]
    return list(labels)


def label_alignment_matrix(
    text_labels: Mapping | Sequence[str], speech_labels: Mapping | Sequence[str], label_merge: Mapping | None = None
) -> torch.Tensor:
    """0/1 matrix ``(n_text, n_speech)`` sending each text label to its speech label (by name).

    Example:
        >>> label_alignment_matrix(["Anger", "Disgust"], ["Anger"]).tolist()
        [[1.0], [1.0]]
    """
    merge = DEFAULT_LABEL_MERGE if label_merge is None else dict(label_merge)
    text_names, speech_names = _as_names(text_labels), _as_names(speech_labels)
    targets = label_alignment_pairs(text_names, speech_names, merge)
    matrix = torch.zeros(len(text_names), len(speech_names))
    matrix[torch.arange(len(text_names)), torch.tensor(targets)] = 1.0
    return matrix


def align_text_probs(
    text_probs: torch.Tensor,
    text_id2label: Mapping | Sequence[str],
    speech_id2label: Mapping | Sequence[str],
    label_merge: Mapping | None = None,
) -> torch.Tensor:
    """Map text probabilities ``(B, n_text)`` onto the speech label space ``(B, n_speech)`` by label names;
    merged labels (Disgust) add their probability to the target (Anger).

    Args:
        text_probs: probabilities over the text labels.
        text_id2label: text ``id2label`` (or names in id order).
        speech_id2label: speech ``id2label`` (or names in id order).
        label_merge: ``{text name: speech name}``; defaults to ``{"Disgust": "Anger"}``.

    Example:
        >>> align_text_probs(torch.tensor([[0.2, 0.3, 0.5]]), ["Anger", "Disgust", "Fear"], ["Anger", "Fear"])
        tensor([[0.5000, 0.5000]])
    """
    matrix = label_alignment_matrix(text_id2label, speech_id2label, label_merge).to(text_probs)
    return text_probs @ matrix


def confidence_scores(probs: torch.Tensor, kind: str = "entropy") -> torch.Tensor:
    """Per-sample confidence in ``[0, 1]``: ``entropy`` = 1 - H(p)/log K, ``max_prob`` = max p.

    Example:
        >>> confidence_scores(torch.tensor([[1.0, 0.0], [0.5, 0.5]]), "entropy")
        tensor([1., 0.])
    """
    if kind == "max_prob":
        return probs.max(dim=-1).values
    if kind == "entropy":
        entropy = -(probs * probs.clamp(min=_EPS).log()).sum(dim=-1)
        return (1.0 - entropy / math.log(probs.shape[-1])).clamp(0.0, 1.0)
    raise ValueError(f"Unknown confidence {kind!r}; choose one of ['entropy', 'max_prob'].")


def _weights(text_probs: torch.Tensor, speech_probs: torch.Tensor, strategy: str, confidence: str) -> torch.Tensor:
    if strategy == "average":
        return text_probs.new_full((text_probs.shape[0], 2), 0.5)
    conf = torch.stack([confidence_scores(text_probs, confidence), confidence_scores(speech_probs, confidence)], -1)
    conf = conf + _EPS  # two fully uncertain modalities get equal weights instead of 0/0
    return conf / conf.sum(dim=-1, keepdim=True)


def fuse_probs(
    text_probs: torch.Tensor, speech_probs: torch.Tensor, strategy: str = "uncertainty", confidence: str = "entropy"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fuse two probability tensors of the same label space with ``average`` or ``uncertainty`` weighting.

    Returns ``(fused_probs (B, K), weights (B, 2))`` where weights are (text, speech) per sample.

    Example:
        >>> fused, w = fuse_probs(torch.tensor([[0.9, 0.1]]), torch.tensor([[0.5, 0.5]]), "uncertainty", "max_prob")
        >>> w  # the confident text modality weighs more
        tensor([[0.6429, 0.3571]])
    """
    if strategy not in ("average", "uncertainty"):
        raise ValueError(f"fuse_probs supports 'average' and 'uncertainty', got {strategy!r} (concat_mlp is trained).")
    weights = _weights(text_probs, speech_probs, strategy, confidence)
    fused = weights[:, :1] * text_probs + weights[:, 1:] * speech_probs
    return fused, weights


class _ProbabilityFusion(nn.Module):
    """Weighted mean of the calibrated probabilities (`fuse_probs` with ``strategy``), as log-probabilities."""

    strategy: str

    def __init__(self, num_labels: int, confidence: str = "entropy", **kwargs) -> None:
        super().__init__()
        self.confidence = confidence

    def forward(self, text_logprobs: torch.Tensor, speech_logprobs: torch.Tensor):
        fused, weights = fuse_probs(text_logprobs.exp(), speech_logprobs.exp(), self.strategy, self.confidence)
        return fused.clamp(min=_EPS).log(), weights


class AverageFusion(_ProbabilityFusion):
    """Mean of the calibrated probabilities."""

    strategy = "average"


class UncertaintyFusion(_ProbabilityFusion):
    """Per-sample weights proportional to each modality's confidence, so the less reliable one counts less."""

    strategy = "uncertainty"


class ConcatMLPFusion(nn.Module):
    """Trainable MLP over the concatenated (text, speech) log-probability vectors; returns raw logits."""

    def __init__(self, num_labels: int, hidden_size: int = 64, dropout: float = 0.1, **kwargs) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(2 * num_labels, hidden_size), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden_size, num_labels)
        )

    def forward(self, text_logprobs: torch.Tensor, speech_logprobs: torch.Tensor):
        return self.mlp(torch.cat([text_logprobs, speech_logprobs], dim=-1)), None


FUSION_STRATEGIES: dict[str, type[nn.Module]] = {
    "average": AverageFusion,
    "concat_mlp": ConcatMLPFusion,
    "uncertainty": UncertaintyFusion,
}


def build_fusion_strategy(name: str, num_labels: int, **kwargs) -> nn.Module:
    """Build the strategy registered under ``name`` (``average``, ``concat_mlp`` or ``uncertainty``).

    Example:
        >>> build_fusion_strategy("concat_mlp", num_labels=6, hidden_size=16)
    """
    if name not in FUSION_STRATEGIES:
        raise ValueError(f"Unknown fusion {name!r}; choose one of {sorted(FUSION_STRATEGIES)}.")
    return FUSION_STRATEGIES[name](num_labels, **kwargs)


def temperature_nll(
    logits: torch.Tensor, labels: torch.Tensor, temperature: float, alignment: torch.Tensor | None = None
) -> float:
    """Mean negative log-likelihood of ``labels`` under ``softmax(logits / T)`` (mapped through ``alignment``)."""
    with torch.no_grad():
        return float(_nll(logits.float(), labels.long(), torch.tensor(float(temperature)).log(), alignment))


def calibrated_log_probs(
    logits: torch.Tensor, temperature: float | torch.Tensor, alignment: torch.Tensor | None = None
) -> torch.Tensor:
    """Log of ``softmax(logits / temperature)``, mapped through ``alignment`` ``(C, K)`` when given.

    The fusion model's forward and `fit_temperature` both use this, so the temperature is fitted on exactly the
    quantity that is fused.

    Example:
        >>> calibrated_log_probs(torch.zeros(1, 3), 1.0, label_alignment_matrix(["Anger", "Disgust", "Fear"],
        ...     ["Anger", "Fear"])).exp()
        tensor([[0.6667, 0.3333]])
    """
    scaled = logits / temperature
    if alignment is None:
        return torch.log_softmax(scaled, dim=-1)
    probs = torch.softmax(scaled, dim=-1) @ alignment.to(scaled)
    return probs.clamp(min=_EPS).log()


def _nll(logits, labels, log_t, alignment):
    return nn.functional.nll_loss(calibrated_log_probs(logits, log_t.exp(), alignment), labels)


def fit_temperature(
    logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    alignment: torch.Tensor | None = None,
    max_iter: int = 100,
    init: float = 1.0,
) -> float:
    """Fit one temperature ``T`` minimising the NLL of ``softmax(logits / T)`` on held-out data (LBFGS on log T).

    Args:
        logits: ``(N, C)`` validation logits of one modality.
        labels: ``(N,)`` class ids (in the aligned space when ``alignment`` is given).
        alignment: optional ``(C, K)`` matrix (e.g. `label_alignment_matrix`) applied to the probabilities first,
            to calibrate text logits against 6-label speech targets.
        max_iter: LBFGS iterations.
        init: starting temperature.

    Returns:
        The fitted temperature (> 0).

    Example:
        >>> t = fit_temperature(val_logits, val_labels)
        >>> temperature_nll(val_logits, val_labels, t) <= temperature_nll(val_logits, val_labels, 1.0)
        True
    """
    logits = logits.detach().float()
    labels = labels.detach().long()
    log_t = torch.tensor(math.log(init), requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = _nll(logits, labels, log_t, alignment)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


__all__ = [
    "FUSION_STRATEGIES",
    "align_text_probs",
    "build_fusion_strategy",
    "calibrated_log_probs",
    "confidence_scores",
    "fit_temperature",
    "fuse_probs",
    "label_alignment_matrix",
    "temperature_nll",
]
