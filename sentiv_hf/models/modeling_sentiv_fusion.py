"""`SentiVFusionModel`: late fusion of a text classifier and a `SentiVSpeechForAudioClassification`.

Text probabilities are mapped onto the speech label space by name (Disgust → Anger), each modality is temperature
scaled, and the two are fused by the configured strategy. With one modality missing, the other one's prediction is
returned and ``modalities`` says which was used. Without sub-models ("head only") it fuses precomputed logits.
Only relative imports among copied files are used, so saved folders load with ``trust_remote_code=True``.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from transformers import AutoModelForSequenceClassification, PreTrainedModel
from transformers import initialization as init
from transformers.utils import logging

from .configuration_sentiv_fusion import SentiVFusionConfig
from .fusion_strategies import build_fusion_strategy, calibrated_log_probs, label_alignment_matrix
from .fusion_strategies import fit_temperature as _fit_temperature
from .modeling_sentiv_speech import SentiVSpeechForAudioClassification
from .outputs import SentiVFusionOutput

logger = logging.get_logger(__name__)


class SentiVFusionPreTrainedModel(PreTrainedModel):
    config_class = SentiVFusionConfig
    base_model_prefix = "fusion"
    main_input_name = "input_ids"
    input_modalities = ("text", "audio")
    accepts_loss_kwargs = False
    supports_gradient_checkpointing = True
    _supports_flash_attn = True
    _supports_sdpa = True
    _supports_flex_attn = True
    # Checkpoints saved before the alignment matrix became a buffer lack it; _init_weights rebuilds it from the config.
    _keys_to_ignore_on_load_missing = [r"^label_alignment$"]

    @property
    def dtype(self) -> torch.dtype:
        # Head-only average/uncertainty fusion has no parameters, only the alignment buffer.
        tensors = itertools.chain(self.parameters(), self.buffers())
        return next((t.dtype for t in tensors if t.is_floating_point()), torch.get_default_dtype())

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, SentiVFusionModel):
            config = module.config
            init.copy_(
                module.label_alignment,
                label_alignment_matrix(config.text_labels, config.speech_labels, config.label_merge),
            )
        else:
            super()._init_weights(module)


class SentiVFusionModel(SentiVFusionPreTrainedModel):
    """Speech + text late-fusion emotion classifier (6 speech labels).

    Model state is the sub-models, the ``concat_mlp`` head and the ``label_alignment`` buffer (text → speech label
    matrix), so every model, head-only ``average``/``uncertainty`` included, saves a ``model.safetensors`` and
    reloads with ``AutoModel.from_pretrained(dir)``. The fitted temperatures live in the config.

    Example:
        >>> model = SentiVFusionModel(SentiVFusionConfig(fusion="uncertainty"))  # head-only
        >>> out = model(text_logits=torch.randn(2, 7), speech_logits=torch.randn(2, 6))
        >>> out.logits.shape, out.fusion_weights.shape, out.modalities
        (torch.Size([2, 6]), torch.Size([2, 2]), ('text', 'speech'))
    """

    def __init__(self, config: SentiVFusionConfig) -> None:
        super().__init__(config)
        self.text_model = (
            AutoModelForSequenceClassification.from_config(config.text_config)
            if config.text_config is not None
            else None
        )
        self.speech_model = (
            SentiVSpeechForAudioClassification(config.speech_config) if config.speech_config is not None else None
        )
        self.strategy = build_fusion_strategy(
            config.fusion,
            config.num_labels,
            confidence=config.confidence,
            hidden_size=config.mlp_hidden_size,
            dropout=config.fusion_dropout,
        )
        # ``(n_text_labels, num_labels)`` 0/1 matrix sending each text label to its speech label (Disgust → Anger).
        # Persistent: it is model state, and it gives head-only models a weights file so from_pretrained works.
        self.register_buffer(
            "label_alignment",
            label_alignment_matrix(config.text_labels, config.speech_labels, config.label_merge),
            persistent=True,
        )
        self.post_init()

    @classmethod
    def from_text_speech_pretrained(
        cls,
        text_path: str,
        speech_path: str,
        fusion: str = "uncertainty",
        *,
        text_revision: str | None = None,
        speech_revision: str | None = None,
        **config_kwargs,
    ) -> SentiVFusionModel:
        """Build a fusion model from a saved text classifier and a saved `SentiVSpeechForAudioClassification`.

        Args:
            text_path: folder or Hub id of an ``AutoModelForSequenceClassification`` checkpoint.
            speech_path: folder or Hub id of a SentiV speech checkpoint.
            fusion: ``average``, ``concat_mlp`` or ``uncertainty``.
            text_revision, speech_revision: Hub revisions (branch, tag or commit hash) of the two checkpoints.
            config_kwargs: other `SentiVFusionConfig` options (``confidence``, temperatures, ``label_merge``).

        Example:
            >>> model = SentiVFusionModel.from_text_speech_pretrained("out/text", "out/speech", fusion="average")
        """
        text_model = AutoModelForSequenceClassification.from_pretrained(text_path, revision=text_revision)
        speech_model = SentiVSpeechForAudioClassification.from_pretrained(speech_path, revision=speech_revision)
        config = SentiVFusionConfig(
            text_config=text_model.config, speech_config=speech_model.config, fusion=fusion, **config_kwargs
        )
        model = cls(config)
        model.text_model.load_state_dict(text_model.state_dict())
        model.speech_model.load_state_dict(speech_model.state_dict())
        return model.eval()

    def freeze_submodels(self) -> None:
        """Freeze the text and speech classifiers so that only the fusion head (``concat_mlp``) trains.

        Frozen sub-models also stay in evaluation mode when the Trainer calls ``model.train()``: with their dropout
        active, the fusion head would train on logits that inference never produces.
        """
        self.submodels_frozen = True
        for module in (self.text_model, self.speech_model):
            if module is not None:
                for param in module.parameters():
                    param.requires_grad = False
                module.eval()

    def train(self, mode: bool = True) -> SentiVFusionModel:
        super().train(mode)
        if getattr(self, "submodels_frozen", False):
            for module in (self.text_model, self.speech_model):
                if module is not None:
                    module.eval()
        return self

    # ------------------------------------------------------------------------------------------- per modality
    def text_logprobs(self, text_logits: torch.Tensor) -> torch.Tensor:
        """Temperature-scaled text log-probabilities in the speech label space ``(B, num_labels)``."""
        return calibrated_log_probs(text_logits, self.config.text_temperature, self.label_alignment)

    def speech_logprobs(self, speech_logits: torch.Tensor) -> torch.Tensor:
        """Temperature-scaled speech log-probabilities ``(B, num_labels)``."""
        return calibrated_log_probs(speech_logits, self.config.speech_temperature)

    def modality_logits(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        input_values: torch.Tensor | None = None,
        audio_attention_mask: torch.Tensor | None = None,
        input_features: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Raw logits of each sub-model, before temperature scaling and label alignment.

        Args:
            input_ids, attention_mask: tokenised (word-segmented) text for the text model.
            input_values (or input_features for Whisper), audio_attention_mask: audio for the speech model.

        Returns:
            ``(text_logits, speech_logits)``: ``(batch, n_text_labels)`` in the text label space (e.g. 7 labels with
            Disgust) and ``(batch, num_labels)``; `None` for a modality without input. Raises `ValueError` when a
            modality is given but this (head-only) model has no sub-model for it. These are what `fit_temperature`
            and ``forward(text_logits=..., speech_logits=...)`` take.

        Example:
            >>> with torch.no_grad():
            ...     text, speech = model.modality_logits(input_ids=ids, attention_mask=mask, input_values=wave)
            >>> model.fit_temperature(labels, text_logits=text, speech_logits=speech)
        """
        text = None
        if input_ids is not None:
            if self.text_model is None:
                raise ValueError(
                    "input_ids given but this fusion model has no text model (head-only); pass text_logits."
                )
            text = self.text_model(input_ids=input_ids, attention_mask=attention_mask).logits
        speech = None
        if input_values is not None or input_features is not None:
            if self.speech_model is None:
                raise ValueError(
                    "Audio given but this fusion model has no speech model (head-only); pass speech_logits."
                )
            speech = self.speech_model(
                input_values=input_values, input_features=input_features, attention_mask=audio_attention_mask
            ).logits
        return text, speech

    def _checked_logits(self, logits: torch.Tensor, labels: list[str], name: str) -> torch.Tensor:
        if logits.shape[-1] != len(labels):
            raise ValueError(f"{name} has {logits.shape[-1]} columns but the labels are {labels}.")
        return logits

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        input_values: torch.Tensor | None = None,
        audio_attention_mask: torch.Tensor | None = None,
        text_logits: torch.Tensor | None = None,
        speech_logits: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        input_features: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SentiVFusionOutput | tuple:
        r"""
        Args:
            input_ids, attention_mask: tokenised (word-segmented) text for the text model.
            input_values (or input_features for Whisper), audio_attention_mask: audio for the speech model.
            text_logits (`(batch, n_text_labels)`): precomputed raw text logits (head-only mode).
            speech_logits (`(batch, num_labels)`): precomputed raw speech logits (head-only mode).
            labels (`(batch,)`): ids in the speech label space; gives the cross-entropy of the fused logits.

        A modality with no input is treated as missing for the whole batch.
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        # Precomputed logits win; the sub-models only run for a modality that has none.
        raw_text, raw_speech = self.modality_logits(
            input_ids=input_ids if text_logits is None else None,
            attention_mask=attention_mask,
            input_values=input_values if speech_logits is None else None,
            audio_attention_mask=audio_attention_mask,
            input_features=input_features if speech_logits is None else None,
        )
        if text_logits is not None:
            raw_text = self._checked_logits(text_logits, self.config.text_labels, "text_logits")
        if speech_logits is not None:
            raw_speech = self._checked_logits(speech_logits, self.config.speech_labels, "speech_logits")
        if raw_text is None and raw_speech is None:
            raise ValueError(
                "No modality given: pass input_ids/text_logits for text and/or input_values/speech_logits for audio."
            )
        text_lp = self.text_logprobs(raw_text) if raw_text is not None else None
        speech_lp = self.speech_logprobs(raw_speech) if raw_speech is not None else None
        if text_lp is not None and speech_lp is not None:
            logits, weights = self.strategy(text_lp, speech_lp)
            modalities = ("text", "speech")
        else:
            # One modality missing: its partner's calibrated prediction is the answer.
            logits = text_lp if text_lp is not None else speech_lp
            only_text = text_lp is not None
            weights = logits.new_tensor([1.0, 0.0] if only_text else [0.0, 1.0]).expand(logits.shape[0], 2)
            modalities = ("text",) if only_text else ("speech",)
        loss = nn.functional.cross_entropy(logits, labels.view(-1)) if labels is not None else None
        output = SentiVFusionOutput(
            loss=loss,
            logits=logits,
            text_logits=text_lp,
            speech_logits=speech_lp,
            fusion_weights=weights,
            modalities=modalities,
        )
        return output if return_dict else output.to_tuple()

    def fit_temperature(
        self,
        labels: torch.Tensor,
        text_logits: torch.Tensor | None = None,
        speech_logits: torch.Tensor | None = None,
        max_iter: int = 100,
    ) -> dict[str, float]:
        """Fit the per-modality temperatures on validation logits and store them in the config.

        Args:
            labels: ``(N,)`` ids in the speech label space.
            text_logits: ``(N, n_text_labels)`` raw validation logits of the text model (`modality_logits`;
                calibrated after the Disgust → Anger mapping).
            speech_logits: ``(N, num_labels)`` raw validation logits of the speech model.
            max_iter: LBFGS iterations.

        Returns:
            ``{"text_temperature": ..., "speech_temperature": ...}`` for the modalities given.

        Example:
            >>> model.fit_temperature(val_labels, text_logits=val_text, speech_logits=val_speech)
        """
        fitted = {}
        if text_logits is not None:
            fitted["text_temperature"] = _fit_temperature(
                text_logits, labels, alignment=self.label_alignment, max_iter=max_iter
            )
        if speech_logits is not None:
            fitted["speech_temperature"] = _fit_temperature(speech_logits, labels, max_iter=max_iter)
        for key, value in fitted.items():
            setattr(self.config, key, value)
        return fitted


__all__ = ["SentiVFusionModel", "SentiVFusionPreTrainedModel"]
