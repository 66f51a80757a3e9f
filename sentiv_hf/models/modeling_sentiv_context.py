"""`SentiVContextModel`: attention over the segment embeddings of a call, with a label per segment.

A call is cut into segments (30 s by default); each segment is embedded by a speech classifier's `encode_layers` (the
masked-mean state of every encoder layer, what the benchmark's frozen feature cache stores), and a small Transformer
encoder over the sequence of segments classifies every segment with the rest of the call as context (or, causal, with
the segments before it). A full checkpoint holds the segment model too, so one ``from_pretrained`` gives both.
Only relative imports among copied files are used, so saved folders load with ``trust_remote_code=True``.
"""

from __future__ import annotations

import copy
import os

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.utils import logging

from .configuration_sentiv_context import SentiVContextConfig
from .modeling_sentiv_speech import SentiVSpeechForAudioClassification, classification_loss
from .outputs import SentiVContextOutput

logger = logging.get_logger(__name__)


def alibi_slopes(num_heads: int) -> torch.Tensor:
    """ALiBi slopes ``2^(-8 (h + 1) / num_heads)`` for heads ``h = 0..num_heads-1`` (Press et al., 2022).

    Example:
        >>> alibi_slopes(4).tolist()
        [0.25, 0.0625, 0.015625, 0.00390625]
    """
    return torch.pow(2.0, -8.0 * torch.arange(1, num_heads + 1, dtype=torch.float32) / num_heads)


class ContextEncoderLayer(nn.TransformerEncoderLayer):
    """A pre-norm `nn.TransformerEncoderLayer` that always runs its Python path.

    Why: in inference (no grad, eval mode) the stock layer switches to ``torch._transformer_encoder_layer_fwd``,
    which returns NaN for a per-head float mask ``(B * num_heads, S, S)`` on a batch with padded segments (torch
    2.11), exactly the mask ALiBi positions need. The weights and their names are those of the stock layer.
    """

    def forward(
        self,
        src: torch.Tensor,
        src_mask: torch.Tensor | None = None,
        src_key_padding_mask: torch.Tensor | None = None,
        is_causal: bool = False,
    ) -> torch.Tensor:
        x = src + self._sa_block(self.norm1(src), src_mask, src_key_padding_mask, is_causal=is_causal)
        return x + self._ff_block(self.norm2(x))


class SentiVContextPreTrainedModel(PreTrainedModel):
    config_class = SentiVContextConfig
    base_model_prefix = "context"
    main_input_name = "segment_features"
    # The loss is a plain mean over the labelled segments; the Trainer must not pass num_items_in_batch into forward().
    accepts_loss_kwargs = False
    supports_gradient_checkpointing = True
    _supports_flash_attn = True
    _supports_sdpa = True
    _supports_flex_attn = True

    def _init_weights(self, module: nn.Module) -> None:
        # Linear, LayerNorm, Embedding and nn.MultiheadAttention get transformers' defaults; the segment model is
        # initialised by its own `_init_weights` (transformers dispatches sub-models).
        super()._init_weights(module)
        if isinstance(module, SentiVContextModel):
            init.constant_(module.layer_weights, 1.0 / module.layer_weights.numel())


class SentiVContextModel(SentiVContextPreTrainedModel):
    """Per-segment emotion classifier over the sequence of a call's segment embeddings.

    Segment features in, ``(batch, segments, num_labels)`` logits out: learned softmax-weighted sum over the
    feature layers → LayerNorm → Linear to ``d_model`` → positions (learned, or ALiBi relative biases) → a pre-norm
    ``nn.TransformerEncoder`` over the segments (padding masked; causal when ``config.causal``) → dropout → a
    classifier per segment. Padding goes at the end of a call: a segment's position is its index in the sequence.

    Example:
        >>> config = SentiVContextConfig(feature_layers=3, feature_size=32, d_model=32, num_heads=2, num_labels=4)
        >>> model = SentiVContextModel(config).eval()
        >>> out = model(torch.randn(2, 5, 3, 32), segment_mask=torch.tensor([[1] * 5, [1] * 3 + [0] * 2]))
        >>> out.logits.shape, out.hidden_states.shape
        (torch.Size([2, 5, 4]), torch.Size([2, 5, 32]))
    """

    def __init__(self, config: SentiVContextConfig) -> None:
        super().__init__(config)
        self.segment_model = (
            SentiVSpeechForAudioClassification(config.segment_config) if config.segment_config is not None else None
        )
        self.layer_weights = nn.Parameter(torch.ones(config.feature_layers) / config.feature_layers)
        self.input_norm = nn.LayerNorm(config.feature_size)
        self.input_proj = nn.Linear(config.feature_size, config.d_model)
        self.position_embeddings = (
            nn.Embedding(config.max_segments, config.d_model) if config.positions == "learned" else None
        )
        layer = ContextEncoderLayer(
            config.d_model,
            config.num_heads,
            dim_feedforward=config.dim_feedforward,
            dropout=config.dropout,
            batch_first=True,
            norm_first=True,
        )
        # Nested tensors need norm_first=False; the final LayerNorm closes the pre-norm stack.
        self.encoder = nn.TransformerEncoder(
            layer, config.num_layers, norm=nn.LayerNorm(config.d_model), enable_nested_tensor=False
        )
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.d_model, 1 if config.head == "binary" else config.num_labels)
        self.post_init()

    @classmethod
    def from_segment_model(
        cls, segment_model: SentiVSpeechForAudioClassification | str | os.PathLike, **config_kwargs
    ) -> SentiVContextModel:
        """A context model holding ``segment_model`` (its config and weights) and a freshly initialised context head.

        Args:
            segment_model: a `SentiVSpeechForAudioClassification`, or the folder / Hub id of a saved one. Its weights
                are copied (the model passed in is not shared).
            config_kwargs: other `SentiVContextConfig` options (``head``, ``id2label``, ``causal``, ``d_model``, ...).
                Without ``id2label`` / ``num_labels`` the context head takes the segment model's labels.

        Returns:
            The model in evaluation mode, as ``from_pretrained`` returns it.

        Example:
            >>> model = SentiVContextModel.from_segment_model("out/speech", causal=True, d_model=64, num_heads=2)
            >>> model.save_pretrained("out/context")  # the speech model and the context head in one checkpoint
        """
        if not isinstance(segment_model, SentiVSpeechForAudioClassification):
            segment_model = SentiVSpeechForAudioClassification.from_pretrained(segment_model)
        config = SentiVContextConfig(segment_config=copy.deepcopy(segment_model.config), **config_kwargs)
        model = cls(config)
        model.segment_model.load_state_dict(segment_model.state_dict())
        return model.eval()

    def _require_segment_model(self) -> SentiVSpeechForAudioClassification:
        if self.segment_model is None:
            raise ValueError(
                "This context model has no segment model (it was built without segment_config); pass precomputed "
                "segment_features, or build it with SentiVContextModel.from_segment_model(...)."
            )
        return self.segment_model

    @torch.no_grad()
    def embed_segments(
        self,
        input_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        input_features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Segment features ``(num_segments, feature_layers, feature_size)`` of a batch of segment audio: exactly the
        segment model's `encode_layers` (what the benchmark's feature cache stores for each segment).

        Example:
            >>> feats = model.embed_segments(batch["input_values"], batch["attention_mask"])  # one call's segments
            >>> model(feats[None]).logits  # (1, num_segments, num_labels)
        """
        return self._require_segment_model().encode_layers(
            input_values=input_values, attention_mask=attention_mask, input_features=input_features
        )

    # ----------------------------------------------------------------------------------------------- forward
    def _segment_inputs(self, segment_features: torch.Tensor) -> torch.Tensor:
        """``(B, S, feature_size)`` from 4-D layer features (learned layer sum) or 3-D features."""
        config = self.config
        if segment_features.dim() == 4:
            if tuple(segment_features.shape[2:]) != (config.feature_layers, config.feature_size):
                raise ValueError(
                    f"segment_features must have shape (batch, segments, {config.feature_layers}, "
                    f"{config.feature_size}) or (batch, segments, {config.feature_size}), got "
                    f"{tuple(segment_features.shape)}."
                )
            weights = nn.functional.softmax(self.layer_weights, dim=-1).to(segment_features.dtype)
            return (segment_features * weights.view(1, 1, -1, 1)).sum(dim=2)
        if segment_features.dim() == 3 and segment_features.shape[-1] == config.feature_size:
            return segment_features
        raise ValueError(
            f"segment_features must have shape (batch, segments, {config.feature_layers}, {config.feature_size}) or "
            f"(batch, segments, {config.feature_size}), got {tuple(segment_features.shape)}."
        )

    def _attention_mask(self, segment_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """One additive mask ``(B * num_heads, S, S)``: ALiBi biases, padded keys and (causal) later keys.

        Padding, causality and positions share one float mask, filled with the dtype's minimum where attention is not
        allowed: a query with no allowed key (a padded segment) then gets a uniform, finite softmax instead of NaN
        (separate ``-inf`` masks would make it NaN, and NaN values reach the real segments through later layers).
        """
        config = self.config
        batch, length = segment_mask.shape
        device = segment_mask.device
        allowed = segment_mask[:, None, None, :].expand(batch, config.num_heads, length, length)
        if config.causal:
            allowed = allowed & torch.ones(length, length, dtype=torch.bool, device=device).tril()
        bias = torch.zeros((), dtype=dtype, device=device)
        if config.positions == "relative":
            index = torch.arange(length, device=device)
            distance = (index[None, :] - index[:, None]).abs().to(dtype)
            bias = -alibi_slopes(config.num_heads).to(device, dtype)[:, None, None] * distance  # (H, S, S)
        mask = torch.where(allowed, bias, torch.finfo(dtype).min)
        return mask.reshape(batch * config.num_heads, length, length)

    def forward(
        self,
        segment_features: torch.Tensor,
        segment_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        label_mask: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SentiVContextOutput | tuple:
        r"""
        Args:
            segment_features (`torch.FloatTensor` of shape `(batch, segments, feature_layers, feature_size)` or
                `(batch, segments, feature_size)`): segment embeddings of each call (`embed_segments`, or the
                benchmark's feature cache), in time order, padding at the end.
            segment_mask (`torch.LongTensor` or `torch.BoolTensor` of shape `(batch, segments)`, *optional*):
                1 for real segments, 0 for padding; `None` means all real.
            labels (`torch.LongTensor` of shape `(batch, segments)`, or `(batch, segments, num_labels)` multi-hot
                for the multi-label head): targets; -100 marks an unlabelled segment (single-label and binary).
            label_mask (`torch.BoolTensor` of shape `(batch, segments)`, *optional*): which segments' labels count
                in the loss (e.g. a label budget; unlabelled segments still serve as context). Padding never counts.
        """
        kwargs.pop("num_items_in_batch", None)
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        hidden = self._segment_inputs(segment_features)
        batch, length = hidden.shape[:2]
        if self.position_embeddings is not None and length > self.config.max_segments:
            raise ValueError(
                f"{length} segments exceed max_segments={self.config.max_segments} of the learned positions; "
                "split the call into chunks of at most max_segments segments."
            )
        if segment_mask is None:
            segment_mask = torch.ones(batch, length, dtype=torch.bool, device=hidden.device)
        segment_mask = segment_mask.to(hidden.device).bool()
        if segment_mask.shape != (batch, length):
            raise ValueError(f"segment_mask must have shape {(batch, length)}, got {tuple(segment_mask.shape)}.")
        hidden = self.input_proj(self.input_norm(hidden))
        if self.position_embeddings is not None:
            hidden = hidden + self.position_embeddings(torch.arange(length, device=hidden.device))[None]
        hidden = self.encoder(hidden, mask=self._attention_mask(segment_mask, hidden.dtype))
        scores = self.classifier(self.dropout(hidden))
        if self.config.head == "binary":
            logits = torch.cat([torch.zeros_like(scores), scores], dim=-1)
        else:
            logits = scores
        loss = None
        if labels is not None:
            counted = segment_mask if label_mask is None else segment_mask & label_mask.to(segment_mask.device).bool()
            loss = self.compute_loss(scores, labels, counted)
        result = SentiVContextOutput(loss=loss, logits=logits, hidden_states=hidden)
        return result if return_dict else result.to_tuple()

    def compute_loss(self, scores: torch.Tensor, labels: torch.Tensor, counted: torch.Tensor) -> torch.Tensor:
        """Loss of the configured head, averaged over the segments that are ``counted`` and labelled.

        Args:
            scores: raw classifier output ``(B, S, K)`` (one column for the binary head).
            labels: ``(B, S)`` class ids (-100 = unlabelled) or ``(B, S, num_labels)`` multi-hot.
            counted: ``(B, S)`` bool, real segments whose label counts.
        """
        if self.config.head != "multi_label":
            counted = counted & (labels != -100)
        if not bool(counted.any()):
            return scores.sum() * 0.0  # nothing labelled: a zero loss that still has a graph
        # The same weighted CE / BCE rules as the speech classifier, on the selected segments only.
        config = self.config
        return classification_loss(
            scores[counted], labels[counted], config.head, config.num_labels, config.class_weights
        )


__all__ = ["ContextEncoderLayer", "SentiVContextModel", "SentiVContextPreTrainedModel", "alibi_slopes"]
