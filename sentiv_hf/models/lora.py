"""LoRA on the encoder of a `SentiVSpeechForAudioClassification` or a text sequence classifier, through peft.

Kept out of the modeling file so that loading a saved model never needs peft.

Example:
    >>> peft_model = add_lora(model, r=8)
    >>> peft_model.print_trainable_parameters()
    >>> merged = peft_model.merge_and_unload()   # a plain SentiV model again, ready for save_pretrained
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from torch import nn

logger = logging.getLogger(__name__)

#: Attention projections of every supported encoder family (HuBERT, wav2vec2, WavLM, Whisper).
DEFAULT_LORA_TARGETS: tuple[str, ...] = ("q_proj", "v_proj")
#: Head parts that stay trainable next to the adapters.
HEAD_MODULES: tuple[str, ...] = ("projector", "classifier", "pooling")


def add_lora(
    model: nn.Module,
    r: int = 8,
    lora_alpha: int = 16,
    lora_dropout: float = 0.0,
    target_modules: Sequence[str] = DEFAULT_LORA_TARGETS,
):
    """Wrap ``model`` with `peft.get_peft_model`, putting LoRA adapters on the encoder's attention projections only.

    The encoder's own weights are frozen; the adapters and the whole head (for speech models: layer weights,
    pooling, projector and classifier) train.

    Args:
        model: a `SentiVSpeechForAudioClassification`, or a text classifier (e.g. PhoBERT/RoBERTa with
            ``target_modules=("query", "value")``).
        r: LoRA rank.
        lora_alpha: LoRA scaling numerator.
        lora_dropout: dropout on the adapter input.
        target_modules: names of the encoder linear layers to adapt.

    Returns:
        A `peft.PeftModel`; call ``merge_and_unload()`` before ``save_pretrained`` to get a plain model back.

    Example:
        >>> peft_model = add_lora(tiny_speech_model(), r=4)
    """
    from peft import LoraConfig, get_peft_model

    names = "|".join(target_modules)
    # The regex keeps adapters inside the encoder, never on the head.
    config = LoraConfig(
        r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, target_modules=rf"(.*\.)?encoder\..*\.({names})$"
    )
    peft_model = get_peft_model(model, config)
    base = peft_model.get_base_model()
    for name in HEAD_MODULES:
        module = getattr(base, name, None)
        for param in module.parameters() if module is not None else ():
            param.requires_grad = True
    if getattr(base, "layer_weights", None) is not None:
        base.layer_weights.requires_grad = True
    return peft_model


__all__ = ["DEFAULT_LORA_TARGETS", "add_lora"]
