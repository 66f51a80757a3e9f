"""``tiny``: the small text and speech models built in code (offline; random encoders, locally trained tokenizer)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import register_kind
from .base import ModelSpec


@register_kind
@dataclass(frozen=True)
class TinyModel(ModelSpec):
    kind = "tiny"
    trains_tokenizer = True

    @classmethod
    def parse(cls, spec: str, revisions: dict[str, str]) -> ModelSpec | None:
        # model_id "tiny" is what the shared builders (`sentiv_hf.training.model_factory`) build in code.
        return cls("tiny", frozenset({"text", "speech"}), "tiny") if spec == "tiny" else None

    def provenance(self, modality: str) -> dict[str, Any]:
        # Built in code: the builder's code path and its seed identify the weights (the tokenizer's training texts
        # are part of the text cache key through the tokenizer fingerprint).
        return {"builder": "sentiv_hf.models.tiny", "source_sha256": _tiny_source_hash()}


@cache
def _tiny_source_hash() -> str:
    from sentiv_hf.models import tiny

    with open(tiny.__file__, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:16]
