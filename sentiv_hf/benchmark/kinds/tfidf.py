"""``baseline:tfidf-logreg``: word + character n-gram TF-IDF and a class-balanced logistic regression (text)."""

from __future__ import annotations

from dataclasses import dataclass

from . import register_kind
from .base import ModelSpec


@register_kind
@dataclass(frozen=True)
class TfidfBaseline(ModelSpec):
    kind = "tfidf"
    is_baseline = True
    fusion_tag = "tfidf"

    @classmethod
    def parse(cls, spec: str, revisions: dict[str, str]) -> ModelSpec | None:
        return cls(spec, frozenset({"text"})) if spec == "baseline:tfidf-logreg" else None

    def baseline_inputs(self, split, features):
        return split.texts  # the vectoriser is fitted once per budget and seed, on its texts: nothing is cached

    def pipeline_builder(self):
        from ..baselines import build_tfidf_logreg

        return build_tfidf_logreg
