"""Data collators for the SentiV Trainer. Text and speech use `transformers.DataCollatorWithPadding`; fusion
examples hold both halves, so they get `FusionCollator`."""

from __future__ import annotations

from typing import Any

import torch


class FusionCollator:
    """Pads the text (tokenizer.pad) and the audio (feature_extractor.pad) halves of fusion examples.

    Args:
        tokenizer: the text model's tokenizer.
        feature_extractor: the speech model's feature extractor.

    Returns batches with ``input_ids``, ``attention_mask``, ``input_values`` (or ``input_features``),
    ``audio_attention_mask`` and, when the examples have them, ``labels`` (float multi-hot or long ids).

    Example:
        >>> collate = FusionCollator(tokenizer, feature_extractor)  # doctest: +SKIP
        >>> batch = collate([split[0], split[1]])  # doctest: +SKIP
    """

    def __init__(self, tokenizer, feature_extractor):
        self.tokenizer = tokenizer
        self.feature_extractor = feature_extractor

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        text = self.tokenizer.pad(
            [{"input_ids": f["input_ids"], "attention_mask": f["attention_mask"]} for f in features],
            return_tensors="pt",
        )
        name = "input_features" if "input_features" in features[0] else "input_values"
        audio_items = [{name: f[name]} for f in features]
        for item, f in zip(audio_items, features):
            if "audio_attention_mask" in f:
                item["attention_mask"] = f["audio_attention_mask"]
        audio = self.feature_extractor.pad(audio_items, return_tensors="pt", return_attention_mask=True)
        batch = {
            "input_ids": text["input_ids"],
            "attention_mask": text["attention_mask"],
            name: audio[name],
            "audio_attention_mask": audio["attention_mask"],
        }
        if "labels" in features[0]:
            batch["labels"] = torch.as_tensor(
                [f["labels"] for f in features],
                dtype=torch.float32 if hasattr(features[0]["labels"], "__len__") else torch.long,
            )
        return batch
