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
) -> tuple[np.ndarray, dict]:
    """Fuse ``(text_logits, speech_logits)`` of the test split with one strategy.

    Args:
        strategy: ``average``, ``concat_mlp`` or ``uncertainty``.
        validation: raw ``(text_logits (N, 7), speech_logits (N, 6))`` on the multimodal validation split.
        validation_labels: ``(N,)`` speech-label ids of the validation split.
        test: the same pair on the test split.
        text_labels, speech_labels: label names in id order.
        seed: seeds the ``concat_mlp`` initialisation.

    Returns:
        ``(fused_logits (M, 6), info)`` with the fitted temperatures and the mean fusion weights.

    Example:
        >>> fused, info = fuse_modalities("average", (vt, vs), vy, (tt, ts), text_labels=TEXT_LABELS,
        ...                               speech_labels=SPEECH_LABELS)  # doctest: +SKIP
    """
    from sentiv_hf.models.configuration_sentiv_fusion import SentiVFusionConfig
    from sentiv_hf.models.modeling_sentiv_fusion import SentiVFusionModel

    torch.manual_seed(seed)
    config = SentiVFusionConfig(
        fusion=strategy,
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
    return out.logits.double().numpy(), info
