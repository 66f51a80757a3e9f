"""Configuration of `SentiVSpeechForAudioClassification`: any transformers audio encoder plus a SentiV head."""

from __future__ import annotations

from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec
from transformers.utils import logging

from .pooling import POOLING_REGISTRY

#: The 6 SentiV speech labels (Disgust merged into Anger). Kept here, not imported from ``sentiv_hf.labels``, so the
#: file works as remote code in a saved folder.
DEFAULT_SPEECH_LABELS: tuple[str, ...] = ("Anger", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise")

logger = logging.get_logger(__name__)

SPEECH_HEADS: tuple[str, ...] = ("single_label", "multi_label", "binary")
#: Encoder families the model knows how to mask and freeze.
SPEECH_ENCODER_TYPES: tuple[str, ...] = ("hubert", "wav2vec2", "wavlm", "whisper")

_PROBLEM_TYPES = {
    "single_label": "single_label_classification",
    "multi_label": "multi_label_classification",
    "binary": "single_label_classification",
}


class SentiVSpeechConfig(PreTrainedConfig):
    r"""
    Configuration of a SentiV speech emotion classifier. The audio encoder is held as a sub-config, so one class
    covers HuBERT, wav2vec2, WavLM and the Whisper encoder.

    Args:
        encoder_config (`PreTrainedConfig` or `dict`, *optional*):
            Config of the audio encoder (`model_type` one of hubert, wav2vec2, wavlm, whisper). Defaults to a
            `HubertConfig()`.
        use_weighted_layer_sum (`bool`, *optional*, defaults to `True`):
            Learn a softmax-weighted sum over all hidden layers (SUPERB); otherwise read the last hidden state.
        pooling (`str`, *optional*, defaults to `"mean"`):
            Masked pooling over time: `"mean"`, `"stats"` (mean + std) or `"attentive"` (attentive statistics).
        head (`str`, *optional*, defaults to `"single_label"`):
            `"single_label"` (softmax, cross-entropy), `"multi_label"` (sigmoid, BCE) or `"binary"` (exactly two
            labels; one logit `z` trained with BCE, returned as two columns `[0, z]` so that softmax/argmax work as
            for any classifier and label 1 is the positive class).
        classifier_proj_size (`int`, *optional*, defaults to 256):
            Size of the projection between the pooled states and the classifier.
        classifier_dropout (`float`, *optional*, defaults to 0.1):
            Dropout before the classifier.
        attention_hidden_size (`int`, *optional*, defaults to 128):
            Hidden size of the attention MLP of `"attentive"` pooling.
        max_duration_s (`float`, *optional*, defaults to 8.0):
            Audio longer than this is cropped (with a warning) by the pipelines.
        sampling_rate (`int`, *optional*, defaults to 16000):
            Sampling rate the encoder expects.
        class_weights (`list[float]`, *optional*):
            Per-class loss weights (cross-entropy `weight`; BCE `pos_weight` for the multi-label head; for the binary
            head `class_weights[1] / class_weights[0]` is the BCE `pos_weight`).
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal initialiser of the head.
        kwargs: passed to `PreTrainedConfig` (`id2label`, `label2id`, `num_labels`, ...). When `num_labels`
            disagrees with `id2label`, `num_labels` wins (names `LABEL_i`) and a warning is logged, as in
            transformers; this is what lets `from_pretrained(dir, num_labels=N, ignore_mismatched_sizes=True)`
            put a new head on a saved model.

    Example:
        >>> from transformers import HubertConfig
        >>> config = SentiVSpeechConfig(encoder_config=HubertConfig(), id2label={0: "Anger", 1: "Neutral"})
        >>> config.num_labels, config.pooling
        (2, 'mean')
    """

    model_type = "sentiv-speech"
    sub_configs_defaults = {"encoder_config": SubConfigSpec(config_class=AutoConfig, model_type="hubert")}

    def __init__(
        self,
        encoder_config: PreTrainedConfig | dict | None = None,
        use_weighted_layer_sum: bool = True,
        pooling: str = "mean",
        head: str = "single_label",
        classifier_proj_size: int = 256,
        classifier_dropout: float = 0.1,
        attention_hidden_size: int = 128,
        max_duration_s: float = 8.0,
        sampling_rate: int = 16000,
        class_weights: list[float] | None = None,
        initializer_range: float = 0.02,
        **kwargs,
    ) -> None:
        if pooling not in POOLING_REGISTRY:
            raise ValueError(f"Unknown pooling {pooling!r}; choose one of {sorted(POOLING_REGISTRY)}.")
        if head not in SPEECH_HEADS:
            raise ValueError(f"Unknown head {head!r}; choose one of {list(SPEECH_HEADS)}.")
        if max_duration_s is not None and max_duration_s <= 0:
            raise ValueError(f"max_duration_s must be positive, got {max_duration_s}.")
        id2label = kwargs.get("id2label")
        num_labels = kwargs.get("num_labels")
        if id2label is not None and num_labels is not None and len(id2label) != num_labels:
            # Documented behaviour, as in transformers: num_labels wins. This is how
            # `from_pretrained(dir, num_labels=N, ignore_mismatched_sizes=True)` re-heads a checkpoint; the names
            # become LABEL_0..N-1 unless an id2label of length N is passed as well.
            logger.warning(
                f"num_labels={num_labels} disagrees with id2label, which has {len(id2label)} labels "
                f"({list(dict(id2label).values())}); using num_labels with names LABEL_0..LABEL_{num_labels - 1}. "
                "Pass an id2label of the right length to name them."
            )
            kwargs.pop("id2label")
            kwargs.pop("label2id", None)
        kwargs.setdefault("problem_type", _PROBLEM_TYPES[head])
        self.encoder_config = encoder_config
        self.use_weighted_layer_sum = use_weighted_layer_sum
        self.pooling = pooling
        self.head = head
        self.classifier_proj_size = classifier_proj_size
        self.classifier_dropout = classifier_dropout
        self.attention_hidden_size = attention_hidden_size
        self.max_duration_s = max_duration_s
        self.sampling_rate = sampling_rate
        self.class_weights = list(class_weights) if class_weights is not None else None
        self.initializer_range = initializer_range
        super().__init__(**kwargs)
        encoder_type = self.encoder_config.model_type
        if encoder_type not in SPEECH_ENCODER_TYPES:
            raise ValueError(
                f"Unsupported encoder model_type {encoder_type!r}; choose one of {list(SPEECH_ENCODER_TYPES)}."
            )
        if head == "binary" and self.num_labels != 2:
            raise ValueError(
                f"The binary head needs exactly 2 labels (label 1 = positive class), got {self.num_labels}: "
                f"{list(self.id2label.values())}."
            )
        if self.class_weights is not None and len(self.class_weights) != self.num_labels:
            raise ValueError(
                f"class_weights has {len(self.class_weights)} values but there are {self.num_labels} labels."
            )

    @property
    def hidden_size(self) -> int:
        """Hidden size of the encoder (`d_model` for Whisper)."""
        return self.encoder_config.hidden_size

    @property
    def num_hidden_layers(self) -> int:
        """Transformer layers of the encoder (`encoder_layers` for Whisper, through its `attribute_map`)."""
        return self.encoder_config.num_hidden_layers


__all__ = ["SentiVSpeechConfig"]
