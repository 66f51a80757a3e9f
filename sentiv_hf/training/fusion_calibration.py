"""Calibrating a fusion model: one temperature per modality, fitted on the validation split *before* the fusion head
(``concat_mlp``) is trained, so that the head learns on the calibrated inputs it sees at inference.

`SentiVFusionModel.fit_temperature` is the shared primitive (the benchmark calls it on cached validation logits);
`fit_fusion_temperatures` feeds it the validation logits of a `SentiVTrainer`'s fusion model.
"""

from __future__ import annotations

import logging

import torch
from torch.utils.data import DataLoader

logger = logging.getLogger(__name__)


def fit_fusion_temperatures(trainer, validation) -> dict[str, float]:
    """Fit each modality's temperature on the validation split's raw per-modality logits (stored in the config).

    Call it before ``trainer.train()``: the fused inputs of the ``concat_mlp`` head are the temperature-scaled
    log-probabilities, so a head trained at the default temperatures would be fed differently scaled inputs once
    they are fitted. The sub-models are frozen, so their validation logits do not change during training.

    Args:
        trainer: the `SentiVTrainer` holding the fusion model, its collator and its card data (the temperatures
            are added to the card's hyperparameters).
        validation: the prepared validation split: model inputs (``input_ids``, ``input_values``, ...) or, for a
            head-only model, precomputed ``text_logits`` / ``speech_logits``; and ``labels`` (or ``label``).

    Returns the fitted temperatures, e.g. ``{"text_temperature": 1.3, "speech_temperature": 0.9}``.

    Example:
        >>> fit_fusion_temperatures(trainer, prepared["validation"])  # doctest: +SKIP
        >>> trainer.train()  # doctest: +SKIP
    """
    model = trainer.model
    model.eval()
    labels, text_logits, speech_logits = [], [], []
    with torch.no_grad():
        # A plain (unsharded) loader: under DDP every rank sees the whole split and fits the same temperatures.
        loader = DataLoader(validation, batch_size=trainer.args.eval_batch_size, collate_fn=trainer.data_collator)
        for batch in loader:
            batch = {k: v.to(trainer.args.device) if torch.is_tensor(v) else v for k, v in batch.items()}
            labels.append((batch.pop("labels") if "labels" in batch else batch.pop("label")).cpu())
            # fit_temperature wants the raw per-modality logits (the fused output holds calibrated log-probs).
            text, speech = model.modality_logits(
                input_ids=batch.get("input_ids") if model.text_model is not None else None,
                attention_mask=batch.get("attention_mask"),
                input_values=batch.get("input_values") if model.speech_model is not None else None,
                audio_attention_mask=batch.get("audio_attention_mask"),
                input_features=batch.get("input_features") if model.speech_model is not None else None,
            )
            text = batch.get("text_logits", text)
            speech = batch.get("speech_logits", speech)
            if text is not None:
                text_logits.append(text.float().cpu())
            if speech is not None:
                speech_logits.append(speech.float().cpu())
    temperatures = model.fit_temperature(
        torch.cat(labels),
        text_logits=torch.cat(text_logits) if text_logits else None,
        speech_logits=torch.cat(speech_logits) if speech_logits else None,
    )
    trainer.card_data.hyperparameters.update({k: round(float(v), 4) for k, v in temperatures.items()})
    logger.info("Fusion temperatures fitted on validation: %s", temperatures)
    return temperatures
