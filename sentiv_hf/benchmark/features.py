"""The frozen-encoder features behind the benchmark's cache: what each shipped model's head reads, computed once.

Every extractor maps a `Split` to one array row per example, computed **once** per (dataset split, model weights,
preprocessing) fingerprint through `FeatureCache`; heads then train on it for every budget × seed.

* speech models: `SentiVSpeechForAudioClassification.encode_layers` (masked-mean state of every layer,
  ``(N, L + 1, H)``), read by the model's own `forward_from_layer_features`;
* text models: what the sequence classifier's head reads (`sentiv_hf.training.frozen.encode_text_batch`);
* ``baseline:mfcc-logreg``: MFCC + delta statistics, ``(N, 120)``;
* ``baseline:tfidf-logreg`` needs no extraction (the vectoriser is fitted on each budget's texts).

Text goes through the same preprocessing as ``sentiv train`` (word segmentation on all cores with
`sentiv_hf.models.text.segment_dataset`, then the tokenisation of `sentiv_hf.training.preprocessing.text_preprocessor`)
and audio through `AudioPreprocessor` in evaluation mode (centre crop), so the features equal what the saved model
computes on raw inputs. `ENCODER_CALLS` counts the examples each encoder has processed in this process, so tests and
``bench/`` can check that nothing is encoded twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from contextlib import contextmanager, nullcontext

import numpy as np
import torch

from sentiv_hf.data.loading import Split

from .cache import FeatureCache
from .kinds import ModelSpec

logger = logging.getLogger(__name__)

#: examples passed through each encoder, keyed by ``"<model>/<modality>"``.
ENCODER_CALLS: Counter[str] = Counter()
TEXT_BATCH = 64
SPEECH_BATCH = 16
#: bump when the meaning of a cached row changes.
FEATURE_FORMAT = 2

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


def tokenizer_fingerprint(tokenizer) -> str:
    """Hash of a tokenizer's vocabulary and rules (the tiny tokenizer is trained per dataset)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        payload = json.dumps(tokenizer.get_vocab(), sort_keys=True)
    else:
        # Truncation and padding are call-time state the tokenizer keeps after a call, not part of its identity.
        state = json.loads(backend.to_str())
        payload = json.dumps({k: v for k, v in state.items() if k not in ("truncation", "padding")}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class FeatureProvider:
    """Serves cached features for (model, modality, split), computing them with the run's base model.

    Args:
        cache: the `FeatureCache`.
        max_seconds: audio crop (centre crop, evaluation mode) before the speech encoder.
        text_max_length: tokenizer truncation.
        word_segmenter: ``pyvi`` to word-segment texts (PhoBERT), or ``None``.
        device: torch device for the encoders.

    Example:
        >>> provider = FeatureProvider(FeatureCache("out/cache"))  # doctest: +SKIP
        >>> provider.features(parse_model("tiny"), "speech", splits["train"], (model, extractor)).shape
        (120, 3, 32)
    """

    def __init__(
        self,
        cache: FeatureCache,
        *,
        max_seconds: float = 8.0,
        text_max_length: int = 128,
        word_segmenter: str | None = None,
        device: str | None = None,
    ) -> None:
        self.cache = cache
        self.max_seconds = max_seconds
        self.text_max_length = text_max_length
        self.word_segmenter = word_segmenter
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self._rows: dict[tuple, dict[str, np.ndarray]] = {}
        self._hashes: dict[tuple, list[str]] = {}
        self._identities: dict[tuple, dict] = {}

    def features(self, model: ModelSpec, modality: str, split: Split, base=None) -> np.ndarray:
        """Cached features of ``split`` (``text`` reads texts/transcripts).

        Args:
            model: the model spec.
            modality: ``text`` or ``speech``.
            split: the split to encode.
            base: ``(model, processor)`` whose encoder produces the features (neural kinds).
        """
        identity = self._identity(model, modality, base)
        if split.max_seconds is not None and modality == "speech":  # a config cropped apart (long call segments)
            identity = {**identity, "max_seconds": split.max_seconds}
        parts = {"split": split.fingerprint, **identity, "format": FEATURE_FORMAT}
        index = self._rows.setdefault(json.dumps(identity, sort_keys=True), {})
        hashes = self._content_hashes(split, modality)
        array = self.cache.get_or_compute(
            parts, split.ids, lambda: self._compute(model, modality, split, hashes, index, base)
        )
        for h, row in zip(hashes, array):
            index.setdefault(h, row)
        return array

    def _identity(self, model: ModelSpec, modality: str, base) -> dict:
        """What produced the features, apart from the split: model, weights and preprocessing. Worked out once per
        base model (hashing weight files or serialising a 64k-token tokenizer on every lookup would be wasted)."""
        key = (model.name, modality, id(base))
        if key not in self._identities:
            self._identities[key] = {
                "modality": modality,
                "model": model.name,
                "weights": model.provenance(modality),
                "preprocessing": model.feature_preprocessing(self, modality, base),
            }
        return self._identities[key]

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

    def _compute(self, model: ModelSpec, modality: str, split: Split, hashes: list[str], index: dict, base):
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
            with encoder_threads() if model.large_encoder else nullcontext():
                data = [split.texts[i] for i in unique] if modality == "text" else split.dataset.select(unique)
                encoded = model.extract(self, modality, data, base, split.max_seconds)
            new_rows = {hashes[i]: row for i, row in zip(unique, encoded)}
        return np.stack([index[h] if h in index else new_rows[h] for h in hashes])

    @torch.no_grad()
    def encode_texts(self, model: ModelSpec, base, texts: list[str]) -> np.ndarray:
        """What ``base``'s text head reads, for ``texts`` (segmented and tokenised as in training)."""
        from datasets import Dataset

        from sentiv_hf.models.text import segment_dataset
        from sentiv_hf.training.frozen import encode_text_batch
        from sentiv_hf.training.preprocessing import text_preprocessor

        net, tokenizer = base
        net = net.eval().to(self.device)
        # All texts segmented in one pass over every core (the feature cache already keeps this to once per split).
        segmented = list(
            segment_dataset(Dataset.from_dict({"text": list(texts)}), "text", self.word_segmenter)["text"]
        )
        tokenize = text_preprocessor(tokenizer, self.word_segmenter, self.text_max_length, "text", segmented=True)
        rows = []
        for start in range(0, len(texts), TEXT_BATCH):
            encoded = tokenize({"text": segmented[start : start + TEXT_BATCH]})
            batch = tokenizer.pad(encoded, return_tensors="pt").to(self.device)
            rows.append(encode_text_batch(net, batch["input_ids"], batch["attention_mask"]).float().cpu())
            ENCODER_CALLS[f"{model.name}/text"] += len(batch["input_ids"])
        return torch.cat(rows).numpy()

    @torch.no_grad()
    def encode_audio(self, model: ModelSpec, base, ds, max_seconds: float | None = None) -> np.ndarray:
        """`encode_layers` of ``base``'s speech model on the clips of ``ds`` (centre-cropped as in evaluation, to
        ``max_seconds``, default the provider's)."""
        from sentiv_hf.data.audio import AudioPreprocessor

        net, extractor = base
        net = net.eval().to(self.device)
        prep = AudioPreprocessor(extractor, max_seconds=max_seconds or self.max_seconds, train=False)
        rows = []
        for start in range(0, len(ds), SPEECH_BATCH):
            audio = ds[start : start + SPEECH_BATCH]["audio"]
            inputs = prep({"audio": audio})
            tensors = {k: torch.as_tensor(v).to(self.device) for k, v in inputs.items() if k != "labels"}
            rows.append(net.encode_layers(**tensors).float().cpu())
            ENCODER_CALLS[f"{model.name}/speech"] += len(audio)
        return torch.cat(rows).numpy()

    def mfcc(self, model: ModelSpec, ds) -> np.ndarray:
        """MFCC + delta statistics of every clip of ``ds`` (the MFCC baseline's features)."""
        from sentiv_hf.data.audio import decode_audio, to_mono

        from .baselines import mfcc_statistics

        rows = []
        for start in range(0, len(ds), SPEECH_BATCH):
            for value in ds[start : start + SPEECH_BATCH]["audio"]:
                waveform, rate = decode_audio(value)
                rows.append(mfcc_statistics(to_mono(waveform), rate))
                ENCODER_CALLS[f"{model.name}/speech"] += 1
        return np.stack(rows)
