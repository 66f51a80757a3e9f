"""Configuration of `SentiVContextModel`: a small Transformer over the segment embeddings of one call, optionally with
the speech classifier that embeds the segments (a full checkpoint)."""

from __future__ import annotations

from transformers import PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from .configuration_sentiv_speech import SentiVSpeechConfig

CONTEXT_HEADS: tuple[str, ...] = ("single_label", "multi_label", "binary")
CONTEXT_POSITIONS: tuple[str, ...] = ("learned", "relative")

_PROBLEM_TYPES = {
    "single_label": "single_label_classification",
    "multi_label": "multi_label_classification",
    "binary": "single_label_classification",
}


class SentiVContextConfig(PreTrainedConfig):
    r"""
    Configuration of the SentiV context model, which classifies every segment of a call from the embeddings of all
    the call's segments (or, with ``causal=True``, of the segments up to it: live monitoring).

    Args:
        segment_config (`SentiVSpeechConfig` or `dict`, *optional*):
            Config of the speech classifier whose `encode_layers` embeds each segment. With it, the checkpoint holds
            the segment model too and `feature_layers` / `feature_size` follow from it. Without it the model takes
            precomputed segment features only.
        feature_layers (`int`, *optional*):
            Layers per segment feature (encoder layers + 1). Required without `segment_config`.
        feature_size (`int`, *optional*):
            Hidden size of a segment feature. Required without `segment_config`.
        d_model (`int`, *optional*, defaults to 256): width of the segment Transformer.
        num_layers (`int`, *optional*, defaults to 2): Transformer layers.
        num_heads (`int`, *optional*, defaults to 4): attention heads (must divide `d_model`).
        dim_feedforward (`int`, *optional*, defaults to 512): feed-forward width.
        dropout (`float`, *optional*, defaults to 0.1): dropout in the Transformer and before the classifier.
        positions (`str`, *optional*, defaults to `"learned"`):
            `"learned"` (an embedding per segment position, up to `max_segments`) or `"relative"` (ALiBi: a per-head
            attention bias proportional to the distance between two segments; no length limit of its own).
        max_segments (`int`, *optional*, defaults to 256): the longest sequence of segments one forward takes.
        causal (`bool`, *optional*, defaults to `False`): a segment attends only to itself and earlier segments.
        head (`str`, *optional*, defaults to `"single_label"`):
            `"single_label"` (softmax, cross-entropy), `"multi_label"` (sigmoid, BCE) or `"binary"` (exactly two
            labels; one logit `z` trained with BCE, returned as two columns `[0, z]`), as in `SentiVSpeechConfig`.
        class_weights (`list[float]`, *optional*): per-class loss weights, as in `SentiVSpeechConfig`.
        segment_seconds (`float`, *optional*, defaults to 30.0): segment length the model was trained on.
        segment_overlap (`float`, *optional*, defaults to 0.0): overlap of consecutive segments, in seconds.
        sampling_rate (`int`, *optional*, defaults to 16000): sampling rate of the segment audio.
        initializer_range (`float`, *optional*, defaults to 0.02): std of the normal initialiser.
        kwargs: passed to `PreTrainedConfig` (`id2label`, `num_labels`, ...). Without either, the labels of
            `segment_config` are used.

    Example:
        >>> config = SentiVContextConfig(feature_layers=3, feature_size=32, id2label={0: "other", 1: "negative"},
        ...                              head="binary", causal=True)
        >>> config.num_labels, config.positions
        (2, 'learned')
    """

    model_type = "sentiv-context"
    sub_configs_defaults = {"segment_config": SubConfigSpec(config_class=SentiVSpeechConfig, optional=True)}

    def __init__(
        self,
        segment_config: SentiVSpeechConfig | dict | None = None,
        feature_layers: int | None = None,
        feature_size: int | None = None,
        d_model: int = 256,
        num_layers: int = 2,
        num_heads: int = 4,
        dim_feedforward: int = 512,
        dropout: float = 0.1,
        positions: str = "learned",
        max_segments: int = 256,
        causal: bool = False,
        head: str = "single_label",
        class_weights: list[float] | None = None,
        segment_seconds: float = 30.0,
        segment_overlap: float = 0.0,
        sampling_rate: int = 16000,
        initializer_range: float = 0.02,
        **kwargs,
    ) -> None:
        if positions not in CONTEXT_POSITIONS:
            raise ValueError(f"Unknown positions {positions!r}; choose one of {list(CONTEXT_POSITIONS)}.")
        if head not in CONTEXT_HEADS:
            raise ValueError(f"Unknown head {head!r}; choose one of {list(CONTEXT_HEADS)}.")
        for name, value in (
            ("d_model", d_model),
            ("num_layers", num_layers),
            ("num_heads", num_heads),
            ("dim_feedforward", dim_feedforward),
            ("max_segments", max_segments),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if d_model % num_heads:
            raise ValueError(f"num_heads ({num_heads}) must divide d_model ({d_model}).")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        if not segment_seconds > 0:
            raise ValueError(f"segment_seconds must be > 0, got {segment_seconds}.")
        if not 0.0 <= segment_overlap < segment_seconds:
            raise ValueError(
                f"segment_overlap must be in [0, segment_seconds={segment_seconds}), got {segment_overlap}."
            )
        if kwargs.get("id2label") is None and kwargs.get("num_labels") is None and segment_config is not None:
            segment_id2label = (
                segment_config.id2label
                if isinstance(segment_config, PreTrainedConfig)
                else segment_config.get("id2label")
            )
            if segment_id2label is not None:
                kwargs["id2label"] = {int(k): v for k, v in segment_id2label.items()}
                kwargs["label2id"] = {v: int(k) for k, v in segment_id2label.items()}
        kwargs.setdefault("problem_type", _PROBLEM_TYPES[head])
        self.segment_config = segment_config
        self.feature_layers = feature_layers
        self.feature_size = feature_size
        self.d_model = d_model
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.dim_feedforward = dim_feedforward
        self.dropout = dropout
        self.positions = positions
        self.max_segments = max_segments
        self.causal = bool(causal)
        self.head = head
        self.class_weights = list(class_weights) if class_weights is not None else None
        self.segment_seconds = float(segment_seconds)
        self.segment_overlap = float(segment_overlap)
        self.sampling_rate = sampling_rate
        self.initializer_range = initializer_range
        super().__init__(**kwargs)
        if self.segment_config is not None:
            derived = {
                "feature_layers": self.segment_config.num_hidden_layers + 1,
                "feature_size": self.segment_config.hidden_size,
            }
            for name, value in derived.items():
                given = getattr(self, name)
                if given is not None and given != value:
                    raise ValueError(
                        f"{name}={given} disagrees with segment_config, whose encode_layers gives {name}={value}; "
                        f"drop {name} or pass a matching value."
                    )
                setattr(self, name, value)
        missing = [name for name in ("feature_layers", "feature_size") if getattr(self, name) is None]
        if missing:
            raise ValueError(
                f"Without segment_config, pass {' and '.join(missing)} (the shape of the precomputed segment "
                "features: encoder layers + 1, hidden size)."
            )
        if self.feature_layers < 1 or self.feature_size < 1:
            raise ValueError(
                f"feature_layers and feature_size must be >= 1, got {self.feature_layers} and {self.feature_size}."
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


__all__ = ["CONTEXT_HEADS", "CONTEXT_POSITIONS", "SentiVContextConfig"]
