"""Output dataclasses of the SentiV models (``ModelOutput`` subclasses, so they index like tuples and dicts)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers.utils import ModelOutput


@dataclass
class SpeechClassifierOutput(ModelOutput):
    """Output of `SentiVSpeechForAudioClassification`.

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*): classification loss, when `labels` are given.
        logits (`torch.FloatTensor` of shape `(batch_size, num_labels)`): scores before softmax/sigmoid. The binary
            head returns two columns `[0, z]`, so that softmax gives `sigmoid(z)` for label 1.
        embeddings (`torch.FloatTensor` of shape `(batch_size, classifier_proj_size)`): the pooled, projected
            utterance embedding that the classifier reads.
        hidden_states (`tuple(torch.FloatTensor)`, *optional*): encoder hidden states, one per layer plus the input
            embeddings, each `(batch_size, frames, hidden_size)`.
        attentions (`tuple(torch.FloatTensor)`, *optional*): encoder attention maps.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    embeddings: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


@dataclass
class SentiVFusionOutput(ModelOutput):
    """Output of `SentiVFusionModel`.

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*): cross-entropy of the fused logits, when `labels` are
            given.
        logits (`torch.FloatTensor` of shape `(batch_size, num_labels)`): fused scores in the speech label space
            (log-probabilities for `average`/`uncertainty`, raw scores for `concat_mlp`).
        text_logits (`torch.FloatTensor` of shape `(batch_size, num_labels)`, *optional*): text log-probabilities
            mapped onto the speech label space (after temperature scaling); `None` when text is missing.
        speech_logits (`torch.FloatTensor` of shape `(batch_size, num_labels)`, *optional*): speech logits after
            temperature scaling; `None` when audio is missing.
        fusion_weights (`torch.FloatTensor` of shape `(batch_size, 2)`, *optional*): weight of (text, speech) per
            sample; `(1, 0)` or `(0, 1)` when one modality is missing, `None` for `concat_mlp`.
        modalities (`tuple(str)`): the modalities that were used, e.g. `("text", "speech")` or `("speech",)`.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    text_logits: torch.FloatTensor | None = None
    speech_logits: torch.FloatTensor | None = None
    fusion_weights: torch.FloatTensor | None = None
    modalities: tuple[str, ...] | None = None


@dataclass
class SentiVContextOutput(ModelOutput):
    """Output of `SentiVContextModel`.

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*): classification loss averaged over the real, labelled
            segments, when `labels` are given.
        logits (`torch.FloatTensor` of shape `(batch_size, segments, num_labels)`): per-segment scores before
            softmax/sigmoid. The binary head returns two columns `[0, z]`, so that softmax gives `sigmoid(z)` for
            label 1. Rows of padded segments are meaningless.
        hidden_states (`torch.FloatTensor` of shape `(batch_size, segments, d_model)`): the context encoder's output
            per segment (what the classifier reads, before dropout).
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    hidden_states: torch.FloatTensor | None = None
