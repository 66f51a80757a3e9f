"""The SentiV pipelines: ``sentiv-emotion`` (speech + text emotion recognition with a `SentiVFusionModel`) and
``sentiv-call`` (a whole call recording, segment by segment; see `SentiVCallPipeline`).

Each input is ``{"text": str, "audio": path_or_array}`` (either key may be left out), or a list of them (batched
with ``batch_size=...``). The output is the predicted label, the scores of every label, each modality's confidence
(max probability, ``None`` when the modality was missing), the fusion weights and the modalities used.

Example:
    >>> from transformers import pipeline
    >>> emotion = pipeline("sentiv-emotion", model="out/fusion")
    >>> emotion({"text": "Tôi rất vui", "audio": "clip.wav"})
    {'label': 'Enjoyment', 'scores': {...}, 'confidence': {'text': 0.8, 'speech': 0.6}, ...}
    >>> emotion([{"text": "Tôi buồn"}, {"audio": "clip.wav"}], batch_size=8)  # one forward pass per modality

Bad inputs raise a ``ValueError`` that names the input (``input 2``) and the fix: a ``text`` that is not a string
or is blank (spaces or zero-width characters only, `TextInputError`), unusable audio (`AudioInputError`: NaN
samples, a clip shorter than the encoder's first frame, stereo, a wrong sampling rate), and a checkpoint that is not
a fusion model.
"""

from __future__ import annotations

import collections.abc
import logging
import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from transformers import AutoModel, AutoModelForAudioClassification, AutoModelForSequenceClassification, Pipeline
from transformers.pipelines import PIPELINE_REGISTRY
from transformers.pipelines.base import ChunkPipeline
from transformers.pipelines.pt_utils import PipelineDataset, PipelineIterator

from ..data.audio import AudioPreprocessor
from ..data.calls import DEFAULT_SEGMENT_SECONDS, segment_windows
from ..data.text import normalize_text
from ..labels import BINARY_LABELS, NEGATIVE_EMOTIONS, NON_NEGATIVE_LABELS, TEXT_LABELS, normalize_label_key
from .audio_input import AudioInputError, min_audio_samples, prepare_waveform
from .text import tokenize_texts, word_segmenter_of

logger = logging.getLogger(__name__)

TASK_NAME = "sentiv-emotion"
_INPUT_KEYS = ("text", "audio")
_AUDIO_KEYS = ("input_values", "input_features")
_FUSION_MODEL_TYPE = "sentiv-fusion"


class TextInputError(ValueError):
    """A text a SentiV model cannot score: not a string, or blank; the message names the input and the fix."""


def check_text(value: Any, source: str = "text") -> str:
    """Return ``value`` if it is a text a model can score; raise `TextInputError` otherwise.

    A text must be a ``str`` with something visible in it: an empty string, spaces only, or zero-width characters
    only (e.g. U+200B) would still get a confident-looking prediction, of nothing. Numbers, NaN (an empty
    spreadsheet cell) and lists are refused rather than turned into strings such as ``"nan"`` or ``"['a', 'b']"``.
    Blank means empty after `sentiv_hf.data.text.normalize_text`, the normalisation datasets are built with.

    Args:
        value: the candidate text.
        source: how the message names the input, e.g. ``"input 3"``.

    Example:
        >>> check_text("Tôi rất vui")
        'Tôi rất vui'
        >>> check_text("  ", "input 1")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        TextInputError: input 1: the text is blank ...
    """
    if not isinstance(value, str):
        if isinstance(value, (list, tuple)):
            fix = "pass one text per input (a list of inputs is a batch: one {'text': ...} dict per text)"
        else:
            fix = "pass the text as a str"
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise TextInputError(f"{source}: 'text' must be a string, got {type(value).__name__} {shown}; {fix}.")
    if not normalize_text(value):
        raise TextInputError(
            f"{source}: the text is blank ({value!r}: empty, spaces or zero-width characters only); pass a text "
            "with words in it (or, for a fusion model, no text: the audio is then used alone)."
        )
    return value


class ModalityCollator:
    """Collates preprocessed items that may hold text, audio or both into one batch.

    Text rows are padded with ``tokenizer.pad`` and audio rows with ``feature_extractor.pad`` (each modality only
    over the items that have it); ``has_text``/``has_speech`` (``(batch,)`` bools) say which item has which.

    Example:
        >>> batch = ModalityCollator(tokenizer, feature_extractor)([pipe.preprocess({"text": "vui"}), ...])
    """

    def __init__(self, tokenizer, feature_extractor) -> None:
        self.tokenizer = tokenizer
        self.feature_extractor = feature_extractor

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        if len(items) == 1:
            return items[0]
        batch: dict[str, Any] = {
            "has_text": torch.cat([item["has_text"] for item in items]),
            "has_speech": torch.cat([item["has_speech"] for item in items]),
        }
        text = [item for item in items if "input_ids" in item]
        if text:
            padded = self.tokenizer.pad(
                {
                    "input_ids": [item["input_ids"][0].tolist() for item in text],
                    "attention_mask": [item["attention_mask"][0].tolist() for item in text],
                },
                return_tensors="pt",
            )
            batch["input_ids"], batch["attention_mask"] = padded["input_ids"], padded["attention_mask"]
        audio = [item for item in items if any(key in item for key in _AUDIO_KEYS)]
        if audio:
            key = next(k for k in _AUDIO_KEYS if k in audio[0])
            rows = []
            for item in audio:
                row = {key: item[key][0].numpy()}
                if item.get("audio_attention_mask") is not None:
                    row["attention_mask"] = item["audio_attention_mask"][0].numpy()
                rows.append(row)
            padded = self.feature_extractor.pad(rows, return_tensors="pt", return_attention_mask=True)
            batch[key], batch["audio_attention_mask"] = padded[key], padded["attention_mask"]
        return batch


class SentiVEmotionPipeline(Pipeline):
    """Multimodal (text and/or audio) emotion pipeline around `SentiVFusionModel`.

    Text is word-segmented as the text model's config says (``word_segmenter``) and truncated to 256 tokens; audio
    goes through `prepare_waveform` (file decoding; mono, rate, empty, NaN and shortest-clip checks; cropping to
    ``max_duration_s``). Texts must be non-blank strings (`check_text`); a list of inputs is checked whole before
    any work, so an error names the input's position (``input 3: ...``). A checkpoint other than a fusion model is
    refused when the pipeline is built, with the pipeline to use instead.

    Batching: a list input with ``batch_size=N`` runs as real batches of N. transformers' own collate function
    (``pad_collate_fn``) refuses items with different keys, so a text-only item next to an audio one could not be
    batched; `get_iterator` therefore collates with `ModalityCollator`, which pads each modality over the items
    that have it. Each batch then runs the text model once on its text rows and the speech model once on its audio
    rows (`SentiVFusionModel.modality_logits`), and fuses the rows grouped by the modalities they have. Results come
    back one per input, in input order. Audio rows of different lengths are zero-padded with an attention mask, as
    in training; encoders with group-norm feature extractors (e.g. HuBERT/wav2vec2-base) are not exactly
    padding-invariant, so their scores can differ slightly from those of ``batch_size=1``.
    """

    _load_processor = False
    _load_image_processor = False
    _load_video_processor = False
    _load_feature_extractor = None
    _load_tokenizer = None

    def __init__(self, model, *args, **kwargs):
        # transformers would otherwise build the pipeline around any model and fail later, deep in preprocess.
        model_type = getattr(getattr(model, "config", None), "model_type", None)
        if model_type != _FUSION_MODEL_TYPE:
            name = getattr(model, "name_or_path", None) or type(model).__name__
            raise ValueError(
                f"sentiv-emotion needs a SentiV fusion checkpoint (model_type {_FUSION_MODEL_TYPE!r}), but {name} is "
                f"a {model_type!r} model. Use pipeline('audio-classification', model=...) for a speech checkpoint "
                "and pipeline('text-classification', model=...) or `sentiv predict` for a text one."
            )
        super().__init__(model, *args, **kwargs)

    def __call__(self, inputs, *args, **kwargs):
        # Check every input before any work, so that the message names its position in the list.
        items = [inputs] if isinstance(inputs, dict) else inputs if isinstance(inputs, (list, tuple)) else []
        for index, item in enumerate(items):
            self.check_input(item, f"input {index}", arrays=True)
        return super().__call__(inputs, *args, **kwargs)

    def check_input(self, inputs: Any, source: str = "input", *, arrays: bool = False) -> None:
        """Check one input: a dict with a ``text`` (see `check_text`) and/or an ``audio``; ``ValueError`` naming
        ``source`` otherwise.

        Audio is checked where it is decoded (`prepare_waveform`, in `preprocess`); ``arrays=True`` checks arrays
        here too (cheap: nothing to decode), so that the message can name the input's position. A file's message
        names the file.
        """
        if not isinstance(inputs, dict) or not any(inputs.get(k) is not None for k in _INPUT_KEYS):
            raise ValueError(
                f"{source}: sentiv-emotion expects a dict with 'text' and/or 'audio' (or a list of them), got "
                f"{type(inputs).__name__}" + (f" with keys {sorted(inputs)}" if isinstance(inputs, dict) else "") + "."
            )
        unknown = sorted(set(inputs) - set(_INPUT_KEYS))
        if unknown:
            raise ValueError(f"{source}: unknown input keys {unknown}; sentiv-emotion takes {list(_INPUT_KEYS)}.")
        if inputs.get("text") is not None:
            check_text(inputs["text"], source)
        audio = inputs.get("audio")
        if arrays and audio is not None and not isinstance(audio, (str, os.PathLike)):
            self._waveform(audio, source, crop=False)

    def _waveform(self, audio: Any, source: str, *, crop: bool = True):
        """`prepare_waveform` with this model's rate, crop length and shortest clip."""
        if self.feature_extractor is None:
            raise ValueError("Audio given but the pipeline has no feature extractor; pass feature_extractor=....")
        speech_config = self.model.config.speech_config
        return prepare_waveform(
            audio,
            sampling_rate=self.feature_extractor.sampling_rate,
            max_duration_s=speech_config.max_duration_s if crop and speech_config is not None else None,
            min_samples=min_audio_samples(speech_config) if speech_config is not None else 1,
            source=source,
        )

    def _sanitize_parameters(self, **kwargs):
        return {}, {}, {}

    def preprocess(self, inputs, **kwargs):
        self.check_input(inputs)  # again: generators and datasets do not go through the check in __call__
        config = self.model.config
        model_inputs = {
            "has_text": torch.tensor([inputs.get("text") is not None]),
            "has_speech": torch.tensor([inputs.get("audio") is not None]),
        }
        if inputs.get("text") is not None:
            if self.tokenizer is None:
                raise ValueError("Text given but the pipeline has no tokenizer; pass tokenizer=... to pipeline().")
            segmenter = word_segmenter_of(config.text_config) if config.text_config is not None else None
            encoded = tokenize_texts(self.tokenizer, [inputs["text"]], word_segmenter=segmenter, return_tensors="pt")
            model_inputs["input_ids"] = encoded["input_ids"]
            model_inputs["attention_mask"] = encoded["attention_mask"]
        if inputs.get("audio") is not None:
            wave = self._waveform(inputs["audio"], "audio")
            features = self.feature_extractor(
                wave,
                sampling_rate=self.feature_extractor.sampling_rate,
                return_attention_mask=True,
                return_tensors="pt",
            )
            key = "input_features" if "input_features" in features else "input_values"
            model_inputs[key] = features[key]
            if features.get("attention_mask") is not None:
                model_inputs["audio_attention_mask"] = features["attention_mask"]
        return model_inputs

    def get_iterator(
        self, inputs, num_workers: int, batch_size: int, preprocess_params, forward_params, postprocess_params
    ):
        # Same as Pipeline.get_iterator except for the collate function (see the class docstring).
        if isinstance(inputs, collections.abc.Sized):
            dataset = PipelineDataset(inputs, self.preprocess, preprocess_params)
        else:
            if num_workers > 1:
                logger.warning("An iterable input cannot be split between workers; using num_workers=1.")
                num_workers = 1
            dataset = PipelineIterator(inputs, self.preprocess, preprocess_params)
        if "TOKENIZERS_PARALLELISM" not in os.environ:
            os.environ["TOKENIZERS_PARALLELISM"] = "false"  # DataLoader workers already run in parallel
        collate_fn = ModalityCollator(self.tokenizer, self.feature_extractor)
        loader = DataLoader(dataset, num_workers=num_workers, batch_size=batch_size, collate_fn=collate_fn)
        model_iterator = PipelineIterator(loader, self.forward, forward_params, loader_batch_size=batch_size)
        return PipelineIterator(model_iterator, self.postprocess, postprocess_params)

    def _forward(self, model_inputs, **kwargs):
        inputs = dict(model_inputs)
        has_text, has_speech = inputs.pop("has_text"), inputs.pop("has_speech")
        with torch.no_grad():
            # One pass of each sub-model over the rows that have its modality.
            text, speech = self.model.modality_logits(**inputs)
            reference = text if text is not None else speech
            size, num_labels = has_text.shape[0], self.model.config.num_labels
            # Every output is a (batch, ...) tensor, NaN where a row has no value: a tensor cannot hold a per-row
            # None, and the base class splits a batch into rows by indexing each tensor.
            out = {
                name: reference.new_full((size, width), float("nan"))
                for name, width in (
                    ("logits", num_labels),
                    ("text_logits", num_labels),
                    ("speech_logits", num_labels),
                    ("fusion_weights", 2),
                )
            }
            # Position of each batch row among the text (speech) rows.
            text_index = torch.cumsum(has_text.long(), 0) - 1
            speech_index = torch.cumsum(has_speech.long(), 0) - 1
            for rows in (has_text & has_speech, has_text & ~has_speech, ~has_text & has_speech):
                if not rows.any():
                    continue
                fused = self.model(
                    text_logits=text[text_index[rows]] if has_text[rows][0] else None,
                    speech_logits=speech[speech_index[rows]] if has_speech[rows][0] else None,
                )
                for name in out:
                    value = getattr(fused, name)
                    if value is not None:  # concat_mlp has no fusion weights
                        out[name][rows] = value.to(out[name].dtype)
        return {**out, "has_text": has_text, "has_speech": has_speech}

    def postprocess(self, model_outputs, **kwargs):
        id2label = self.model.config.id2label
        probs = model_outputs["logits"][0].float().softmax(-1)
        present = {"text": bool(model_outputs["has_text"][0]), "speech": bool(model_outputs["has_speech"][0])}
        confidence = {
            name: float(model_outputs[f"{name}_logits"][0].float().exp().max()) if present[name] else None
            for name in ("text", "speech")
        }
        weights = model_outputs["fusion_weights"][0].float()
        return {
            "label": id2label[int(probs.argmax())],
            "scores": {id2label[i]: float(p) for i, p in enumerate(probs.tolist())},
            "confidence": confidence,
            "fusion_weights": None
            if torch.isnan(weights).any()
            else {"text": float(weights[0]), "speech": float(weights[1])},
            "modalities": [name for name in ("text", "speech") if present[name]],
        }


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
        from torchcodec.decoders import AudioDecoder

        rate = self.feature_extractor.sampling_rate
        try:
            decoder = AudioDecoder(path, sample_rate=rate, num_channels=1)
        except Exception as err:  # torchcodec raises RuntimeError/ValueError depending on the container
            # prepare_waveform says why (missing, empty, not audio) in the words of `sentiv predict`.
            prepare_waveform(path, sampling_rate=rate, max_duration_s=None)
            raise AudioInputError(f"Cannot decode audio file {path}: {err}") from err
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


def register_pipelines() -> None:
    """Register ``sentiv-emotion`` and ``sentiv-call`` with transformers (idempotent). `sentiv_hf.registration`
    calls it once ``transformers.pipelines`` is imported, and so does importing this module."""
    supported = PIPELINE_REGISTRY.get_supported_tasks()
    if TASK_NAME not in supported:
        # AutoModel loads the fusion model. The other two are fallbacks for text and speech checkpoints, tried in
        # order, so that each loads whole (no report of unused head weights) and SentiVEmotionPipeline.__init__ can
        # say which pipeline to use instead; without them, pipeline() fails with transformers' list of every config.
        models = (AutoModelForSequenceClassification, AutoModel, AutoModelForAudioClassification)
        PIPELINE_REGISTRY.register_pipeline(TASK_NAME, pipeline_class=SentiVEmotionPipeline, pt_model=models)
    if CALL_TASK_NAME not in supported:
        # A speech classifier loads as an audio classifier; a context checkpoint (and anything else, which
        # SentiVCallPipeline.__init__ then refuses by name) as AutoModel.
        models = (AutoModelForAudioClassification, AutoModel)
        PIPELINE_REGISTRY.register_pipeline(CALL_TASK_NAME, pipeline_class=SentiVCallPipeline, pt_model=models)


register_pipelines()


__all__ = [
    "CALL_TASK_NAME",
    "ModalityCollator",
    "SentiVCallPipeline",
    "SentiVEmotionPipeline",
    "TASK_NAME",
    "TextInputError",
    "call_negativity",
    "check_text",
    "covered_seconds",
    "negativity_definition",
    "predicted_labels",
    "register_pipelines",
    "summarize_call",
]
