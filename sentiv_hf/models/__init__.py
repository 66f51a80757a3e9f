"""SentiV models: the speech classifier, the speech+text fusion model, the call context model, their configs,
pipelines (``pipelines``: ``sentiv-emotion`` and the registration of both; ``call_pipeline``: ``sentiv-call``) and
tiny builders.

Layer: models, at the bottom next to ``labels``, ``data`` and ``metrics``. It may import ``sentiv_hf.labels``,
``sentiv_hf.data`` (audio cropping), ``sentiv_hf.errors``, ``sentiv_hf.registration``, torch, transformers and peft;
never ``training``, ``benchmark`` or ``commands``.

Importing this package registers the configs with `AutoConfig`, the speech model with
`AutoModelForAudioClassification` and the fusion and context models with `AutoModel`; the ``sentiv-emotion`` and
``sentiv-call`` pipelines are registered as soon as ``transformers.pipelines`` is imported (at once if it already
is; importing it here would pull in the whole pipelines stack). The classes are also registered for auto-class
export, so ``save_pretrained`` copies their code and writes ``auto_map`` (loadable with ``trust_remote_code=True``
where sentiv_hf is not installed). ``import sentiv_hf`` alone does none of this until transformers' Auto classes are
imported (`sentiv_hf.registration`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from transformers import AutoConfig, AutoModel, AutoModelForAudioClassification

from ..registration import register_what_is_imported
from .audio_input import AudioInputError, prepare_waveform
from .configuration_sentiv_context import SentiVContextConfig
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
from .modeling_sentiv_context import SentiVContextModel
from .modeling_sentiv_fusion import SentiVFusionModel
from .modeling_sentiv_speech import SentiVSpeechForAudioClassification
from .outputs import SentiVContextOutput, SentiVFusionOutput, SpeechClassifierOutput
from .pooling import POOLING_REGISTRY, build_pooling
from .text import TEXT_MAX_LENGTH, VietnameseWordSegmenter, load_text_model_and_tokenizer, segment_texts

if TYPE_CHECKING:
    from .call_pipeline import SentiVCallPipeline
    from .pipelines import SentiVEmotionPipeline


def _register() -> None:
    AutoConfig.register(SentiVSpeechConfig.model_type, SentiVSpeechConfig, exist_ok=True)
    AutoConfig.register(SentiVFusionConfig.model_type, SentiVFusionConfig, exist_ok=True)
    AutoConfig.register(SentiVContextConfig.model_type, SentiVContextConfig, exist_ok=True)
    AutoModelForAudioClassification.register(SentiVSpeechConfig, SentiVSpeechForAudioClassification, exist_ok=True)
    AutoModel.register(SentiVFusionConfig, SentiVFusionModel, exist_ok=True)
    AutoModel.register(SentiVContextConfig, SentiVContextModel, exist_ok=True)
    SentiVSpeechConfig.register_for_auto_class("AutoConfig")
    SentiVFusionConfig.register_for_auto_class("AutoConfig")
    SentiVSpeechForAudioClassification.register_for_auto_class("AutoModelForAudioClassification")
    SentiVFusionModel.register_for_auto_class("AutoModel")
    SentiVContextConfig.register_for_auto_class("AutoConfig")
    SentiVContextModel.register_for_auto_class("AutoModel")


_register()
register_what_is_imported()  # the pipeline, if transformers.pipelines is imported; otherwise when it is


def __getattr__(name: str):
    # The pipeline modules import transformers.pipelines (slow): only on demand.
    if name in ("SentiVEmotionPipeline", "register_pipelines"):
        from . import pipelines

        return getattr(pipelines, name)
    if name == "SentiVCallPipeline":
        from .call_pipeline import SentiVCallPipeline

        return SentiVCallPipeline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AudioInputError",
    "FUSION_STRATEGIES",
    "POOLING_REGISTRY",
    "TEXT_MAX_LENGTH",
    "SentiVContextConfig",
    "SentiVContextModel",
    "SentiVCallPipeline",
    "SentiVContextOutput",
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
