"""`ModelSpec`: what every model kind of the benchmark provides.

A kind is one file in this folder that subclasses `ModelSpec` and registers itself with `register_kind`. Neural
kinds build their model with the same builders as ``sentiv train`` (`sentiv_hf.training.model_factory`); baselines
fit scikit-learn pipelines.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar


@dataclass(frozen=True)
class Preprocessing:
    """How raw examples become model inputs; a built model records it in its config, so ``sentiv evaluate`` and the
    pipelines preprocess exactly as the benchmark did.

    Attributes:
        word_segmenter: ``pyvi`` (PhoBERT) or ``None``.
        text_max_length: tokenizer truncation, in tokens.
        max_seconds: audio window (centre crop in evaluation), in seconds.
    """

    word_segmenter: str | None = None
    text_max_length: int = 128
    max_seconds: float = 8.0


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
    #: encoders big enough to get every torch thread (the small ones run faster on one: see `features.py`).
    large_encoder: ClassVar[bool] = False
    #: the short name of a baseline in fused pairs (``baseline:tfidf+mfcc``).
    fusion_tag: ClassVar[str | None] = None
    #: accepts any entry the other kinds do not (checkpoint ids): `parse_model` asks it last.
    catch_all: ClassVar[bool] = False
    #: the text model's tokenizer is trained on the training texts (``tiny``), so ``build`` needs them.
    trains_tokenizer: ClassVar[bool] = False

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
        preprocessing: Preprocessing = Preprocessing(),
        multi_label: bool = False,
        train_texts: list[str] | None = None,
    ) -> tuple[Any, Any]:
        """``(model, processor)`` for ``modality``: a sequence classifier and its tokenizer, or a
        `SentiVSpeechForAudioClassification` and its feature extractor, with ``preprocessing`` recorded in the config.

        Args:
            seed: seeds the new head (and a code-built encoder).
            multi_label: a multi-label speech head.
            train_texts: the texts a locally trained tokenizer learns from (``tiny``).
        """
        import torch

        from sentiv_hf.training.model_factory import build_speech_model, build_text_model

        if self.is_baseline:
            raise NotImplementedError(f"{self.name} has no neural model to build.")
        revision = self.pinned_revision()
        torch.manual_seed(seed)  # the new head's initialisation (a code-built model seeds itself the same way)
        if modality == "text":
            if self.trains_tokenizer and not train_texts:
                raise ValueError(f"The {self.name} text model needs training texts for its tokenizer.")
            return build_text_model(
                self.model_id,
                label_names,
                train_split={"text": list(train_texts or [])},
                text_column="text",
                segmenter=preprocessing.word_segmenter,
                max_length=preprocessing.text_max_length,
                seed=seed,
                revision=revision,
            )
        args = SimpleNamespace(model=self.model_id, encoder="hubert", pooling=None, revision=revision)
        model, extractor = build_speech_model(args, label_names, multi_label, seed)
        model.config.max_duration_s = float(preprocessing.max_seconds)
        return model, extractor

    def pinned_revision(self) -> str | None:
        """The exact revision ``build`` loads ``model_id`` at (``None``: a folder, or built in code)."""
        return None

    def feature_preprocessing(self, provider, modality: str, base) -> dict[str, Any]:
        """The preprocessing part of a feature-cache key: what turns a raw example into the encoder's input."""
        if modality == "speech":
            return {"max_seconds": provider.max_seconds, "crop": "centre", "sampling_rate": 16000}
        from ..features import tokenizer_fingerprint

        return {
            "max_length": provider.text_max_length,
            "segmenter": provider.word_segmenter,
            "tokenizer": tokenizer_fingerprint(base[1]),
        }

    def extract(self, provider, modality: str, data, base, max_seconds: float | None = None):
        """Cache rows for ``data`` (a list of texts, or a `datasets.Dataset` with ``audio``): what the head reads.
        ``max_seconds``: the audio crop of ``data``'s config when it is not the provider's."""
        if modality == "text":
            return provider.encode_texts(self, base, data)
        return provider.encode_audio(self, base, data, max_seconds)

    def baseline_inputs(self, split, features):
        """What a baseline reads for ``split`` (``features(split)`` is the feature cache)."""
        raise NotImplementedError(f"{self.name} is not a baseline.")

    def weights_identity(self) -> dict[str, Any] | None:
        """What a run's key records about the weights it starts from (`provenance`; ``None`` for baselines)."""
        return None if self.is_baseline else self.provenance(sorted(self.modalities)[0])

    def provenance(self, modality: str) -> dict[str, Any]:
        """What identifies the encoder's weights in a feature-cache key (a resolved commit hash, a hash of the weight
        files, or the code-built config and its seed)."""
        raise NotImplementedError(f"{self.name} has no encoder.")


__all__ = ["ModelSpec", "Preprocessing"]
