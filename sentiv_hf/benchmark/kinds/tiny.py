"""``tiny``: the small text and speech models built in code (offline; random encoders, locally trained tokenizer)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from . import register_kind
from .base import ModelSpec, Preprocessing


@register_kind
@dataclass(frozen=True)
class TinyModel(ModelSpec):
    kind = "tiny"

    @classmethod
    def parse(cls, spec: str, revisions: dict[str, str]) -> ModelSpec | None:
        return cls("tiny", frozenset({"text", "speech"})) if spec == "tiny" else None

    def build(
        self,
        modality: str,
        label_names: list[str],
        *,
        seed: int,
        preprocessing: Preprocessing = Preprocessing(),
        multi_label: bool = False,
        train_texts: list[str] | None = None,
    ) -> tuple[Any, Any]:
        from sentiv_hf.training.model_factory import build_speech_model, build_text_model

        if modality == "text":
            if not train_texts:
                raise ValueError("The tiny text model needs training texts for its tokenizer (the text train split).")
            return build_text_model(
                "tiny",
                label_names,
                train_split={"text": list(train_texts)},
                text_column="text",
                segmenter=preprocessing.word_segmenter,
                max_length=preprocessing.text_max_length,
                seed=seed,
            )
        args = SimpleNamespace(model="tiny", encoder="hubert", pooling=None, revision=None)
        model, extractor = build_speech_model(args, label_names, multi_label, seed)
        model.config.max_duration_s = float(preprocessing.max_seconds)
        return model, extractor

    def provenance(self, modality: str) -> dict[str, Any]:
        # Built in code: the builder's code path and its seed identify the weights (the tokenizer's training texts
        # are part of the text cache key through the split fingerprint and the segmenter).
        from sentiv_hf.models import tiny

        source = hashlib.sha256(open(tiny.__file__, "rb").read()).hexdigest()[:16]
        return {"builder": "sentiv_hf.models.tiny", "source_sha256": source}
