"""Checks on audio where users hand it to a SentiV model: decode files, refuse wrong sampling rates, empty or
multi-channel arrays, and crop clips longer than the model's ``max_duration_s`` (with a warning).

Example:
    >>> wave = prepare_waveform("clip.wav", sampling_rate=16000, max_duration_s=8.0)
    >>> wave.ndim, wave.dtype
    (1, dtype('float32'))
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..data.audio import crop_or_pad

logger = logging.getLogger(__name__)


class AudioInputError(ValueError):
    """Audio that a SentiV model cannot take as it is; the message says what to change."""


def _decode_file(path: str | Path, sampling_rate: int) -> np.ndarray:
    from torchcodec.decoders import AudioDecoder

    path = Path(path)
    if not path.is_file():
        raise AudioInputError(f"Audio file not found: {path}.")
    try:
        # torchcodec resamples and downmixes while decoding, so files of any rate and channel count work.
        samples = AudioDecoder(str(path), sample_rate=sampling_rate, num_channels=1).get_all_samples()
    except Exception as err:  # torchcodec raises RuntimeError/ValueError depending on the container
        raise AudioInputError(f"Cannot decode audio file {path}: {err}") from err
    return samples.data.numpy()[0]


def prepare_waveform(
    audio,
    *,
    sampling_rate: int = 16000,
    max_duration_s: float | None = 8.0,
    source: str = "audio",
) -> np.ndarray:
    """Turn a path, a 1-D array or a ``{"array", "sampling_rate"}`` dict into a mono float32 waveform.

    Behaviour:
        * a file path is decoded, resampled to ``sampling_rate`` and downmixed to mono;
        * a dict whose ``sampling_rate`` differs from the model's raises `AudioInputError` (resample first, e.g.
          with ``datasets.Audio(sampling_rate=16000)``); a bare array is taken to be at ``sampling_rate``;
        * an array with a channel axis (stereo), an empty array, or non-finite values raise `AudioInputError`;
        * a clip longer than ``max_duration_s`` is centre-cropped to it and a warning is logged.

    Args:
        audio: path (``str``/``Path``), ``np.ndarray``/``torch.Tensor`` of shape ``(samples,)``, or a dict with
            ``array`` (or ``raw``) and ``sampling_rate`` (the ``datasets`` Audio format).
        sampling_rate: rate the model expects.
        max_duration_s: crop length in seconds (``None``: no cropping).
        source: name used in messages (e.g. a row id).

    Example:
        >>> prepare_waveform(np.zeros(16000 * 10, dtype=np.float32), max_duration_s=8.0).shape  # logs a warning
        (128000,)
    """
    if isinstance(audio, (str, Path)):
        source = str(audio)
        wave = _decode_file(audio, sampling_rate)
    else:
        if isinstance(audio, dict):
            array = audio.get("array", audio.get("raw"))
            if array is None or "sampling_rate" not in audio:
                raise AudioInputError(
                    f"{source}: an audio dict needs 'array' (or 'raw') and 'sampling_rate'; got keys {sorted(audio)}."
                )
            if int(audio["sampling_rate"]) != sampling_rate:
                raise AudioInputError(
                    f"{source}: audio is sampled at {audio['sampling_rate']} Hz but the model expects "
                    f"{sampling_rate} Hz. "
                    f"Resample it first (e.g. datasets Audio(sampling_rate={sampling_rate}) or torchaudio.functional."
                    "resample), or pass the file path."
                )
            audio = array
        if hasattr(audio, "detach"):  # torch.Tensor
            audio = audio.detach().cpu().numpy()
        wave = np.asarray(audio)
        if wave.ndim == 2 and 1 in wave.shape:
            wave = wave.reshape(-1)
        if wave.ndim != 1:
            raise AudioInputError(
                f"{source}: expected mono audio of shape (samples,), got shape {wave.shape} (stereo or batched). "
                f"Downmix to mono first, e.g. wave.mean(axis={int(np.argmin(wave.shape))}), or pass the file path."
            )
        wave = wave.astype(np.float32, copy=False)
    if wave.size == 0:
        raise AudioInputError(f"{source}: the waveform is empty (0 samples).")
    if not np.isfinite(wave).all():
        raise AudioInputError(f"{source}: the waveform contains NaN or infinite values.")
    if max_duration_s is not None:
        max_samples = int(round(max_duration_s * sampling_rate))
        if wave.shape[0] > max_samples:
            logger.warning(
                "%s: %.2f s is longer than max_duration_s=%.2f s; keeping the centre %.2f s.",
                source,
                wave.shape[0] / sampling_rate,
                max_duration_s,
                max_duration_s,
            )
            # The same centred window as evaluation-time preprocessing (AudioPreprocessor with train=False).
            wave = crop_or_pad(wave, max_samples, train=False)
    return wave


__all__ = ["AudioInputError", "prepare_waveform"]
