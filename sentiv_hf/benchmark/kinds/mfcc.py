"""``baseline:mfcc-logreg``: MFCC + delta statistics and a class-balanced logistic regression (speech)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import register_kind
from .base import ModelSpec


@register_kind
@dataclass(frozen=True)
class MfccBaseline(ModelSpec):
    kind = "mfcc"
    is_baseline = True
    fusion_tag = "mfcc"

    @classmethod
    def parse(cls, spec: str, revisions: dict[str, str]) -> ModelSpec | None:
        return cls(spec, frozenset({"speech"})) if spec == "baseline:mfcc-logreg" else None

    def pipeline_builder(self):
        from ..baselines import build_mfcc_logreg

        return build_mfcc_logreg

    def baseline_inputs(self, split, features):
        return features(split)

    def feature_preprocessing(self, provider, modality: str, base) -> dict[str, Any]:
        return {}

    def extract(self, provider, modality: str, data, base, max_seconds: float | None = None):
        return provider.mfcc(self, data)  # statistics of the full clip: no crop

    def provenance(self, modality: str) -> dict[str, Any]:
        return {"mfcc": "20+d+dd mean/std, 16 kHz, full clip", "version": 1}
