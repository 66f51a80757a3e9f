"""Fusion of per-modality head logits for the multimodal task, with `SentiVFusionModel` in head-only mode.

The text head's 7-label logits and the speech head's 6-label logits of the same budget and seed go through the
fusion model (Disgust → Anger alignment, per-modality temperature, strategy). Temperatures are fitted on the
multimodal validation split; the ``concat_mlp`` head is a stacker and is trained on validation logits too, because
the heads' logits on their own training examples are over-confident and would teach it the wrong trust.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

logger = logging.getLogger(__name__)

CONCAT_MLP_STEPS = 200


def fuse_modalities(
    strategy: str,
    validation: tuple[np.ndarray, np.ndarray],
    validation_labels: np.ndarray,
    test: tuple[np.ndarray, np.ndarray],
    *,
    text_labels: list[str],
    speech_labels: list[str],
    seed: int = 0,
    confidence: str = "entropy",
) -> tuple[np.ndarray, dict, object]:
    """Fuse ``(text_logits, speech_logits)`` of the test split with one strategy.

    Args:
        strategy: ``average``, ``concat_mlp`` or ``uncertainty``.
        validation: raw ``(text_logits (N, 7), speech_logits (N, 6))`` on the multimodal validation split.
        validation_labels: ``(N,)`` speech-label ids of the validation split.
        test: the same pair on the test split.
        text_labels, speech_labels: label names in id order.
        seed: seeds the ``concat_mlp`` initialisation.
        confidence: the ``uncertainty`` strategy's per-sample confidence, ``entropy`` or ``max_prob``.

    Returns:
        ``(fused_logits (M, 6), info, model)``: ``info`` holds the fitted temperatures and the mean fusion weights;
        ``model`` is the fitted head-only `SentiVFusionModel` (`fusion_checkpoint` puts it on top of the text and
        speech models).

    Example:
        >>> fused, info = fuse_modalities("average", (vt, vs), vy, (tt, ts), text_labels=TEXT_LABELS,
        ...                               speech_labels=SPEECH_LABELS)  # doctest: +SKIP
    """
    from sentiv_hf.models.configuration_sentiv_fusion import SentiVFusionConfig
    from sentiv_hf.models.modeling_sentiv_fusion import SentiVFusionModel

    torch.manual_seed(seed)
    config = SentiVFusionConfig(
        fusion=strategy,
        confidence=confidence,
        text_labels=list(text_labels),
        id2label=dict(enumerate(speech_labels)),
        label2id={n: i for i, n in enumerate(speech_labels)},
    )
    model = SentiVFusionModel(config)
    vt, vs = (torch.as_tensor(a, dtype=torch.float32) for a in validation)
    tt, ts = (torch.as_tensor(a, dtype=torch.float32) for a in test)
    vy = torch.as_tensor(validation_labels, dtype=torch.long)
    temperatures = model.fit_temperature(vy, text_logits=vt, speech_logits=vs)
    info: dict = {"temperatures": {k: round(v, 4) for k, v in temperatures.items()}}
    if strategy == "concat_mlp":
        model.train()
        optimizer = torch.optim.AdamW(model.strategy.parameters(), lr=1e-2, weight_decay=1e-2)
        for _ in range(CONCAT_MLP_STEPS):
            loss = model(text_logits=vt, speech_logits=vs, labels=vy).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        info["concat_mlp_train_loss"] = round(float(loss.detach()), 4)
    model.eval()
    with torch.no_grad():
        out = model(text_logits=tt, speech_logits=ts)
    if out.fusion_weights is not None:
        info["mean_weights"] = {
            "text": round(float(out.fusion_weights[:, 0].mean()), 4),
            "speech": round(float(out.fusion_weights[:, 1].mean()), 4),
        }
    return out.logits.double().numpy(), info, model


def fusion_checkpoint(head_only, text_model, speech_model):
    """The full `SentiVFusionModel` (text model + speech model + the fitted fusion head and temperatures) whose
    ``forward`` on raw text and audio equals the head-only model on those models' logits.

    Example:
        >>> full = fusion_checkpoint(head_only, text_fit.model, speech_fit.model)  # doctest: +SKIP
        >>> full.save_pretrained("out/models/multimodal-...")  # doctest: +SKIP
    """
    from sentiv_hf.models.configuration_sentiv_fusion import SentiVFusionConfig
    from sentiv_hf.models.modeling_sentiv_fusion import SentiVFusionModel

    head_config = head_only.config.to_dict()
    keep = ("fusion", "confidence", "text_temperature", "speech_temperature", "label_merge")
    keep += ("mlp_hidden_size", "fusion_dropout")
    config = SentiVFusionConfig(
        text_config=text_model.config,
        speech_config=speech_model.config,
        id2label=head_only.config.id2label,
        label2id=head_only.config.label2id,
        **{k: head_config[k] for k in keep if k in head_config},
    )
    model = SentiVFusionModel(config)
    model.text_model.load_state_dict(text_model.state_dict())
    model.speech_model.load_state_dict(speech_model.state_dict())
    model.strategy.load_state_dict(head_only.strategy.state_dict())
    return model.eval()
