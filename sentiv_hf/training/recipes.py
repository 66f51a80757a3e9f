"""The SentiV training recipes per modality, used by the benchmark (frozen heads and fine-tuning alike).

* text (PhoBERT): focal loss with class reweighting, and oversampling of the rare classes;
* speech (HuBERT-large): weighted cross-entropy with a class-balanced weighted sampler;
* multi-label heads (hotline fine-grained types): BCE with per-label positive weights, random sampling.

Example:
    >>> recipe("text")
    {'loss': 'focal', 'class_weighting': 'inverse', 'sampler': 'oversample'}
    >>> recipe("speech", multi_label=True)["loss"]
    'bce'
"""

from __future__ import annotations

RECIPES: dict[str, dict[str, str]] = {
    "text": {"loss": "focal", "class_weighting": "inverse", "sampler": "oversample"},
    "speech": {"loss": "weighted_ce", "class_weighting": "inverse", "sampler": "weighted"},
    "multi_label": {"loss": "bce", "class_weighting": "inverse", "sampler": "random"},
}


def recipe(modality: str, multi_label: bool = False) -> dict[str, str]:
    """`SentiVTrainingArguments` fields (loss, class weighting, sampler) of the SentiV recipe for ``modality``."""
    if modality not in ("text", "speech"):
        raise ValueError(f"Unknown modality {modality!r}; choose 'text' or 'speech'.")
    return dict(RECIPES["multi_label" if multi_label else modality])


__all__ = ["RECIPES", "recipe"]
