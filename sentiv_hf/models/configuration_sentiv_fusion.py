"""Configuration of `SentiVFusionModel`: late fusion of a text classifier (7 labels) and a speech classifier
(6 labels) in the speech label space."""

from __future__ import annotations

from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from .configuration_sentiv_speech import DEFAULT_SPEECH_LABELS, SentiVSpeechConfig

FUSION_STRATEGY_NAMES: tuple[str, ...] = ("average", "concat_mlp", "uncertainty")
CONFIDENCE_NAMES: tuple[str, ...] = ("entropy", "max_prob")
# Copies of sentiv_hf.labels (this file must load without sentiv_hf installed); a test keeps them equal.
DEFAULT_TEXT_LABELS: tuple[str, ...] = ("Anger", "Disgust", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise")
DEFAULT_LABEL_MERGE: dict[str, str] = {"Disgust": "Anger"}


def _names(id2label) -> list[str]:
    return [id2label[k] for k in sorted(id2label, key=int)]


def label_alignment_pairs(
    text_labels: list[str], speech_labels: list[str], label_merge: dict[str, str] | None = None
) -> list[int]:
    """For each text label, the index of the speech label that receives its probability (matched by name,
    case-insensitively, after ``label_merge``). Raises `ValueError` naming any text label that has no target.

    Example:
        >>> label_alignment_pairs(["Anger", "Disgust", "Fear"], ["Anger", "Fear"], {"Disgust": "Anger"})
        [0, 0, 1]
    """
    merge = {k.casefold(): v for k, v in (label_merge or {}).items()}
    speech_index = {name.casefold(): i for i, name in enumerate(speech_labels)}
    targets, unknown = [], []
    for name in text_labels:
        target = merge.get(name.casefold(), name)
        if target.casefold() not in speech_index:
            unknown.append(name if target == name else f"{name}->{target}")
            continue
        targets.append(speech_index[target.casefold()])
    if unknown:
        raise ValueError(
            f"Cannot align text labels {unknown} with the speech labels {list(speech_labels)}. Map them with "
            f"label_merge (e.g. {{'Disgust': 'Anger'}}) or fix the id2label names."
        )
    return targets


class SentiVFusionConfig(PreTrainedConfig):
    r"""
    Configuration of the SentiV late-fusion model.

    Args:
        text_config (`PreTrainedConfig` or `dict`, *optional*):
            Config of the text sequence classifier (e.g. PhoBERT/RoBERTa). `None` in head-only mode.
        speech_config (`SentiVSpeechConfig` or `dict`, *optional*):
            Config of the speech classifier. `None` in head-only mode.
        fusion (`str`, *optional*, defaults to `"uncertainty"`):
            `"average"` (mean of calibrated probabilities), `"concat_mlp"` (trainable MLP over both log-probability
            vectors) or `"uncertainty"` (per-sample weights from each modality's confidence).
        confidence (`str`, *optional*, defaults to `"entropy"`):
            Confidence for `"uncertainty"`: `"entropy"` (1 - normalised entropy) or `"max_prob"`.
        text_temperature (`float`, *optional*, defaults to 1.0): temperature applied to text logits.
        speech_temperature (`float`, *optional*, defaults to 1.0): temperature applied to speech logits.
        label_merge (`dict[str, str]`, *optional*, defaults to `{"Disgust": "Anger"}`):
            Text labels folded into a speech label of another name.
        text_labels (`list[str]`, *optional*):
            Text label names in id order; defaults to `text_config.id2label`, else the 7 SentiV text labels.
        mlp_hidden_size (`int`, *optional*, defaults to 64): hidden size of the `"concat_mlp"` head.
        fusion_dropout (`float`, *optional*, defaults to 0.1): dropout of the `"concat_mlp"` head.
        initializer_range (`float`, *optional*, defaults to 0.02): std of the head initialiser.
        kwargs: passed to `PreTrainedConfig`; `id2label` is the (speech) output label space and defaults to
            `speech_config.id2label`, else the 6 SentiV speech labels.

    Example:
        >>> config = SentiVFusionConfig(fusion="average")  # head-only, SentiV label spaces
        >>> config.num_labels, len(config.text_labels)
        (6, 7)
    """

    model_type = "sentiv-fusion"
    sub_configs_defaults = {
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="roberta", optional=True),
        "speech_config": SubConfigSpec(config_class=SentiVSpeechConfig, optional=True),
    }

    def __init__(
        self,
        text_config: PreTrainedConfig | dict | None = None,
        speech_config: SentiVSpeechConfig | dict | None = None,
        fusion: str = "uncertainty",
        confidence: str = "entropy",
        text_temperature: float = 1.0,
        speech_temperature: float = 1.0,
        label_merge: dict[str, str] | None = None,
        text_labels: list[str] | None = None,
        mlp_hidden_size: int = 64,
        fusion_dropout: float = 0.1,
        initializer_range: float = 0.02,
        **kwargs,
    ) -> None:
        if fusion not in FUSION_STRATEGY_NAMES:
            raise ValueError(f"Unknown fusion {fusion!r}; choose one of {list(FUSION_STRATEGY_NAMES)}.")
        if confidence not in CONFIDENCE_NAMES:
            raise ValueError(f"Unknown confidence {confidence!r}; choose one of {list(CONFIDENCE_NAMES)}.")
        for name, value in (("text_temperature", text_temperature), ("speech_temperature", speech_temperature)):
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value}.")
        self.text_config = text_config
        self.speech_config = speech_config
        self.fusion = fusion
        self.confidence = confidence
        self.text_temperature = float(text_temperature)
        self.speech_temperature = float(speech_temperature)
        self.label_merge = dict(DEFAULT_LABEL_MERGE if label_merge is None else label_merge)
        self.mlp_hidden_size = mlp_hidden_size
        self.fusion_dropout = fusion_dropout
        self.initializer_range = initializer_range
        self.text_labels = list(text_labels) if text_labels is not None else None
        if kwargs.get("id2label") is None and kwargs.get("num_labels") is None:
            speech_id2label = None
            if isinstance(speech_config, PreTrainedConfig):
                speech_id2label = speech_config.id2label
            elif isinstance(speech_config, dict):
                speech_id2label = speech_config.get("id2label")
            if speech_id2label is None:
                speech_id2label = dict(enumerate(DEFAULT_SPEECH_LABELS))
            kwargs["id2label"] = {int(k): v for k, v in speech_id2label.items()}
            kwargs["label2id"] = {v: int(k) for k, v in speech_id2label.items()}
        super().__init__(**kwargs)
        if self.text_labels is None:
            self.text_labels = (
                _names(self.text_config.id2label) if self.text_config is not None else list(DEFAULT_TEXT_LABELS)
            )
        if self.speech_config is not None and self.speech_config.head == "multi_label":
            raise ValueError("Fusion needs a single-label or binary speech head, got head='multi_label'.")
        if self.speech_config is not None and _names(self.speech_config.id2label) != self.speech_labels:
            raise ValueError(
                f"id2label {self.speech_labels} differs from the speech model's labels "
                f"{_names(self.speech_config.id2label)}."
            )
        if self.text_config is not None and _names(self.text_config.id2label) != self.text_labels:
            raise ValueError(
                f"text_labels {self.text_labels} differ from the text model's labels "
                f"{_names(self.text_config.id2label)}."
            )
        # Fail at construction, not at the first forward, when the label spaces cannot be aligned.
        label_alignment_pairs(self.text_labels, self.speech_labels, self.label_merge)

    @property
    def speech_labels(self) -> list[str]:
        """Output (speech) label names in id order."""
        return _names(self.id2label)


__all__ = ["SentiVFusionConfig", "label_alignment_pairs"]
