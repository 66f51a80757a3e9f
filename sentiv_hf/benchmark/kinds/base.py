"""`ModelSpec`: what every model kind of the benchmark provides.

A kind is one file in this folder that subclasses `ModelSpec` and registers itself with `register_kind`. Neural
kinds build their model with the same builders as ``sentiv train`` (`sentiv_hf.training.model_factory`); baselines
fit scikit-learn pipelines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class ModelSpec:
    """A parsed ``models:`` entry.

    Attributes:
        name: the name shown in tables and results (``tiny``, ``baseline:tfidf-logreg``, ``vinai/phobert-base``).
        modalities: ``{"text"}``, ``{"speech"}`` or both (``tiny``).
        model_id: checkpoint id or folder (checkpoint kinds only).
        revision: Hub revision of ``model_id``.
    """

    name: str
    modalities: frozenset[str]
    model_id: str | None = None
    revision: str | None = None

    #: the registry key, e.g. ``"tiny"``.
    kind: ClassVar[str] = ""
    #: scikit-learn baselines have no encoder, no Trainer run and no checkpoint.
    is_baseline: ClassVar[bool] = False

    @classmethod
    def parse(cls, spec: str, revisions: dict[str, str]) -> ModelSpec | None:
        """This kind's spec for the ``models:`` entry ``spec``, or ``None`` when the entry is another kind's."""
        raise NotImplementedError

    # --- neural kinds ------------------------------------------------------------------------------------------
    def build(
        self,
        modality: str,
        label_names: list[str],
        *,
        seed: int,
        multi_label: bool = False,
        train_texts: list[str] | None = None,
        word_segmenter: str | None = None,
        max_length: int = 128,
        max_seconds: float = 8.0,
    ) -> tuple[Any, Any]:
        """``(model, processor)`` for ``modality``: a sequence classifier and its tokenizer, or a
        `SentiVSpeechForAudioClassification` and its feature extractor, with the preprocessing recorded in the config
        so that ``sentiv evaluate`` and the pipelines preprocess exactly as the benchmark did."""
        raise NotImplementedError(f"{self.name} has no neural model to build.")

    def provenance(self, modality: str) -> dict[str, Any]:
        """What identifies the encoder's weights in a feature-cache key (a resolved commit hash, a hash of the weight
        files, or the code-built config and its seed)."""
        raise NotImplementedError(f"{self.name} has no encoder.")


__all__ = ["ModelSpec"]
