"""Training: the SentiV Trainer with focal / class-weighted losses, DDP-safe weighted sampling and model cards,
plus loading checkpoints for inference (`sentiv_hf.training.inference`).

Layer: training, above ``labels``, ``data``, ``models`` and ``metrics``, which it may import (and
``sentiv_hf.errors``); never ``benchmark`` or ``commands``.
"""

from __future__ import annotations

from .class_weights import compute_class_weights
from .losses import FocalLoss, MultiLabelBCELoss, WeightedCrossEntropyLoss, build_loss
from .model_card import SentiVModelCardCallback, SentiVModelCardData
from .samplers import EpochSeededOversampler, EpochSeededWeightedSampler
from .trainer import SentiVTrainer
from .training_args import SentiVTrainingArguments

__all__ = [
    "EpochSeededOversampler",
    "EpochSeededWeightedSampler",
    "FocalLoss",
    "MultiLabelBCELoss",
    "SentiVModelCardCallback",
    "SentiVModelCardData",
    "SentiVTrainer",
    "SentiVTrainingArguments",
    "WeightedCrossEntropyLoss",
    "build_loss",
    "compute_class_weights",
]
