"""SentiV models: the speech classifier, the speech+text fusion model, their configs, pipelines and tiny builders.

Importing this package registers the configs with `AutoConfig`, the speech model with
`AutoModelForAudioClassification`, the fusion model with `AutoModel`, and the ``sentiv-emotion`` pipeline. The
classes are also registered for auto-class export, so ``save_pretrained`` copies their code and writes ``auto_map``
(loadable with ``trust_remote_code=True`` where sentiv_hf is not installed).
"""

from __future__ import annotations

from transformers import AutoConfig, AutoModel, AutoModelForAudioClassification

from .audio_input import AudioInputError, prepare_waveform
from .configuration_sentiv_fusion import SentiVFusionConfig
from .configuration_sentiv_speech import SentiVSpeechConfig
from .fusion_strategies import (
    FUSION_STRATEGIES,
    align_text_probs,
    build_fusion_strategy,
    confidence_scores,
    fit_temperature,
    fuse_probs,
    label_alignment_matrix,
    temperature_nll,
)
from .lora import add_lora
from .modeling_sentiv_fusion import SentiVFusionModel
from .modeling_sentiv_speech import SentiVSpeechForAudioClassification
from .outputs import SentiVFusionOutput, SpeechClassifierOutput
from .pooling import POOLING_REGISTRY, build_pooling
from .text import TEXT_MAX_LENGTH, VietnameseWordSegmenter, load_text_model_and_tokenizer, segment_texts


def _register() -> None:
    AutoConfig.register(SentiVSpeechConfig.model_type, SentiVSpeechConfig, exist_ok=True)
    AutoConfig.register(SentiVFusionConfig.model_type, SentiVFusionConfig, exist_ok=True)
    AutoModelForAudioClassification.register(SentiVSpeechConfig, SentiVSpeechForAudioClassification, exist_ok=True)
    AutoModel.register(SentiVFusionConfig, SentiVFusionModel, exist_ok=True)
    SentiVSpeechConfig.register_for_auto_class("AutoConfig")
    SentiVFusionConfig.register_for_auto_class("AutoConfig")
    SentiVSpeechForAudioClassification.register_for_auto_class("AutoModelForAudioClassification")
    SentiVFusionModel.register_for_auto_class("AutoModel")


_register()

from .pipelines import SentiVEmotionPipeline, register_pipelines  # noqa: E402  (needs the Auto classes above)

register_pipelines()

__all__ = [
    "AudioInputError",
    "FUSION_STRATEGIES",
    "POOLING_REGISTRY",
    "TEXT_MAX_LENGTH",
    "SentiVEmotionPipeline",
    "SentiVFusionConfig",
    "SentiVFusionModel",
    "SentiVFusionOutput",
    "SentiVSpeechConfig",
    "SentiVSpeechForAudioClassification",
    "SpeechClassifierOutput",
    "VietnameseWordSegmenter",
    "add_lora",
    "align_text_probs",
    "build_fusion_strategy",
    "build_pooling",
    "confidence_scores",
    "fit_temperature",
    "fuse_probs",
    "label_alignment_matrix",
    "load_text_model_and_tokenizer",
    "prepare_waveform",
    "segment_texts",
    "temperature_nll",
]
