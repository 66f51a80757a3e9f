"""Model specs and the frozen-encoder feature extractors behind the benchmark's feature cache.

Every extractor maps a `Split` to one array row per example, computed **once** per (dataset split, model, revision,
preprocessing) fingerprint through `FeatureCache`; heads then train on it for every budget × seed.

* neural encoders (``tiny``, checkpoint ids): masked-mean pooled hidden state of every layer, ``(N, L + 1, H)``;
* ``baseline:mfcc-logreg``: MFCC + delta statistics, ``(N, 120)``;
* ``baseline:tfidf-logreg`` needs no extraction (the vectoriser is fitted on each budget's texts).

`ENCODER_CALLS` counts the examples each encoder has processed in this process, so tests and ``bench/`` can check
that nothing is encoded twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from sentiv_hf.models.pooling import masked_mean

from .cache import FeatureCache
from .sources import Split

logger = logging.getLogger(__name__)

#: examples passed through each encoder, keyed by ``"<model>/<modality>"``.
ENCODER_CALLS: Counter[str] = Counter()
TINY_INIT_SEED = 0
TEXT_BATCH = 64
SPEECH_BATCH = 16


@dataclass(frozen=True)
class ModelSpec:
    """A parsed ``models:`` entry.

    Attributes:
        name: the name shown in tables and results (``tiny``, ``baseline:tfidf-logreg``, ``vinai/phobert-base``).
        kind: ``tiny``, ``tfidf``, ``mfcc`` or ``checkpoint``.
        modalities: ``{"text"}``, ``{"speech"}`` or both (``tiny``).
        model_id: checkpoint id or folder (``checkpoint`` only).
        revision: Hub revision of ``model_id``.
    """

    name: str
    kind: str
    modalities: frozenset[str]
    model_id: str | None = None
    revision: str | None = None

    @property
    def is_baseline(self) -> bool:
        return self.kind in ("tfidf", "mfcc")


def parse_model(spec: str, revisions: dict[str, str] | None = None) -> ModelSpec:
    """Parse a ``models:`` entry: ``tiny``, ``baseline:tfidf-logreg``, ``baseline:mfcc-logreg``, ``text:<id>``,
    ``speech:<id>`` or a bare checkpoint id/folder (its config tells whether it is an audio model).

    Example:
        >>> parse_model("speech:facebook/hubert-large-ls960-ft").modalities
        frozenset({'speech'})
    """
    revisions = revisions or {}
    if spec == "tiny":
        return ModelSpec("tiny", "tiny", frozenset({"text", "speech"}))
    if spec == "baseline:tfidf-logreg":
        return ModelSpec(spec, "tfidf", frozenset({"text"}))
    if spec == "baseline:mfcc-logreg":
        return ModelSpec(spec, "mfcc", frozenset({"speech"}))
    if spec.startswith("baseline:"):
        raise ValueError(f"Unknown baseline {spec!r}; choose baseline:tfidf-logreg or baseline:mfcc-logreg.")
    prefix, sep, rest = spec.partition(":")
    if sep and prefix in ("text", "speech"):
        return ModelSpec(rest, "checkpoint", frozenset({prefix}), rest, revisions.get(rest))
    return ModelSpec(
        spec, "checkpoint", frozenset({_checkpoint_modality(spec, revisions.get(spec))}), spec, revisions.get(spec)
    )


def _checkpoint_modality(model_id: str, revision: str | None) -> str:
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES

    try:
        config = AutoConfig.from_pretrained(model_id, revision=revision)
    except OSError as err:
        raise ValueError(
            f"Cannot read the config of model {model_id!r} to tell whether it is a text or speech model ({err}). "
            f"Write it as 'text:{model_id}' or 'speech:{model_id}'."
        ) from err
    audio_types = set(MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES) | {"sentiv-speech", "whisper"}
    return "speech" if config.model_type in audio_types else "text"


#: torch's thread count at import: encoders use it even when the runner pins head training to one thread.
ENCODER_THREADS = torch.get_num_threads()


@contextmanager
def encoder_threads():
    """Run encoders with all the threads torch started with (heads train on one: tiny ops lose to thread overhead)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(ENCODER_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _hash_text(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


class FeatureProvider:
    """Builds encoders lazily and serves cached features for (model, modality, split).

    Args:
        cache: the `FeatureCache`.
        tokenizer_texts: texts the ``tiny`` tokenizer is trained on (the text task's train split).
        max_seconds: audio crop (centre crop, evaluation mode) before the speech encoder.
        text_max_length: tokenizer truncation.
        word_segmenter: ``pyvi`` to word-segment texts for PhoBERT-style checkpoints.
        device: torch device for the encoders.

    Example:
        >>> provider = FeatureProvider(FeatureCache("out/cache"), tokenizer_texts=train_texts)  # doctest: +SKIP
        >>> provider.features(parse_model("tiny"), "speech", splits["train"]).shape  # doctest: +SKIP
        (120, 3, 32)
    """

    def __init__(
        self,
        cache: FeatureCache,
        *,
        tokenizer_texts: list[str] | None = None,
        max_seconds: float = 8.0,
        text_max_length: int = 128,
        word_segmenter: str | None = None,
        device: str | None = None,
    ) -> None:
        self.cache = cache
        self.tokenizer_texts = tokenizer_texts
        self.max_seconds = max_seconds
        self.text_max_length = text_max_length
        self.word_segmenter = word_segmenter
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self._encoders: dict[tuple[str, str], object] = {}
        self._rows: dict[tuple, dict[str, np.ndarray]] = {}
        self._hashes: dict[tuple, list[str]] = {}

    # --- public ---------------------------------------------------------------------------------------------------
    def features(self, model: ModelSpec, modality: str, split: Split) -> np.ndarray:
        """Cached features of ``split`` for ``model`` in ``modality`` (``text`` reads texts/transcripts)."""
        if model.kind == "tfidf":
            raise ValueError("baseline:tfidf-logreg works on raw texts; it has no cached features.")
        parts = {
            "split": split.fingerprint,
            "modality": modality,
            "model": model.name,
            "revision": model.revision,
            "preprocessing": self._preprocessing(model, modality),
            "format": 1,
        }
        index_key = (model.name, model.revision, modality, json.dumps(parts["preprocessing"], sort_keys=True))
        index = self._rows.setdefault(index_key, {})
        hashes = self._content_hashes(split, modality)
        array = self.cache.get_or_compute(
            parts, split.ids, lambda: self._compute(model, modality, split, hashes, index)
        )
        for h, row in zip(hashes, array):
            index.setdefault(h, row)
        return array

    def _content_hashes(self, split: Split, modality: str) -> list[str]:
        """Per-example content hashes: the same clip or text in two configs (speech and multimodal share their
        clips) is encoded once."""
        key = (split.fingerprint, modality)
        if key not in self._hashes:
            if modality == "text":
                values = [t.encode("utf-8") for t in split.texts]
            else:
                from datasets import Audio

                raw = split.dataset.cast_column("audio", Audio(decode=False))["audio"]
                values = [r.get("bytes") or str(r.get("path")).encode() for r in raw]
            self._hashes[key] = [hashlib.sha1(v).hexdigest() for v in values]
        return self._hashes[key]

    # --- internals ------------------------------------------------------------------------------------------------
    def _preprocessing(self, model: ModelSpec, modality: str) -> dict:
        if model.kind == "mfcc":
            return {"mfcc": "20+d+dd mean/std, 16 kHz, full clip", "version": 1}
        if modality == "speech":
            return {"max_seconds": self.max_seconds, "crop": "centre", "sampling_rate": 16000, "init": TINY_INIT_SEED}
        prep = {"max_length": self.text_max_length, "segmenter": self.word_segmenter, "init": TINY_INIT_SEED}
        if model.kind == "tiny":
            prep["tokenizer"] = self._tiny_tokenizer_hash
        return prep

    @cached_property
    def _tiny_tokenizer(self):
        from sentiv_hf.models.tiny import train_tiny_tokenizer

        if not self.tokenizer_texts:
            raise ValueError(
                "The tiny text model needs training texts for its tokenizer (the text task's train split)."
            )
        return train_tiny_tokenizer(list(self.tokenizer_texts))

    @cached_property
    def _tiny_tokenizer_hash(self) -> str:
        return _hash_text("\n".join(self.tokenizer_texts or []))

    def _encoder(self, model: ModelSpec, modality: str):
        key = (model.name, modality)
        if key not in self._encoders:
            self._encoders[key] = self._build_encoder(model, modality)
        return self._encoders[key]

    def _build_encoder(self, model: ModelSpec, modality: str):
        # Seeded so that a random-init tiny encoder is the same in every process (cache keys assume it).
        torch.manual_seed(TINY_INIT_SEED)
        if modality == "text":
            if model.kind == "tiny":
                from sentiv_hf.models.tiny import tiny_text_model

                tokenizer = self._tiny_tokenizer
                net = tiny_text_model(tokenizer, num_labels=2)
            else:
                from transformers import AutoModel, AutoTokenizer

                tokenizer = AutoTokenizer.from_pretrained(model.model_id, revision=model.revision)
                net = AutoModel.from_pretrained(model.model_id, revision=model.revision)
            return tokenizer, net.eval().to(self.device)
        if model.kind == "tiny":
            from sentiv_hf.models.tiny import tiny_speech_feature_extractor, tiny_speech_model

            net, extractor = tiny_speech_model(num_labels=2), tiny_speech_feature_extractor()
        else:
            from transformers import AutoFeatureExtractor

            from sentiv_hf.models.modeling_sentiv_speech import SentiVSpeechForAudioClassification

            net = SentiVSpeechForAudioClassification.from_encoder_pretrained(model.model_id, num_labels=2)
            extractor = AutoFeatureExtractor.from_pretrained(model.model_id, revision=model.revision)
        return extractor, net.eval().to(self.device)

    def _compute(self, model: ModelSpec, modality: str, split: Split, hashes: list[str], index: dict) -> np.ndarray:
        todo = [i for i, h in enumerate(hashes) if h not in index]
        # Rows already encoded for another split with identical content are reused, not re-encoded.
        first_of = {}
        for i in todo:
            first_of.setdefault(hashes[i], i)
        unique = sorted(first_of.values())
        new_rows: dict[str, np.ndarray] = {}
        if unique:
            # Only real checkpoints get all threads back: MFCCs and the tiny encoders are small ops that run ~10x
            # slower with 2 threads than with 1 on a busy 2-core machine (measured on the demo corpus).
            with encoder_threads() if model.kind == "checkpoint" else nullcontext():
                if modality == "text":
                    texts = split.texts
                    encoded = self._compute_features(model, modality, [texts[i] for i in unique])
                else:
                    encoded = self._compute_features(model, modality, split.dataset.select(unique))
            new_rows = {hashes[i]: row for i, row in zip(unique, encoded)}
        return np.stack([index[h] if h in index else new_rows[h] for h in hashes])

    def _compute_features(self, model: ModelSpec, modality: str, data) -> np.ndarray:
        if model.kind == "mfcc":
            return self._mfcc(data)
        if modality == "text":
            return self._encode_texts(model, data)
        return self._encode_audio(model, data)

    @torch.no_grad()
    def _encode_texts(self, model: ModelSpec, texts: list[str]) -> np.ndarray:
        tokenizer, net = self._encoder(model, "text")
        if self.word_segmenter:
            from sentiv_hf.models.text import segment_texts

            texts = segment_texts(texts, segmenter=self.word_segmenter)
        base = getattr(net, "base_model", net)
        rows = []
        for start in range(0, len(texts), TEXT_BATCH):
            batch = tokenizer(
                list(texts[start : start + TEXT_BATCH]),
                padding=True,
                truncation=True,
                max_length=self.text_max_length,
                return_tensors="pt",
            ).to(self.device)
            out = base(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], output_hidden_states=True)
            stacked = torch.stack(out.hidden_states, dim=1)  # (B, L + 1, T, H)
            rows.append(masked_mean(stacked, batch["attention_mask"]).float().cpu())
            ENCODER_CALLS[f"{model.name}/text"] += len(batch["input_ids"])
        return torch.cat(rows).numpy()

    @torch.no_grad()
    def _encode_audio(self, model: ModelSpec, ds) -> np.ndarray:
        from sentiv_hf.data.audio import AudioPreprocessor

        extractor, net = self._encoder(model, "speech")
        prep = AudioPreprocessor(extractor, max_seconds=self.max_seconds, train=False)
        rows = []
        for start in range(0, len(ds), SPEECH_BATCH):
            audio = ds[start : start + SPEECH_BATCH]["audio"]
            inputs = prep({"audio": audio})
            tensors = {k: torch.as_tensor(v).to(self.device) for k, v in inputs.items() if k != "labels"}
            rows.append(net.encode_layers(**tensors).float().cpu())
            ENCODER_CALLS[f"{model.name}/speech"] += len(audio)
        return torch.cat(rows).numpy()

    def _mfcc(self, ds) -> np.ndarray:
        from sentiv_hf.data.audio import decode_audio, to_mono

        from .baselines import mfcc_statistics

        rows = []
        for start in range(0, len(ds), SPEECH_BATCH):
            for value in ds[start : start + SPEECH_BATCH]["audio"]:
                waveform, rate = decode_audio(value)
                rows.append(mfcc_statistics(to_mono(waveform), rate))
                ENCODER_CALLS["baseline:mfcc-logreg/speech"] += 1
        return np.stack(rows)
