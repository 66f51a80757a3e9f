"""Checks on audio where users hand it to a SentiV model: decode files, refuse wrong sampling rates, empty,
multi-channel, non-finite (NaN/inf) or too short arrays, and crop clips longer than the model's ``max_duration_s``
(with a warning). The pipelines and ``sentiv predict`` prepare audio only through `prepare_waveform`; the call
pipeline streams long recordings through `open_audio_decoder`, which reports bad files in the same words.

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


def min_audio_samples(config) -> int:
    """The shortest waveform (in samples) the speech encoder of ``config`` can take: one frame of its conv stack.

    A wav2vec2/HuBERT-style encoder turns the waveform into frames with a stack of 1-D convolutions (kernels
    ``conv_kernel``, strides ``conv_stride``); a shorter clip yields no frame at all and torch fails deep inside the
    model. One output frame needs ``1 + sum((kernel_i - 1) * prod(stride_j for j < i))`` input samples: 400 (25 ms at
    16 kHz) for wav2vec2-base and HuBERT. Encoders without a conv stack (Whisper pads its log-mel input to 30 s)
    take any non-empty clip.

    Args:
        config: a `SentiVSpeechConfig` (its ``encoder_config`` is read) or an encoder config.

    Example:
        >>> from transformers import HubertConfig
        >>> min_audio_samples(HubertConfig())
        400
    """
    encoder = getattr(config, "encoder_config", None)
    encoder = config if encoder is None else encoder
    kernels, strides = getattr(encoder, "conv_kernel", None), getattr(encoder, "conv_stride", None)
    if not kernels or not strides:
        return 1
    needed, hop = 1, 1
    for kernel, stride in zip(kernels, strides):
        needed += (int(kernel) - 1) * hop
        hop *= int(stride)
    return needed


def open_audio_decoder(path: str | Path, sampling_rate: int):
    """A torchcodec ``AudioDecoder`` of the file ``path`` that yields mono samples at ``sampling_rate``.

    Nothing is decoded yet, so a long recording can be read a window at a time. A file that is missing, empty or not
    audio raises `AudioInputError` in the words `prepare_waveform` and ``sentiv data`` use.

    Args:
        path: an audio file (any container FFmpeg decodes; any rate and channel count).
        sampling_rate: the rate the samples are resampled to.

    Example:
        >>> decoder = open_audio_decoder("call.wav", 16000)  # doctest: +SKIP
        >>> decoder.get_samples_played_in_range(0.0, 30.0).data.shape  # doctest: +SKIP
        torch.Size([1, 480000])
    """
    from torchcodec.decoders import AudioDecoder

    path = Path(path)
    if not path.is_file():
        raise AudioInputError(f"Audio file not found: {path}.")
    try:
        # torchcodec resamples and downmixes while decoding, so files of any rate and channel count work.
        return AudioDecoder(str(path), sample_rate=sampling_rate, num_channels=1)
    except Exception as err:  # torchcodec raises RuntimeError/ValueError depending on the container
        raise _decode_error(path, err) from err


def _decode_error(path: Path, err: Exception) -> AudioInputError:
    from ..data.speech import AudioDecodeError, probe_audio

    # The data layer's probe tells an empty file from a corrupt one, in the words `sentiv data` uses.
    try:
        probe_audio(path)
    except AudioDecodeError as reason:
        return AudioInputError(f"{reason}. Pass a non-empty audio file that FFmpeg can decode.")
    return AudioInputError(f"Cannot decode audio file {path}: {err}")


def _decode_file(path: str | Path, sampling_rate: int) -> np.ndarray:
    decoder = open_audio_decoder(path, sampling_rate)
    try:
        samples = decoder.get_all_samples()
    except Exception as err:
        raise _decode_error(Path(path), err) from err
    return samples.data.numpy()[0]


def prepare_waveform(
    audio,
    *,
    sampling_rate: int = 16000,
    max_duration_s: float | None = 8.0,
    min_samples: int = 1,
    source: str = "audio",
) -> np.ndarray:
    """Turn a path, a 1-D array or a ``{"array", "sampling_rate"}`` dict into a mono float32 waveform.

    Behaviour:
        * a file path is decoded, resampled to ``sampling_rate`` and downmixed to mono;
        * a dict whose ``sampling_rate`` differs from the model's raises `AudioInputError` (resample first, e.g.
          with ``datasets.Audio(sampling_rate=16000)``); a bare array is taken to be at ``sampling_rate``;
        * an array with a channel axis (stereo), an empty array, non-finite (NaN/inf) values, or fewer than
          ``min_samples`` samples raise `AudioInputError`;
        * a clip longer than ``max_duration_s`` is centre-cropped to it and a warning is logged.

    Args:
        audio: path (``str``/``Path``), ``np.ndarray``/``torch.Tensor`` of shape ``(samples,)``, or a dict with
            ``array`` (or ``raw``) and ``sampling_rate`` (the ``datasets`` Audio format).
        sampling_rate: rate the model expects.
        max_duration_s: crop length in seconds (``None``: no cropping).
        min_samples: the shortest clip the model takes, at ``sampling_rate`` (see `min_audio_samples`).
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
    _check_samples(wave, sampling_rate, min_samples, source)
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


def _check_samples(wave: np.ndarray, sampling_rate: int, min_samples: int, source: str) -> None:
    """Refuse a waveform the model would fail on (too short) or score as noise (NaN/inf), naming the fix."""
    if wave.size == 0:
        raise AudioInputError(f"{source}: the waveform is empty (0 samples). Pass a non-empty clip.")
    bad = int(np.count_nonzero(~np.isfinite(wave)))
    if bad:
        raise AudioInputError(
            f"{source}: the waveform contains NaN or infinite values ({bad} of {wave.size} samples). Re-export the "
            "audio, or replace them first (e.g. numpy.nan_to_num(wave))."
        )
    if wave.shape[0] < min_samples:
        raise AudioInputError(
            f"{source}: the clip is too short: {wave.shape[0]} samples ({1000 * wave.shape[0] / sampling_rate:.1f} "
            f"ms at {sampling_rate} Hz), but the model's encoder needs at least {min_samples} "
            f"({1000 * min_samples / sampling_rate:.1f} ms). Pass a longer clip, or pad it with silence."
        )


__all__ = ["AudioInputError", "min_audio_samples", "open_audio_decoder", "prepare_waveform"]
