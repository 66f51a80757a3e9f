"""Trainer callbacks of the SentiV training loop."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from transformers import TrainerCallback


class KeepBestState(TrainerCallback):
    """Keeps the trainable parameters of the best validation epoch in memory and stops after ``patience`` epochs
    without a better score (no checkpoint files: they are restored from memory when training ends).

    Only parameters with ``requires_grad`` are kept: the head of a `FrozenHead`, the adapters *and* the head of a
    LoRA model (whose Trainer checkpoints hold the adapters only, so ``load_best_model_at_end`` would pair the best
    epoch's adapters with the last epoch's head), or a fine-tuned model's trainable weights, with no checkpoint
    written per epoch.

    Args:
        head: the module being trained (a `FrozenHead`, a peft model, or a whole model).
        metric: the validation metric, e.g. ``"macro_f1"`` (read as ``eval_<metric>``).
        patience: epochs without improvement before stopping; ``None`` trains every epoch.
    """

    def __init__(self, head: nn.Module, metric: str, patience: int | None) -> None:
        self.head = head
        self.metric = f"eval_{metric}"
        self.patience = patience
        self.best_score = -np.inf
        self.best_epoch = -1
        self.best_state: dict | None = None
        self._epoch = -1

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        self._epoch += 1
        score = float((metrics or {}).get(self.metric, -np.inf))
        if score > self.best_score + 1e-9:
            self.best_score, self.best_epoch = score, self._epoch
            self.best_state = {n: p.detach().clone() for n, p in self.head.named_parameters() if p.requires_grad}
        elif self.patience is not None and self._epoch - self.best_epoch >= self.patience:
            control.should_training_stop = True
        return control

    def on_train_end(self, args, state, control, **kwargs):
        if self.best_state is not None:
            with torch.no_grad():
                params = dict(self.head.named_parameters())
                for name, value in self.best_state.items():
                    params[name].copy_(value)
        return control


__all__ = ["KeepBestState"]
