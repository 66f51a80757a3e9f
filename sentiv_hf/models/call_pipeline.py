"""The ``sentiv-call`` pipeline: a whole call recording scored segment by segment (`SentiVCallPipeline`), and the
rules it reports with: a segment's negativity (`call_negativity`, `negativity_definition`), its predicted labels
(`predicted_labels`) and the call's summary (`summarize_call`, `covered_seconds`).

``sentiv predict-call`` writes the result as a per-segment table, a summary and a timeline. The pipeline is
registered by `sentiv_hf.models.pipelines.register_pipelines`, with ``sentiv-emotion``.

Example:
    >>> from transformers import pipeline
    >>> calls = pipeline("sentiv-call", model="out/speech")  # doctest: +SKIP
    >>> calls("call.wav")["summary"]["negative_share"]  # doctest: +SKIP
    0.25
    >>> covered_seconds([(0.0, 30.0), (20.0, 50.0)])
    50.0
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from transformers.pipelines.base import ChunkPipeline

from ..data.audio import AudioPreprocessor
from ..data.calls import DEFAULT_SEGMENT_SECONDS, segment_windows
from ..labels import BINARY_LABELS, NEGATIVE_EMOTIONS, NON_NEGATIVE_LABELS, TEXT_LABELS, normalize_label_key
from .audio_input import AudioInputError, min_audio_samples, open_audio_decoder, prepare_waveform

logger = logging.getLogger(__name__)

CALL_TASK_NAME = "sentiv-call"
_SPEECH_MODEL_TYPE = "sentiv-speech"
_CONTEXT_MODEL_TYPE = "sentiv-context"


def _negative_index(names: Sequence[str], head: str) -> int | None:
    """The index of the negative label of a binary head (or of a single-label head over the binary labels): the
    label named ``negative``, else label 1; None for any other head."""
    keys = [normalize_label_key(name) for name in names]
    if head != "binary" and not (
        head == "single_label" and set(keys) == {normalize_label_key(n) for n in BINARY_LABELS}
    ):
        return None
    return keys.index("negative") if "negative" in keys else 1


def negativity_definition(label_names: Sequence[str], head: str) -> str | None:
    """How `call_negativity` scores a head with these labels, in words (None: it has no negativity).

    Example:
        >>> negativity_definition(["non-negative", "negative"], "binary")
        "probability of 'negative'"
    """
    names = list(label_names)
    keys = [normalize_label_key(name) for name in names]
    index = _negative_index(names, head)
    if index is not None:
        return f"probability of {names[index]!r}"
    non_negative = {normalize_label_key(name) for name in NON_NEGATIVE_LABELS}
    if head == "multi_label":
        negative = [name for name, key in zip(names, keys) if key not in non_negative]
        return f"max probability over {negative}" if negative else None
    emotions = {normalize_label_key(name) for name in TEXT_LABELS}
    negative_emotions = {normalize_label_key(name) for name in NEGATIVE_EMOTIONS}
    if keys and set(keys) <= emotions and set(keys) & negative_emotions:
        return f"sum of the probabilities of {[n for n, k in zip(names, keys) if k in negative_emotions]}"
    return None


def call_negativity(probabilities: np.ndarray, label_names: Sequence[str], head: str) -> np.ndarray | None:
    """The one definition of a segment's negativity, in [0, 1]; None when the labels have no negative side.

    * a binary head (or a single-label head over ``non-negative``/``negative``): the probability of the label named
      ``negative`` (label 1 when none is so named);
    * a multi-label (fine-grained hotline) head: the highest probability among the negative types, i.e. every label
      except the non-negative ones (`sentiv_hf.labels.NON_NEGATIVE_LABELS`, the rule of
      `sentiv_hf.labels.binary_from_multilabel`);
    * a single-label head over SentiV emotions: the summed probability of the negative emotions
      (`sentiv_hf.labels.NEGATIVE_EMOTIONS`: Anger, Fear and Sadness among the 6 speech labels; Disgust too in the 7
      text labels).

    A segment is *negative* when its negativity is at least the threshold (0.5 by default); the share of negative
    time of a call (``sentiv predict-call``, the ``sentiv-call`` pipeline) counts those segments.

    Args:
        probabilities: ``(segments, num_labels)`` softmax (sigmoid for multi-label) probabilities.
        label_names: the head's labels, in order.
        head: ``single_label``, ``multi_label`` or ``binary``.

    Example:
        >>> probs = np.array([[0.1, 0.2, 0.1, 0.3, 0.2, 0.1]])  # Anger Enjoyment Fear Neutral Sadness Surprise
        >>> call_negativity(probs, ["Anger", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise"], "single_label")
        array([0.4])
    """
    definition = negativity_definition(label_names, head)
    if definition is None:
        return None
    probabilities = np.asarray(probabilities, dtype=np.float64)
    keys = [normalize_label_key(name) for name in label_names]
    index = _negative_index(label_names, head)
    if index is not None:
        return probabilities[:, index]
    if head == "multi_label":
        non_negative = {normalize_label_key(name) for name in NON_NEGATIVE_LABELS}
        return probabilities[:, [j for j, key in enumerate(keys) if key not in non_negative]].max(axis=1)
    negative = {normalize_label_key(name) for name in NEGATIVE_EMOTIONS}
    return probabilities[:, [j for j, key in enumerate(keys) if key in negative]].sum(axis=1)


def covered_seconds(spans: Sequence[tuple[float, float]]) -> float:
    """Seconds covered by the union of ``(start, end)`` spans (overlapping windows count once).

    Example:
        >>> covered_seconds([(0.0, 30.0), (20.0, 50.0), (60.0, 70.0)])
        60.0
    """
    total, reach = 0.0, -math.inf
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


class SentiVCallPipeline(ChunkPipeline):
    """Score a whole call recording segment by segment: ``pipeline("sentiv-call", model=CKPT)(path)``.

    The call is cut into the fixed windows of `sentiv_hf.data.calls.segment_windows` (``segment_seconds`` and
    ``overlap``: by default the context checkpoint's own ``segment_seconds``/``segment_overlap``, and 30 s without
    overlap for a segment classifier). The recording is streamed: each window is decoded on its own (torchcodec, mono,
    at the model's rate), prepared like evaluation audio (`AudioPreprocessor`, ``train=False``; the whole window is
    kept) and encoded, so memory does not grow with the call's length. A speech classifier
    (`SentiVSpeechForAudioClassification`) scores each window; a context checkpoint (`SentiVContextModel`) keeps only
    each window's layer features (``embed_segments``: ``(L+1, H)``) and runs its context head over the whole call.

    Returns, per call, ``{"segments": [...], "summary": {...}}``. Each segment is ``{"segment_index", "start",
    "end", "scores": {label: probability}, "labels": [predicted labels], "negativity"}`` (negativity: see
    `call_negativity`; None when the labels have no negative side). Predicted labels: the labels at or above
    ``threshold`` for a multi-label head, ``negative`` when its probability reaches ``threshold`` for a binary head,
    the most probable label otherwise. The summary holds the duration, the number of segments, ``negative_share``
    (the share of the call's time covered by segments whose negativity reaches ``threshold``), ``peak_segment`` (the
    most negative segment; the most confident one when there is no negativity), ``label_shares`` (per label, the
    share of time covered by segments predicted with it; overlapping windows count once), the model and the segment
    settings. ``sentiv predict-call`` writes these as ``CALL.segments.csv``, ``CALL.summary.json`` and a timeline.

    Bad input raises `AudioInputError` (a ``ValueError``) naming the file and the fix: a missing or undecodable file,
    an empty or too-short call, NaN samples, or a window longer than a Whisper encoder's 30 s input.

    Example:
        >>> from transformers import pipeline
        >>> calls = pipeline("sentiv-call", model="out/speech")  # doctest: +SKIP
        >>> result = calls("call.wav", segment_seconds=30)  # doctest: +SKIP
        >>> result["summary"]["negative_share"], result["segments"][0]["labels"]  # doctest: +SKIP
        (0.25, ['Neutral'])
    """

    _load_processor = False
    _load_image_processor = False
    _load_video_processor = False
    _load_feature_extractor = True
    _load_tokenizer = False

    def __init__(self, model, *args, **kwargs):
        model_type = getattr(getattr(model, "config", None), "model_type", None)
        if model_type not in (_SPEECH_MODEL_TYPE, _CONTEXT_MODEL_TYPE):
            name = getattr(model, "name_or_path", None) or type(model).__name__
            raise ValueError(
                f"sentiv-call needs a SentiV speech classifier ({_SPEECH_MODEL_TYPE!r}) or context model "
                f"({_CONTEXT_MODEL_TYPE!r}), but {name} is a {model_type!r} model; train one with `sentiv train "
                "speech`."
            )
        super().__init__(model, *args, **kwargs)
        if self.feature_extractor is None:
            raise ValueError("sentiv-call needs the checkpoint's feature extractor; pass feature_extractor=....")

    @property
    def is_context(self) -> bool:
        """Whether the model is a context checkpoint (segments scored together) rather than a segment classifier."""
        return self.model.config.model_type == _CONTEXT_MODEL_TYPE

    @property
    def segment_config(self):
        """The config of the model that encodes one segment (the context checkpoint's segment model)."""
        return self.model.config.segment_config if self.is_context else self.model.config

    @property
    def label_names(self) -> list[str]:
        id2label = self.model.config.id2label
        return [str(id2label[i]) for i in range(len(id2label))]

    def segment_settings(self, segment_seconds: float | None = None, overlap: float | None = None) -> dict:
        """``{"segment_seconds", "overlap"}``: the given values, else the context checkpoint's, else 30 s and 0."""
        config = self.model.config
        if segment_seconds is None:
            segment_seconds = config.segment_seconds if self.is_context else DEFAULT_SEGMENT_SECONDS
            if overlap is None:
                overlap = config.segment_overlap if self.is_context else 0.0
        overlap = 0.0 if overlap is None else overlap
        return {"segment_seconds": float(segment_seconds), "overlap": float(overlap)}

    def _warn_other_settings(self, settings: dict) -> None:
        config = self.model.config
        segment_seconds, overlap = settings["segment_seconds"], settings["overlap"]
        if self.is_context and (segment_seconds, overlap) != (config.segment_seconds, config.segment_overlap):
            logger.warning(
                "The context model was trained on %g s segments with %g s overlap; scoring %g s segments with %g s "
                "overlap instead.",
                config.segment_seconds,
                config.segment_overlap,
                segment_seconds,
                overlap,
            )

    def _sanitize_parameters(self, segment_seconds=None, overlap=None, threshold=None, **kwargs):
        windows = {"segment_seconds": segment_seconds, "overlap": overlap}
        post = {**windows}
        if threshold is not None:
            if not 0.0 < float(threshold) < 1.0:
                raise ValueError(f"threshold must be between 0 and 1 (exclusive), got {threshold!r}.")
            post["threshold"] = float(threshold)
        return windows, {}, post

    def _open(self, path: str) -> tuple[Any, float]:
        """A streaming decoder of ``path`` (mono, at the model's rate) and the recording's duration in seconds."""
        rate = self.feature_extractor.sampling_rate
        decoder = open_audio_decoder(path, rate)
        duration = decoder.metadata.duration_seconds
        if duration is None:  # no duration in the container: count the samples, a window of audio at a time
            duration, start, step = 0.0, 0.0, 600.0
            while True:
                chunk = self._decode(decoder, path, start, start + step, check=False)
                duration += chunk.shape[-1] / rate
                if chunk.shape[-1] < round(step * rate) - 1:
                    break
                start += step
        if not duration > 0:
            raise AudioInputError(f"{path}: the recording is empty (0 s of audio). Pass a call recording with audio.")
        return decoder, float(duration)

    def _decode(self, decoder, path: str, start: float, end: float, *, check: bool = True) -> np.ndarray:
        """Samples of ``[start, end)`` seconds, mono float32; checked like any clip (length, NaN) when ``check``."""
        try:
            wave = decoder.get_samples_played_in_range(start, end).data.numpy()[0]
        except Exception as err:
            if not check:
                return np.zeros(0, dtype=np.float32)
            raise AudioInputError(
                f"Cannot decode {path} between {start:g} s and {end:g} s: {err}. Re-encode the file (e.g. ffmpeg -i "
                "CALL -ar 16000 -ac 1 CALL.wav)."
            ) from err
        if check:
            where = f"{path} [{start:g}-{end:g} s]"
            rate = self.feature_extractor.sampling_rate
            wave = prepare_waveform(
                wave,
                sampling_rate=rate,
                max_duration_s=None,
                min_samples=min_audio_samples(self.segment_config),
                source=where,
            )
        return wave

    def _check_windows(self, windows: list[tuple[float, float]], path: str) -> None:
        """Refuse windows a Whisper encoder would truncate (its input is a fixed chunk, 30 s for real checkpoints);
        warn when windows are longer than the clips the model was trained on."""
        longest = max(end - start for start, end in windows)
        n_samples = getattr(self.feature_extractor, "n_samples", None)
        rate = self.feature_extractor.sampling_rate
        if "input_features" in self.feature_extractor.model_input_names and n_samples:
            chunk = n_samples / rate
            if longest > chunk + 1e-6:
                raise AudioInputError(
                    f"{path}: a {longest:g} s window is longer than the Whisper encoder's {chunk:g} s input, which "
                    f"would cut it. Pass --segment-seconds {chunk * 2 / 3:g} or less (the last window of a call takes "
                    f"in a remainder shorter than half a window, so it can reach 1.5x --segment-seconds)."
                )
        config = self.model.config
        if self.is_context and config.positions == "learned" and len(windows) > config.max_segments:
            raise AudioInputError(
                f"{path}: {len(windows)} segments, but the context model's learned positions stop at "
                f"max_segments={config.max_segments}; pass a longer --segment-seconds, or split the recording."
            )
        trained = getattr(self.segment_config, "max_duration_s", None)
        if trained and longest > trained + 1e-6:
            logger.warning(
                "%s: scoring whole windows of up to %g s with a model trained on clips of at most %g s "
                "(max_duration_s); pass --segment-seconds %g to match it.",
                path,
                longest,
                trained,
                trained,
            )

    def preprocess(self, inputs, segment_seconds: float | None = None, overlap: float | None = None):
        if not isinstance(inputs, (str, os.PathLike)):
            raise ValueError(
                f"sentiv-call takes the path of a call recording (or a list of paths), got {type(inputs).__name__}."
            )
        path = str(inputs)
        settings = self.segment_settings(segment_seconds, overlap)
        self._warn_other_settings(settings)
        decoder, duration = self._open(path)
        windows = segment_windows(duration, settings["segment_seconds"], settings["overlap"])
        self._check_windows(windows, path)
        rate = self.feature_extractor.sampling_rate
        # The whole window is the segment: no crop (a second of slack for rounding of the decoded length).
        longest = max(end - start for start, end in windows)
        prepare = AudioPreprocessor(self.feature_extractor, max_seconds=longest + 1.0, sampling_rate=rate, train=False)
        yield from self._segments(decoder, path, duration, windows, prepare)

    def _segments(self, decoder, path, duration, windows, prepare) -> Iterator[dict[str, Any]]:
        rate = self.feature_extractor.sampling_rate
        for index, (start, end) in enumerate(windows):
            wave = self._decode(decoder, path, start, end)
            features = prepare({"audio": [{"array": wave, "sampling_rate": rate}]})
            yield {
                "is_last": index == len(windows) - 1,
                "segment_index": index,
                "start": start,
                "end": end,
                "duration": duration,
                **{key: torch.from_numpy(np.asarray(value)) for key, value in features.items()},
            }

    def _forward(self, model_inputs, **kwargs):
        meta = {
            key: torch.as_tensor(model_inputs.pop(key), dtype=dtype).reshape(-1)
            for key, dtype in (
                ("is_last", torch.bool),
                ("segment_index", torch.long),
                ("start", torch.float64),
                ("end", torch.float64),
                ("duration", torch.float64),
            )
        }
        if self.is_context:  # keep only what the context head reads: (L+1, H) per segment
            output = {"features": self.model.embed_segments(**model_inputs)}
        else:
            output = {"logits": self.model(**model_inputs).logits}
        return {**output, **meta}  # the model output first: the pack iterator reads the batch size off it

    def postprocess(self, model_outputs, segment_seconds=None, overlap=None, threshold: float = 0.5):
        from ..metrics import probabilities_from_logits

        if self.is_context:
            features = torch.cat([out["features"] for out in model_outputs]).unsqueeze(0)
            features = features.to(device=self.device, dtype=self.model.dtype)
            mask = torch.ones(features.shape[:2], dtype=torch.long, device=self.device)
            with torch.no_grad():
                logits = self.model(segment_features=features, segment_mask=mask).logits[0]
        else:
            logits = torch.cat([out["logits"] for out in model_outputs])
        head = getattr(self.model.config, "head", "single_label")
        probabilities = probabilities_from_logits(logits.double().cpu().numpy(), head == "multi_label")
        spans = [(float(out["start"][0]), float(out["end"][0])) for out in model_outputs]
        return summarize_call(
            probabilities,
            spans,
            duration=float(model_outputs[0]["duration"][0]),
            label_names=self.label_names,
            head=head,
            threshold=threshold,
            settings={
                **self.segment_settings(segment_seconds, overlap),
                "model": self.model.name_or_path or type(self.model).__name__,
                "model_type": self.model.config.model_type,
                "context": self.is_context,
                "causal": bool(self.model.config.causal) if self.is_context else None,
            },
        )


def predicted_labels(probabilities: np.ndarray, label_names: Sequence[str], head: str, threshold: float = 0.5):
    """The labels predicted for each row: at or above ``threshold`` (multi-label), ``negative`` when its probability
    reaches ``threshold`` (binary), else the most probable label.

    Example:
        >>> predicted_labels(np.array([[0.3, 0.7]]), ["non-negative", "negative"], "binary", threshold=0.8)
        [['non-negative']]
    """
    names = list(label_names)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if head == "multi_label":
        return [[names[j] for j in np.flatnonzero(row >= threshold)] for row in probabilities]
    index = _negative_index(names, head)
    if index is not None:
        return [[names[index] if row[index] >= threshold else names[1 - index]] for row in probabilities]
    return [[names[int(np.argmax(row))]] for row in probabilities]


def summarize_call(
    probabilities: np.ndarray,
    spans: Sequence[tuple[float, float]],
    *,
    duration: float,
    label_names: Sequence[str],
    head: str,
    threshold: float = 0.5,
    settings: dict | None = None,
) -> dict[str, Any]:
    """The ``sentiv-call`` result of one call from its segments' probabilities: ``{"segments", "summary"}``.

    Args:
        probabilities: ``(segments, num_labels)`` probabilities.
        spans: ``(start, end)`` of each segment, in seconds.
        duration: the call's length in seconds.
        label_names: the head's labels.
        head: ``single_label``, ``multi_label`` or ``binary``.
        threshold: see `predicted_labels` and `call_negativity`.
        settings: extra summary fields (model, segment settings).

    Example:
        >>> result = summarize_call(np.array([[0.9, 0.1], [0.2, 0.8]]), [(0, 30), (30, 60)], duration=60.0,
        ...                         label_names=["non-negative", "negative"], head="binary")
        >>> result["summary"]["negative_share"], result["summary"]["peak_segment"]["segment_index"]
        (0.5, 1)
    """
    names = list(label_names)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    negativity = call_negativity(probabilities, names, head)
    labels = predicted_labels(probabilities, names, head, threshold)
    segments = [
        {
            "segment_index": index,
            "start": float(start),
            "end": float(end),
            "scores": {name: float(p) for name, p in zip(names, row)},
            "labels": labels[index],
            "negativity": None if negativity is None else float(negativity[index]),
        }
        for index, ((start, end), row) in enumerate(zip(spans, probabilities))
    ]
    peak_scores = negativity if negativity is not None else probabilities.max(axis=1)
    peak = int(np.argmax(peak_scores))
    negative_share = None
    if negativity is not None:
        negative = [span for span, score in zip(spans, negativity) if score >= threshold]
        negative_share = covered_seconds(negative) / duration
    summary = {
        "duration": float(duration),
        "n_segments": len(segments),
        "negative_share": negative_share,
        "negativity": negativity_definition(names, head),
        "threshold": float(threshold),
        "peak_segment": {
            "segment_index": peak,
            "start": float(spans[peak][0]),
            "end": float(spans[peak][1]),
            "score": float(peak_scores[peak]),
            "score_name": "negativity" if negativity is not None else names[int(np.argmax(probabilities[peak]))],
        },
        "label_shares": {
            name: covered_seconds([span for span, found in zip(spans, labels) if name in found]) / duration
            for name in names
        },
        **(settings or {}),
    }
    return {"segments": segments, "summary": summary}


# Importing this module registers the task, as importing `sentiv_hf.models.pipelines` does: when this module is
# imported first, its import of transformers.pipelines runs `register_pipelines` before the class above exists.
from .pipelines import register_pipelines  # noqa: E402

register_pipelines()


__all__ = [
    "CALL_TASK_NAME",
    "SentiVCallPipeline",
    "call_negativity",
    "covered_seconds",
    "negativity_definition",
    "predicted_labels",
    "summarize_call",
]
