"""Heads trained on cached frozen-encoder features: learned softmax layer weights → projector → classifier.

This is the SUPERB-style probe of the frozen-encoder protocol: the same learned layer weights and projector as the
head of ``SentiVSpeechForAudioClassification`` on masked-mean pooled states, with a ReLU between projector and
classifier so the probe is not restricted to linear decision rules. Training uses the package's class-weighted
losses and keeps the epoch with the best validation score.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

logger = logging.getLogger(__name__)


class LayerWeightedHead(nn.Module):
    """Softmax-weighted sum over encoder layers, then ``Linear → ReLU → Dropout → Linear``.

    Args:
        num_layers: layers in the cached features (embeddings + hidden layers).
        hidden_size: width of each layer's pooled state.
        num_labels: output classes.
        proj_size: projector width.

    Example:
        >>> head = LayerWeightedHead(3, 8, 4)
        >>> head(torch.zeros(2, 3, 8)).shape
        torch.Size([2, 4])
    """

    def __init__(self, num_layers: int, hidden_size: int, num_labels: int, proj_size: int = 64, dropout: float = 0.1):
        super().__init__()
        self.layer_weights = nn.Parameter(torch.zeros(num_layers))
        self.projector = nn.Linear(hidden_size, proj_size)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(proj_size, num_labels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        weights = torch.softmax(self.layer_weights, dim=0)
        pooled = (features * weights[None, :, None]).sum(dim=1)
        return self.classifier(self.dropout(torch.relu(self.projector(pooled))))


@contextmanager
def _quiet(logger_name: str):
    # Tiny budgets miss classes; class_weights warns about each one, which would flood the progress output.
    target = logging.getLogger(logger_name)
    level = target.level
    target.setLevel(logging.ERROR)
    try:
        yield
    finally:
        target.setLevel(level)


@dataclass
class TrainedHead:
    """A trained head with the feature standardisation it was trained with."""

    head: LayerWeightedHead
    mean: torch.Tensor
    std: torch.Tensor
    best_epoch: int
    best_score: float

    @torch.no_grad()
    def logits(self, features: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Logits ``(N, num_labels)`` for cached features ``(N, L, H)``."""
        self.head.eval()
        x = (torch.as_tensor(features, dtype=torch.float32) - self.mean) / self.std
        return torch.cat([self.head(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]).numpy()


def train_head(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    num_labels: int,
    score: Callable[[np.ndarray, np.ndarray], float],
    seed: int,
    epochs: int = 30,
    learning_rate: float = 3e-3,
    batch_size: int = 32,
    multi_label: bool = False,
    weight_decay: float = 1e-2,
    patience: int | None = 10,
) -> TrainedHead:
    """Train a `LayerWeightedHead` on cached features and keep the epoch with the best validation score.

    Args:
        x_train, x_val: cached features ``(N, L, H)``.
        y_train, y_val: class ids ``(N,)`` or multi-hot ``(N, C)`` when ``multi_label``.
        score: ``score(gold, logits) -> float``, higher is better (validation macro-F1 / weighted-F1).
        seed: seeds initialisation, dropout and shuffling, so a run is reproducible.
        multi_label: sigmoid + BCE (``pos_weight`` from label frequencies) instead of weighted softmax CE.
        patience: stop after this many epochs without a better validation score (``None``: run every epoch).

    Example:
        >>> x = np.random.default_rng(0).normal(size=(20, 3, 8)).astype("float32")
        >>> y = np.arange(20) % 2
        >>> f1 = lambda gold, logits: float((logits.argmax(-1) == gold).mean())
        >>> trained = train_head(x, y, x, y, num_labels=2, score=f1, seed=0, epochs=5)
        >>> trained.logits(x).shape
        (20, 2)
    """
    from sentiv_hf.training.class_weights import compute_class_weights
    from sentiv_hf.training.losses import build_loss

    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x = torch.as_tensor(x_train, dtype=torch.float32)
    # Standardise with train-subset statistics: random-init and pretrained encoders differ wildly in scale per layer.
    mean = x.mean(dim=0, keepdim=True)
    std = x.std(dim=0, keepdim=True, unbiased=False).clamp_min(1e-5) if len(x) > 1 else torch.ones_like(mean)
    x = (x - mean) / std
    y = torch.as_tensor(y_train, dtype=torch.float32 if multi_label else torch.long)
    with _quiet("sentiv_hf.training.class_weights"):
        weights = compute_class_weights(np.asarray(y_train), num_labels, "inverse")
    loss_fn = build_loss("bce" if multi_label else "weighted_ce", class_weights=weights)

    # Validation is scored after every epoch: standardise it once.
    x_val_std = (torch.as_tensor(x_val, dtype=torch.float32) - mean) / std
    head = LayerWeightedHead(x.shape[1], x.shape[2], num_labels)
    optimizer = torch.optim.AdamW(head.parameters(), lr=learning_rate, weight_decay=weight_decay)
    trained = TrainedHead(head, mean, std, best_epoch=-1, best_score=-np.inf)
    best_state = None
    for epoch in range(epochs):
        head.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            loss = loss_fn(head(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        head.eval()
        with torch.inference_mode():
            value = score(y_val, head(x_val_std).numpy())
        if value > trained.best_score + 1e-9:
            trained.best_score, trained.best_epoch = float(value), epoch
            best_state = copy.deepcopy(head.state_dict())
        elif patience is not None and epoch - trained.best_epoch >= patience:
            break
    head.load_state_dict(best_state)
    logger.debug("head: best epoch %d, validation score %.4f", trained.best_epoch, trained.best_score)
    return trained
