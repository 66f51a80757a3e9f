"""The ``sentiv-emotion`` pipeline: speech + text emotion recognition with a `SentiVFusionModel`.

Each input is ``{"text": str, "audio": path_or_array}`` (either key may be left out), or a list of them. The output
is the predicted label, the scores of every label, each modality's confidence (max probability, ``None`` when the
modality was missing), the fusion weights and the modalities used.

Example:
    >>> from transformers import pipeline
    >>> emotion = pipeline("sentiv-emotion", model="out/fusion")
    >>> emotion({"text": "Tôi rất vui", "audio": "clip.wav"})
    {'label': 'Enjoyment', 'scores': {...}, 'confidence': {'text': 0.8, 'speech': 0.6}, ...}
"""

from __future__ import annotations

import logging

import torch
from transformers import AutoModel, Pipeline
from transformers.pipelines import PIPELINE_REGISTRY

from .audio_input import prepare_waveform
from .text import TEXT_MAX_LENGTH, segment_texts, word_segmenter_of

logger = logging.getLogger(__name__)

TASK_NAME = "sentiv-emotion"
_INPUT_KEYS = ("text", "audio")


class SentiVEmotionPipeline(Pipeline):
    """Multimodal (text and/or audio) emotion pipeline around `SentiVFusionModel`.

    Text is word-segmented as the text model's config says (``word_segmenter``) and truncated to 256 tokens; audio
    goes through `prepare_waveform` (file decoding, mono/rate/empty checks, cropping to ``max_duration_s``).
    """

    _load_processor = False
    _load_image_processor = False
    _load_video_processor = False
    _load_feature_extractor = None
    _load_tokenizer = None

    def _sanitize_parameters(self, **kwargs):
        return {}, {}, {}

    def preprocess(self, inputs, **kwargs):
        if not isinstance(inputs, dict) or not any(inputs.get(k) is not None for k in _INPUT_KEYS):
            raise ValueError(
                "sentiv-emotion expects a dict with 'text' and/or 'audio' (or a list of them), got "
                f"{type(inputs).__name__}" + (f" with keys {sorted(inputs)}" if isinstance(inputs, dict) else "") + "."
            )
        unknown = sorted(set(inputs) - set(_INPUT_KEYS))
        if unknown:
            raise ValueError(f"Unknown input keys {unknown}; sentiv-emotion takes {list(_INPUT_KEYS)}.")
        config = self.model.config
        model_inputs = {}
        if inputs.get("text") is not None:
            if self.tokenizer is None:
                raise ValueError("Text given but the pipeline has no tokenizer; pass tokenizer=... to pipeline().")
            segmenter = word_segmenter_of(config.text_config) if config.text_config is not None else None
            encoded = self.tokenizer(
                segment_texts([inputs["text"]], segmenter),
                truncation=True,
                max_length=TEXT_MAX_LENGTH,
                return_tensors="pt",
            )
            model_inputs["input_ids"] = encoded["input_ids"]
            model_inputs["attention_mask"] = encoded["attention_mask"]
        if inputs.get("audio") is not None:
            if self.feature_extractor is None:
                raise ValueError("Audio given but the pipeline has no feature extractor; pass feature_extractor=....")
            speech_config = config.speech_config
            sampling_rate = self.feature_extractor.sampling_rate
            wave = prepare_waveform(
                inputs["audio"],
                sampling_rate=sampling_rate,
                max_duration_s=speech_config.max_duration_s if speech_config is not None else None,
            )
            features = self.feature_extractor(
                wave, sampling_rate=sampling_rate, return_attention_mask=True, return_tensors="pt"
            )
            key = "input_features" if "input_features" in features else "input_values"
            model_inputs[key] = features[key]
            model_inputs["audio_attention_mask"] = features.get("attention_mask")
        return model_inputs

    def _forward(self, model_inputs, **kwargs):
        with torch.no_grad():
            output = self.model(**model_inputs)
        # A plain dict: the base class rebuilds ModelOutputs and would drop the None of a missing modality.
        return {
            "logits": output.logits,
            "text_logits": output.text_logits,
            "speech_logits": output.speech_logits,
            "fusion_weights": output.fusion_weights,
            "modalities": list(output.modalities),
        }

    def postprocess(self, model_outputs, **kwargs):
        id2label = self.model.config.id2label
        probs = model_outputs["logits"][0].float().softmax(-1)
        confidence = {}
        for name in ("text", "speech"):
            logprobs = model_outputs.get(f"{name}_logits")
            confidence[name] = float(logprobs[0].exp().max()) if logprobs is not None else None
        weights = model_outputs.get("fusion_weights")
        return {
            "label": id2label[int(probs.argmax())],
            "scores": {id2label[i]: float(p) for i, p in enumerate(probs.tolist())},
            "confidence": confidence,
            "fusion_weights": {"text": float(weights[0, 0]), "speech": float(weights[0, 1])}
            if weights is not None
            else None,
            "modalities": list(model_outputs["modalities"]),
        }


def register_pipelines() -> None:
    """Register ``sentiv-emotion`` with transformers (done on ``import sentiv_hf``)."""
    if TASK_NAME not in PIPELINE_REGISTRY.get_supported_tasks():
        PIPELINE_REGISTRY.register_pipeline(TASK_NAME, pipeline_class=SentiVEmotionPipeline, pt_model=AutoModel)


__all__ = ["SentiVEmotionPipeline", "TASK_NAME", "register_pipelines"]
