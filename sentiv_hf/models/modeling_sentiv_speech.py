"""`SentiVSpeechForAudioClassification`: a transformers audio encoder (HuBERT, wav2vec2, WavLM or the Whisper
encoder) with a learned weighted layer sum, masked pooling and a single-label, multi-label or binary head.

Modelled on `Wav2Vec2ForSequenceClassification`. Only relative imports among copied files are used here, so that a
saved folder loads with `trust_remote_code=True` where `sentiv_hf` is not installed.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutput
from transformers.models.whisper.modeling_whisper import WhisperEncoder
from transformers.utils import logging

from .configuration_sentiv_speech import DEFAULT_SPEECH_LABELS, SentiVSpeechConfig
from .outputs import SpeechClassifierOutput
from .pooling import build_pooling, masked_mean

logger = logging.get_logger(__name__)


def build_audio_encoder(encoder_config) -> PreTrainedModel:
    """Randomly initialised encoder for ``encoder_config``; for Whisper only the encoder half is built."""
    if encoder_config.model_type == "whisper":
        return WhisperEncoder(encoder_config)
    return AutoModel.from_config(encoder_config)


def classification_loss(
    scores: torch.Tensor,
    labels: torch.Tensor,
    head: str,
    num_labels: int,
    class_weights: list[float] | None = None,
) -> torch.Tensor:
    """The loss rules of every SentiV classification head, on raw classifier ``scores``.

    ``single_label``: cross-entropy with ``class_weights`` as class weights. ``multi_label``: BCE with logits with
    ``class_weights`` as per-label ``pos_weight``. ``binary`` (one score column, the logit of class 1): BCE with
    logits with ``pos_weight = class_weights[1] / class_weights[0]``. The speech classifier and the context model
    both use it, so one set of class weights means the same thing in both.

    Args:
        scores: ``(N, num_labels)`` raw scores (``(N, 1)`` or ``(N,)`` for the binary head).
        labels: ``(N,)`` class ids, or ``(N, num_labels)`` multi-hot for the multi-label head.
        head: ``"single_label"``, ``"multi_label"`` or ``"binary"`` (the config's ``head``).
        num_labels: number of classes.
        class_weights: optional weights by class id (the config's ``class_weights``).

    Example:
        >>> scores = torch.tensor([[0.0, 0.0]])
        >>> round(classification_loss(scores, torch.tensor([1]), "single_label", 2).item(), 4)
        0.6931
    """
    weight = (
        torch.tensor(class_weights, dtype=scores.dtype, device=scores.device) if class_weights is not None else None
    )
    if head == "single_label":
        return nn.functional.cross_entropy(scores.view(-1, num_labels), labels.view(-1), weight=weight)
    if head == "multi_label":
        return nn.functional.binary_cross_entropy_with_logits(scores, labels.to(scores.dtype), pos_weight=weight)
    pos_weight = weight[1] / weight[0] if weight is not None else None
    return nn.functional.binary_cross_entropy_with_logits(
        scores.view(-1), labels.view(-1).to(scores.dtype), pos_weight=pos_weight
    )


class SentiVSpeechPreTrainedModel(PreTrainedModel):
    config_class = SentiVSpeechConfig
    base_model_prefix = "encoder"
    main_input_name = "input_values"
    input_modalities = "audio"
    # The loss is a plain mean over the batch; the Trainer must not pass num_items_in_batch into forward().
    accepts_loss_kwargs = False
    supports_gradient_checkpointing = True
    _supports_flash_attn = True
    _supports_sdpa = True
    _supports_flex_attn = True

    def _init_weights(self, module: nn.Module) -> None:
        # Encoder modules are initialised by the encoder's own `_init_weights` (transformers dispatches sub-models).
        super()._init_weights(module)
        if isinstance(module, SentiVSpeechForAudioClassification) and module.layer_weights is not None:
            init.constant_(module.layer_weights, 1.0 / module.layer_weights.numel())


class SentiVSpeechForAudioClassification(SentiVSpeechPreTrainedModel):
    """Speech emotion classifier over any transformers audio encoder.

    Example:
        >>> from sentiv_hf.models.tiny import tiny_speech_model
        >>> model = tiny_speech_model(num_labels=6)
        >>> model(torch.randn(2, 16000)).logits.shape
        torch.Size([2, 6])
    """

    def __init__(self, config: SentiVSpeechConfig) -> None:
        super().__init__(config)
        self.is_whisper = config.encoder_config.model_type == "whisper"
        if self.is_whisper:
            self.main_input_name = "input_features"
        self.encoder = build_audio_encoder(config.encoder_config)
        num_layers = config.num_hidden_layers + 1  # transformer layers + input embeddings
        self.layer_weights = (
            nn.Parameter(torch.ones(num_layers) / num_layers) if config.use_weighted_layer_sum else None
        )
        self.pooling = build_pooling(
            config.pooling, config.hidden_size, attention_hidden_size=config.attention_hidden_size
        )
        self.projector = nn.Linear(self.pooling.output_size, config.classifier_proj_size)
        self.dropout = nn.Dropout(config.classifier_dropout)
        # The binary head has one logit (label 1 vs label 0); the others one logit per label.
        self.classifier = nn.Linear(config.classifier_proj_size, 1 if config.head == "binary" else config.num_labels)
        self.post_init()

    # ----------------------------------------------------------------------------------------------- training
    def freeze_encoder(self) -> None:
        """Stop gradients through the whole encoder; only the layer weights, pooling and head train."""
        for param in self.encoder.parameters():
            param.requires_grad = False

    def freeze_base_model(self) -> None:
        """Alias of `freeze_encoder`, the name transformers' own classifiers use."""
        self.freeze_encoder()

    def freeze_feature_encoder(self) -> None:
        """Stop gradients through the convolutional front end (CNN feature encoder; Whisper's two convolutions)."""
        if self.is_whisper:
            modules = [self.encoder.conv1, self.encoder.conv2]
        else:
            modules = [self.encoder.feature_extractor]
        for module in modules:
            for param in module.parameters():
                param.requires_grad = False

    @classmethod
    def from_encoder_pretrained(
        cls,
        path_or_id: str,
        num_labels: int | None = None,
        id2label: dict[int, str] | None = None,
        *,
        revision: str | None = None,
        cache_dir: str | None = None,
        token: str | bool | None = None,
        local_files_only: bool = False,
        **config_kwargs,
    ) -> SentiVSpeechForAudioClassification:
        """Build a classifier around a pretrained encoder (Hub id or local folder); the head is freshly initialised.

        Args:
            path_or_id: encoder checkpoint, e.g. ``"facebook/hubert-base-ls960"`` or a folder with a saved encoder.
            num_labels: number of labels (not needed with ``id2label``). Without ``id2label``, 6 labels (or none
                given) get the SentiV speech label names; other counts get ``LABEL_i``.
            id2label: label names by index; ``label2id`` is derived.
            revision: Hub revision (branch, tag or commit hash) of the encoder; used for its config and weights.
            cache_dir, token, local_files_only: as in ``from_pretrained``, for both.
            config_kwargs: other `SentiVSpeechConfig` options (``pooling``, ``head``, ...).

        Example:
            >>> model = SentiVSpeechForAudioClassification.from_encoder_pretrained(
            ...     "facebook/hubert-base-ls960", id2label=dict(enumerate(SPEECH_LABELS)), pooling="stats")
        """
        hub_kwargs = {
            "revision": revision,
            "cache_dir": cache_dir,
            "token": token,
            "local_files_only": local_files_only,
        }
        encoder_config = AutoConfig.from_pretrained(path_or_id, **hub_kwargs)
        if id2label is None and num_labels in (None, len(DEFAULT_SPEECH_LABELS)):
            id2label = dict(enumerate(DEFAULT_SPEECH_LABELS))
        if id2label is not None:
            config_kwargs["id2label"] = {int(k): v for k, v in id2label.items()}
            config_kwargs["label2id"] = {v: int(k) for k, v in id2label.items()}
        if num_labels is not None:
            config_kwargs["num_labels"] = num_labels
        config = SentiVSpeechConfig(encoder_config=encoder_config, **config_kwargs)
        model = cls(config)
        pretrained = AutoModel.from_pretrained(path_or_id, **hub_kwargs)
        if encoder_config.model_type == "whisper":
            pretrained = pretrained.get_encoder()
        missing, unexpected = model.encoder.load_state_dict(pretrained.state_dict(), strict=False)
        if missing:
            logger.warning(f"Encoder weights not found in {path_or_id}: {missing}")
        model.config.name_or_path = str(path_or_id)
        return model

    # ----------------------------------------------------------------------------------------------- forward
    def _frame_mask(
        self, num_frames: int, attention_mask: torch.Tensor | None, inputs: torch.Tensor
    ) -> torch.Tensor | None:
        """Mask over encoder frames from the mask over samples (or over mel frames for Whisper)."""
        if attention_mask is None:
            return None
        if not self.is_whisper:
            return self.encoder._get_feature_vector_attention_mask(num_frames, attention_mask)
        lengths = attention_mask.sum(dim=-1)
        mel_frames = inputs.shape[-1]
        if attention_mask.shape[-1] != mel_frames:
            # WhisperFeatureExtractor returns a per-sample mask unless return_attention_mask=True is passed at call
            # time; convert sample counts to mel frames (hop = samples per frame).
            hop = attention_mask.shape[-1] // mel_frames
            lengths = torch.div(lengths + hop - 1, hop, rounding_mode="floor")
        # Whisper's second convolution has stride 2 over mel frames.
        frame_lengths = self.encoder._get_feat_extract_output_lengths(lengths).clamp(min=1)
        return torch.arange(num_frames, device=attention_mask.device)[None, :] < frame_lengths[:, None]

    def _encode(self, inputs: torch.Tensor, attention_mask: torch.Tensor | None, output_hidden_states: bool, **kwargs):
        if self.is_whisper:  # Whisper's encoder ignores masks; pooling excludes the padded frames
            return self.encoder(inputs, attention_mask=None, output_hidden_states=output_hidden_states, **kwargs)
        if attention_mask is not None and getattr(self.config.encoder_config, "feat_extract_norm", None) == "group":
            lengths = attention_mask.sum(dim=-1)
            if bool((lengths != inputs.shape[-1]).any()):
                return self._encode_unpadded(inputs, attention_mask, lengths, output_hidden_states, **kwargs)
        return self.encoder(inputs, attention_mask=attention_mask, output_hidden_states=output_hidden_states, **kwargs)

    def _encode_unpadded(
        self,
        inputs: torch.Tensor,
        attention_mask: torch.Tensor,
        lengths: torch.Tensor,
        output_hidden_states: bool,
        **kwargs,
    ) -> BaseModelOutput:
        """Encode each clip at its own length, then pad the outputs back to the batch's frame count.

        Encoders with ``feat_extract_norm="group"`` (HuBERT-base, wav2vec2-base) normalise the first convolution over
        the whole time axis, padding included, so a padded clip would get other features than the same clip alone.
        Clips of equal length still run as one batch. The padded frames are zeros; the frame mask excludes them.
        """
        num_frames = int(self.encoder._get_feat_extract_output_lengths(inputs.shape[-1]))
        rows_in_order, outputs = [], []
        for length in lengths.unique().tolist():
            rows = (lengths == length).nonzero(as_tuple=True)[0]
            length = int(length)
            outputs.append(
                self.encoder(
                    inputs[rows, :length],
                    attention_mask=attention_mask[rows, :length],
                    output_hidden_states=output_hidden_states,
                    **kwargs,
                )
            )
            rows_in_order.append(rows)
        inverse = torch.argsort(torch.cat(rows_in_order))

        def merge(tensors: list[torch.Tensor], time_dims: int) -> torch.Tensor:
            padded = []
            for tensor in tensors:
                missing = num_frames - tensor.shape[-2]
                # (B, T, H): pad dim -2; attentions (B, heads, T, T): pad dims -1 and -2.
                padded.append(nn.functional.pad(tensor, (0, 0, 0, missing) if time_dims == 1 else (0, missing) * 2))
            return torch.cat(padded).index_select(0, inverse)

        def merge_layers(name: str, time_dims: int) -> tuple[torch.Tensor, ...] | None:
            per_group = [getattr(out, name, None) for out in outputs]
            if per_group[0] is None:
                return None
            return tuple(merge([group[i] for group in per_group], time_dims) for i in range(len(per_group[0])))

        return BaseModelOutput(
            last_hidden_state=merge([out.last_hidden_state for out in outputs], 1),
            hidden_states=merge_layers("hidden_states", 1),
            attentions=merge_layers("attentions", 2),
        )

    @staticmethod
    def _pick_inputs(input_values: torch.Tensor | None, input_features: torch.Tensor | None) -> torch.Tensor:
        inputs = input_values if input_values is not None else input_features
        if inputs is None:
            raise ValueError("Pass `input_values` (raw waveform) or `input_features` (log-mel, Whisper).")
        return inputs

    def _mix_layers(self, stacked: torch.Tensor) -> torch.Tensor:
        """Softmax-weighted sum over dim 1 (layers) of ``(B, L+1, ...)``."""
        weights = nn.functional.softmax(self.layer_weights, dim=-1)
        return (stacked * weights.view(1, -1, *([1] * (stacked.dim() - 2)))).sum(dim=1)

    def _head(
        self, pooled: torch.Tensor, labels: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
        embeddings = self.projector(pooled)
        scores = self.classifier(self.dropout(embeddings))
        if self.config.head == "binary":
            logits = torch.cat([torch.zeros_like(scores), scores], dim=-1)
        else:
            logits = scores
        loss = self.compute_loss(scores, labels) if labels is not None else None
        return loss, logits, embeddings

    def compute_loss(self, scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Loss of the configured head on the classifier's raw ``scores`` (one column for the binary head)."""
        return classification_loss(scores, labels, self.config.head, self.config.num_labels, self.config.class_weights)

    def forward(
        self,
        input_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        input_features: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SpeechClassifierOutput | tuple:
        r"""
        Args:
            input_values (`torch.FloatTensor` of shape `(batch_size, samples)`): raw 16 kHz mono waveform
                (HuBERT, wav2vec2, WavLM), as returned by the feature extractor.
            attention_mask (`torch.LongTensor` of shape `(batch_size, samples)` or `(batch_size, mel_frames)`):
                1 for real samples (frames for Whisper), 0 for padding.
            labels (`torch.LongTensor` of shape `(batch_size,)`, or `(batch_size, num_labels)` multi-hot for the
                multi-label head): targets for the loss.
            input_features (`torch.FloatTensor` of shape `(batch_size, mel_bins, mel_frames)`): log-mel input of
                the Whisper encoder.
        """
        inputs = self._pick_inputs(input_values, input_features)
        kwargs.pop("num_items_in_batch", None)
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        need_layers = self.config.use_weighted_layer_sum or bool(output_hidden_states)
        if output_attentions:
            kwargs["output_attentions"] = True
        outputs = self._encode(inputs, attention_mask, need_layers, **kwargs)
        if self.config.use_weighted_layer_sum:
            hidden = self._mix_layers(torch.stack(outputs.hidden_states, dim=1))
        else:
            hidden = outputs.last_hidden_state
        pooled = self.pooling(hidden, self._frame_mask(hidden.shape[1], attention_mask, inputs))
        loss, logits, embeddings = self._head(pooled, labels)
        result = SpeechClassifierOutput(
            loss=loss,
            logits=logits,
            embeddings=embeddings,
            hidden_states=outputs.hidden_states if output_hidden_states else None,
            attentions=getattr(outputs, "attentions", None) if output_attentions else None,
        )
        return result if return_dict else result.to_tuple()

    @torch.no_grad()
    def encode_layers(
        self,
        input_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        input_features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Masked-mean pooled hidden state of every layer: ``(batch, num_hidden_layers + 1, hidden_size)``.

        The benchmark caches these once per clip and trains heads on them with `forward_from_layer_features`.

        Example:
            >>> feats = model.encode_layers(batch["input_values"], batch["attention_mask"])
            >>> model.forward_from_layer_features(feats).logits  # == model(**batch).logits with pooling="mean"
        """
        inputs = self._pick_inputs(input_values, input_features)
        outputs = self._encode(inputs, attention_mask, True)
        layers = list(outputs.hidden_states)
        if not self.config.use_weighted_layer_sum:
            # forward() reads last_hidden_state, which can differ from hidden_states[-1] (final layer norm)
            layers[-1] = outputs.last_hidden_state
        stacked = torch.stack(layers, dim=1)
        return masked_mean(stacked, self._frame_mask(stacked.shape[2], attention_mask, inputs))

    def forward_from_layer_features(
        self, layer_features: torch.Tensor, labels: torch.Tensor | None = None
    ) -> SpeechClassifierOutput:
        """Head on cached `encode_layers` output: weighted layer sum → projector → classifier.

        Exactly `forward()` when ``pooling == "mean"`` (mean pooling and the layer sum are both linear).

        Args:
            layer_features: ``(batch, num_hidden_layers + 1, hidden_size)`` from `encode_layers`.
            labels: as in `forward`.
        """
        if self.config.pooling != "mean":
            raise ValueError(
                f"forward_from_layer_features needs pooling='mean' (cached features are mean-pooled); "
                f"this model uses pooling={self.config.pooling!r}."
            )
        expected = self.config.num_hidden_layers + 1
        if layer_features.dim() != 3 or layer_features.shape[1] != expected:
            raise ValueError(
                f"layer_features must have shape (batch, {expected}, {self.config.hidden_size}), "
                f"got {tuple(layer_features.shape)}."
            )
        if self.config.use_weighted_layer_sum:
            pooled = self._mix_layers(layer_features)
        else:
            pooled = layer_features[:, -1]
        loss, logits, embeddings = self._head(pooled, labels)
        return SpeechClassifierOutput(loss=loss, logits=logits, embeddings=embeddings)


__all__ = [
    "SentiVSpeechForAudioClassification",
    "SentiVSpeechPreTrainedModel",
    "build_audio_encoder",
    "classification_loss",
]
