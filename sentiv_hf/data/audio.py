"""Turn decoded audio into model inputs for training and evaluation: mono, 16 kHz, at most ``max_seconds`` long.

`AudioPreprocessor` is meant for ``Dataset.set_transform`` / ``with_transform``: it decodes lazily per batch, so
the Parquet shards keep the original file bytes and nothing is materialised up front. Training crops a random
window (seeded), evaluation takes the centre window, so evaluation is deterministic.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: The shortest clip (in samples at 16 kHz) that a wav2vec 2.0 / HuBERT encoder can take: its convolutional feature
#: encoder (kernels 10, 3, 3, 3, 3, 2, 2; strides 5, 2, 2, 2, 2, 2, 2) has a receptive field of
#: 10 + 2*5 + 2*10 + 2*20 + 2*40 + 1*80 + 1*160 = 400 samples (25 ms), so a shorter input yields no frame at all and
#: the model fails with a RuntimeError. ``sentiv data build-speech`` rejects shorter clips as ``too short``.
MIN_AUDIO_SAMPLES = 400


def crop_or_pad(
    waveform: np.ndarray,
    max_samples: int,
    *,
    train: bool,
    rng: np.random.Generator | int | None = None,
    pad_to_max: bool = False,
) -> np.ndarray:
    """Crop a waveform to at most ``max_samples`` samples along its last axis, optionally zero-padding short ones.

    Args:
        waveform: ``(samples,)`` or ``(channels, samples)`` array.
        max_samples: the longest allowed length.
        train: ``True`` takes a random window (uniform start), ``False`` the centred one (deterministic).
        rng: a ``numpy.random.Generator`` or an int seed for the random window; ``None`` uses fresh entropy, so
            pass one for reproducible training.
        pad_to_max: also right-pad shorter waveforms with zeros to exactly ``max_samples``. Off by default because
            the feature extractors pad per batch and return the attention mask that marks the padding.

    Returns:
        The cropped (or padded) array; the input itself when it is already short enough and no padding is asked.

    Example:
        >>> crop_or_pad(np.arange(10.0), 4, train=False).tolist()
        [3.0, 4.0, 5.0, 6.0]
        >>> crop_or_pad(np.arange(3.0), 5, train=False, pad_to_max=True).tolist()
        [0.0, 1.0, 2.0, 0.0, 0.0]
    """
    if max_samples <= 0:
        raise ValueError(f"max_samples must be positive, got {max_samples}.")
    length = waveform.shape[-1]
    if length > max_samples:
        if train:
            generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
            start = int(generator.integers(0, length - max_samples + 1))
        else:
            start = (length - max_samples) // 2
        return waveform[..., start : start + max_samples]
    if pad_to_max and length < max_samples:
        pad = [(0, 0)] * (waveform.ndim - 1) + [(0, max_samples - length)]
        return np.pad(waveform, pad)
    return waveform


def decode_audio(value: Any) -> tuple[np.ndarray, int]:
    """Return ``(waveform, sampling_rate)`` of one audio value as datasets hands it out.

    Accepts a torchcodec ``AudioDecoder`` (datasets >= 4 decoded ``Audio``), a ``{"array", "sampling_rate"}``
    dict, or an undecoded ``{"bytes", "path"}`` dict (``Audio(decode=False)``). The waveform is float32,
    ``(samples,)`` or ``(channels, samples)``.

    Example:
        >>> wav, sr = decode_audio({"array": np.zeros(160), "sampling_rate": 16000})
        >>> wav.shape, sr
        ((160,), 16000)
    """
    from torchcodec.decoders import AudioDecoder

    if isinstance(value, AudioDecoder):
        samples = value.get_all_samples()
        return samples.data.numpy().astype(np.float32, copy=False), int(samples.sample_rate)
    if isinstance(value, Mapping):
        if value.get("array") is not None:
            if value.get("sampling_rate") is None:
                raise ValueError("An audio dict with 'array' needs 'sampling_rate' too.")
            return np.asarray(value["array"], dtype=np.float32), int(value["sampling_rate"])
        source = value.get("bytes") or value.get("path")
        if source is not None:
            if isinstance(source, (bytes, bytearray)):
                source = io.BytesIO(source)
            return decode_audio(AudioDecoder(source))
    raise TypeError(
        f"Cannot read audio from a {type(value).__name__}: expected a torchcodec AudioDecoder, a dict with "
        "'array' and 'sampling_rate', or a dict with 'bytes'/'path'."
    )


def to_mono(waveform: np.ndarray) -> np.ndarray:
    """Average the channels of a ``(channels, samples)`` array; 1-D input is returned as is."""
    return waveform.mean(axis=0) if waveform.ndim > 1 else waveform


class AudioPreprocessor:
    """Batch transform from dataset rows with ``audio`` (and labels) to model inputs.

    Each waveform is downmixed to mono, cropped to ``max_seconds`` (random window when ``train``, centre window
    otherwise; cropping happens before resampling so long files are cheap), resampled to ``sampling_rate`` with
    ``torchaudio.functional.resample`` when needed, and passed to the feature extractor. Wav2Vec2-style extractors
    (``input_values``) pad to the longest item of the batch; extractors with ``input_features`` (Whisper) keep their
    own padding (Whisper's encoder needs its fixed 30 s frame count).

    Args:
        feature_extractor: a transformers feature extractor.
        max_seconds: the longest window kept.
        sampling_rate: the model's rate (16 kHz for every SentiV encoder).
        train: random crops (seeded by ``seed``, different on every call) instead of centre crops.
        seed: seed of the crop generator.
        label_column: the label column; by default ``label`` when present, else ``labels``.
        num_labels: size of the multi-hot vector for multi-label rows (lists of class ids); required for them.

    Returns (on call): a dict with the extractor's input (``input_values`` or ``input_features``),
    ``attention_mask`` and, when the batch has labels, ``labels`` (int ids, or float32 multi-hot rows).

    Example:
        >>> from transformers import Wav2Vec2FeatureExtractor
        >>> prep = AudioPreprocessor(Wav2Vec2FeatureExtractor(), max_seconds=1.0)
        >>> out = prep({"audio": [{"array": np.zeros(32000), "sampling_rate": 16000}], "label": [2]})
        >>> out["input_values"].shape, out["labels"].tolist()
        ((1, 16000), [2])
    """

    def __init__(
        self,
        feature_extractor,
        max_seconds: float = 8.0,
        sampling_rate: int = 16000,
        train: bool = False,
        seed: int = 0,
        *,
        label_column: str | None = None,
        num_labels: int | None = None,
    ) -> None:
        if max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive, got {max_seconds}.")
        self.feature_extractor = feature_extractor
        self.max_seconds = float(max_seconds)
        self.sampling_rate = int(sampling_rate)
        self.train = bool(train)
        self.seed = seed
        self.label_column = label_column
        self.num_labels = num_labels
        self.rng = np.random.default_rng(seed)
        self._worker_seed: int | None = None
        fe_rate = getattr(feature_extractor, "sampling_rate", None)
        if fe_rate is not None and int(fe_rate) != self.sampling_rate:
            raise ValueError(
                f"The feature extractor expects {fe_rate} Hz but AudioPreprocessor was given sampling_rate="
                f"{sampling_rate}; pass sampling_rate={fe_rate}."
            )
        names = list(getattr(feature_extractor, "model_input_names", ["input_values"]))
        self.input_name = names[0]

    def _crop_rng(self) -> np.random.Generator:
        # DataLoader workers each hold a copy of this object: without a reseed they would all draw the same crops,
        # and, being re-created every epoch, repeat them each epoch. torch gives every worker a seed derived from
        # the (seeded) main process, so mixing it in keeps crops reproducible yet distinct per worker and epoch.
        from torch.utils.data import get_worker_info  # torch is imported by the Trainer already; not by `sentiv data`

        info = get_worker_info()
        if info is not None and self._worker_seed != info.seed:
            self._worker_seed = info.seed
            self.rng = np.random.default_rng([self.seed, info.seed % 2**32])
        return self.rng

    def prepare_waveform(self, value: Any) -> np.ndarray:
        """Decode one audio value to a mono float32 waveform at ``sampling_rate`` of at most ``max_seconds``."""
        waveform, rate = decode_audio(value)
        waveform = to_mono(waveform)
        # Crop at the source rate first: resampling a long file only to throw most of it away is wasted work.
        waveform = crop_or_pad(
            waveform, max(1, int(round(self.max_seconds * rate))), train=self.train, rng=self._crop_rng()
        )
        if rate != self.sampling_rate:
            import torch
            import torchaudio.functional as F

            tensor = torch.from_numpy(np.ascontiguousarray(waveform, dtype=np.float32))
            waveform = F.resample(tensor, rate, self.sampling_rate).numpy()
        # Resampling can round up by a sample; trim deterministically from the end.
        return np.asarray(waveform[: int(round(self.max_seconds * self.sampling_rate))], dtype=np.float32)

    def _labels(self, batch: Mapping[str, Any]) -> np.ndarray | None:
        column = self.label_column or next((c for c in ("label", "labels") if c in batch), None)
        if column is None:
            return None
        if column not in batch:
            raise KeyError(f"Label column {column!r} not in the batch; it has {sorted(batch)}.")
        values = list(batch[column])
        if values and isinstance(values[0], (list, tuple, np.ndarray)):
            if self.num_labels is None:
                raise ValueError(f"Column {column!r} is multi-label; pass num_labels=... to AudioPreprocessor.")
            multi_hot = np.zeros((len(values), self.num_labels), dtype=np.float32)
            for row, ids in enumerate(values):
                multi_hot[row, list(ids)] = 1.0
            return multi_hot
        return np.asarray(values, dtype=np.int64)

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, Any]:
        audio = batch["audio"]
        single = not isinstance(audio, Sequence) or isinstance(audio, (str, bytes))
        if single:  # one row (``dataset.map`` without batched=True): handle it as a batch of one
            batch = {k: [v] for k, v in batch.items()}
            audio = batch["audio"]
        waveforms = [self.prepare_waveform(value) for value in audio]
        kwargs: dict[str, Any] = {"sampling_rate": self.sampling_rate, "return_attention_mask": True}
        if self.input_name == "input_values":
            kwargs["padding"] = "longest"
        features = self.feature_extractor(waveforms, return_tensors="np", **kwargs)
        out: dict[str, Any] = {self.input_name: features[self.input_name]}
        if "attention_mask" in features:
            out["attention_mask"] = features["attention_mask"]
        labels = self._labels(batch)
        if labels is not None:
            out["labels"] = labels
        if single:
            out = {k: v[0] for k, v in out.items()}
        return out


__all__ = ["MIN_AUDIO_SAMPLES", "AudioPreprocessor", "crop_or_pad", "decode_audio", "to_mono"]
