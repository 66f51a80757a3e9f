"""The ``sentiv-emotion`` pipeline (speech + text emotion recognition with a `SentiVFusionModel`), and the
registration of the SentiV pipelines: `register_pipelines` registers it and ``sentiv-call`` (a whole call recording,
segment by segment: `sentiv_hf.models.call_pipeline.SentiVCallPipeline`).

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
import os
from typing import Any

import torch
from torch.utils.data import DataLoader
from transformers import AutoModel, AutoModelForAudioClassification, AutoModelForSequenceClassification, Pipeline
from transformers.pipelines import PIPELINE_REGISTRY
from transformers.pipelines.pt_utils import PipelineDataset, PipelineIterator

from ..data.text import normalize_text
from .audio_input import min_audio_samples, prepare_waveform
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


def register_pipelines() -> None:
    """Register ``sentiv-emotion`` and ``sentiv-call`` (`sentiv_hf.models.call_pipeline`) with transformers
    (idempotent). `sentiv_hf.registration` calls it once ``transformers.pipelines`` is imported, and so does importing
    this module or the call pipeline's."""
    if TASK_NAME not in PIPELINE_REGISTRY.get_supported_tasks():
        # AutoModel loads the fusion model. The other two are fallbacks for text and speech checkpoints, tried in
        # order, so that each loads whole (no report of unused head weights) and SentiVEmotionPipeline.__init__ can
        # say which pipeline to use instead; without them, pipeline() fails with transformers' list of every config.
        models = (AutoModelForSequenceClassification, AutoModel, AutoModelForAudioClassification)
        PIPELINE_REGISTRY.register_pipeline(TASK_NAME, pipeline_class=SentiVEmotionPipeline, pt_model=models)
    # Imported here, not at the top: importing the call pipeline first imports transformers.pipelines, whose import
    # hook lands here while that module is still half-executed; it then registers itself when it is done.
    from . import call_pipeline

    pipeline_class = getattr(call_pipeline, "SentiVCallPipeline", None)
    if pipeline_class is not None and call_pipeline.CALL_TASK_NAME not in PIPELINE_REGISTRY.get_supported_tasks():
        # A speech classifier loads as an audio classifier; a context checkpoint (and anything else, which
        # SentiVCallPipeline.__init__ then refuses by name) as AutoModel.
        models = (AutoModelForAudioClassification, AutoModel)
        PIPELINE_REGISTRY.register_pipeline(
            call_pipeline.CALL_TASK_NAME, pipeline_class=pipeline_class, pt_model=models
        )


register_pipelines()


__all__ = [
    "ModalityCollator",
    "SentiVEmotionPipeline",
    "TASK_NAME",
    "TextInputError",
    "check_text",
    "register_pipelines",
]
