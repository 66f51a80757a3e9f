"""Frozen-encoder training: the shipped model's own head trained with `SentiVTrainer` on cached encoder features.

A frozen encoder's output does not change between runs, so the benchmark encodes every example once (``encode``) and
trains the head of the *same* model class a user loads with ``from_pretrained`` on those features:

* speech: `SentiVSpeechForAudioClassification` caches `encode_layers` (masked-mean state of every layer) and trains
  its weighted layer sum, projector and classifier through `forward_from_layer_features`;
* text: a sequence classifier caches what its classification head reads (the first-token state of the last layer
  for RoBERTa/PhoBERT-style heads, the pooler output for BERT-style ones) and trains that head.

`FrozenHead` exposes only the head's parameters to the Trainer, so checkpoints in the Trainer are a few kilobytes;
after training, the model (frozen encoder + trained head) is a normal checkpoint whose outputs equal the cached path.

Example:
    >>> features = encode(model, "speech", batches)  # doctest: +SKIP
    >>> args = SentiVTrainingArguments(output_dir="out", loss="weighted_ce", remove_unused_columns=False)
    >>> trainer, selection = train_frozen_head(
    ...     model, x_train, y_train, x_val, y_val, args=args, label_names=names
    ... )  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn
from transformers import TrainerCallback
from transformers.modeling_outputs import SequenceClassifierOutput

logger = logging.getLogger(__name__)

#: text model types whose classification head reads the first token of the last hidden state (``<s>``/``[CLS]``).
FIRST_TOKEN_HEADS = ("roberta", "xlm-roberta", "camembert", "xlm-roberta-xl", "data2vec-text", "electra")


def is_speech_model(model: nn.Module) -> bool:
    return hasattr(model, "forward_from_layer_features")


def _text_head_kind(model: nn.Module) -> str:
    """``first_token`` (RoBERTa-style head on the sequence output) or ``pooler`` (BERT-style head)."""
    model_type = model.config.model_type
    if model_type in FIRST_TOKEN_HEADS:
        return "first_token"
    base = getattr(model, model.base_model_prefix, None)
    if getattr(base, "pooler", None) is not None and hasattr(model, "classifier") and hasattr(model, "dropout"):
        return "pooler"
    raise ValueError(
        f"Frozen-encoder training knows RoBERTa-style ({', '.join(FIRST_TOKEN_HEADS)}) and BERT-style (pooler + "
        f"classifier) text heads; {type(model).__name__} (model_type {model_type!r}) is neither. Fine-tune it "
        "instead (benchmark `encoder: finetune`)."
    )


@torch.no_grad()
def encode_text_batch(model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """What the text classifier's head reads, for one tokenised batch: ``(B, 1, H)`` or ``(B, H)``.

    Example:
        >>> feats = encode_text_batch(model, batch["input_ids"], batch["attention_mask"])  # doctest: +SKIP
        >>> head_logits(model, feats)  # == model(**batch).logits  # doctest: +SKIP
    """
    base = getattr(model, model.base_model_prefix)
    out = base(input_ids=input_ids, attention_mask=attention_mask)
    if _text_head_kind(model) == "first_token":
        return out.last_hidden_state[:, :1]
    return out.pooler_output


def head_logits(model: nn.Module, features: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """The model's own head on cached features (speech: `forward_from_layer_features`; text: its classifier)."""
    if is_speech_model(model):
        return model.forward_from_layer_features(features, labels).logits
    if _text_head_kind(model) == "first_token":
        return model.classifier(features)
    return model.classifier(model.dropout(features))


def head_modules(model: nn.Module) -> dict[str, nn.Module | nn.Parameter]:
    """The trainable parts of the head: what `FrozenHead` registers and the Trainer optimises."""
    if is_speech_model(model):
        parts = {"projector": model.projector, "classifier": model.classifier}
        if model.layer_weights is not None:
            parts["layer_weights"] = model.layer_weights
        return parts
    return {"classifier": model.classifier}


def copy_sharing_encoder(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose head is its own and whose frozen encoder shares the original's weights (no memory:
    every run of a frozen-encoder benchmark trains a head on one encoder).

    Example:
        >>> copy = copy_sharing_encoder(model)  # doctest: +SKIP
        >>> copy.classifier.weight is model.classifier.weight, next(copy.encoder.parameters()) is next(
        ...     model.encoder.parameters())  # doctest: +SKIP
        (False, True)
    """
    import copy

    head = {
        id(t)
        for part in head_modules(model).values()
        for t in ([part] if isinstance(part, nn.Parameter) else part.parameters())
    }
    shared = [t for t in (*model.parameters(), *model.buffers()) if id(t) not in head]
    return copy.deepcopy(model, memo={id(t): t for t in shared})


def reset_head(model: nn.Module, seed: int) -> None:
    """Re-initialise the head (seeded), as the model's own ``_init_weights`` does; the encoder is untouched."""
    torch.manual_seed(seed)
    for part in head_modules(model).values():
        if isinstance(part, nn.Parameter):  # the weighted layer sum starts uniform
            with torch.no_grad():
                part.fill_(1.0 / part.numel())
        else:
            for module in part.modules():
                if isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, mean=0.0, std=model.config.initializer_range)
                    if module.bias is not None:
                        nn.init.zeros_(module.bias)


@torch.no_grad()
def predict_head(model: nn.Module, features: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Logits ``(N, num_labels)`` of the model's head on cached features, in evaluation mode (float64)."""
    model.eval()
    x = torch.as_tensor(np.asarray(features), dtype=torch.float32)
    chunks = [head_logits(model, x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    return torch.cat(chunks).double().numpy() if chunks else np.zeros((0, model.config.num_labels))


class FrozenHead(nn.Module):
    """The head of ``model`` as a module of its own, taking cached ``features`` (the Trainer's model).

    It shares parameters with ``model`` (training it trains ``model``'s head) but holds no encoder weights, so the
    Trainer's optimizer and in-memory best-epoch copies stay small.

    Args:
        model: a `SentiVSpeechForAudioClassification` or a transformers sequence classifier.
    """

    main_input_name = "features"

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.config = model.config
        self._model = [model]  # a list, so the encoder is not registered as a submodule
        self.parts = nn.ParameterDict()
        self.modules_ = nn.ModuleDict()
        for name, part in head_modules(model).items():
            if isinstance(part, nn.Parameter):
                self.parts[name] = part
            else:
                self.modules_[name] = part
        self.dropout = getattr(model, "dropout", None)

    @property
    def model(self) -> nn.Module:
        return self._model[0]

    def forward(
        self, features: torch.Tensor, labels: torch.Tensor | None = None, **_: Any
    ) -> SequenceClassifierOutput:
        logits = head_logits(self.model, features)
        return SequenceClassifierOutput(logits=logits)


class FeatureRows(torch.utils.data.Dataset):
    """The examples of one feature array for the Trainer: ``{"part", "row", "label"}`` per row, held as plain Python
    (an Arrow dataset of the same rows spends about a fifth of a head's training time in row reads at SentiV scale).

    Args:
        part: which array of `FeatureCollator.arrays` the rows point into.
        labels: class ids ``(N,)``, or multi-hot ``(N, C)`` when ``multi_label`` (given to the collator as the
            lists of positive ids it expects).
    """

    def __init__(self, part: int, labels: np.ndarray, multi_label: bool = False) -> None:
        self.part = part
        self.labels = (
            [np.flatnonzero(row).tolist() for row in labels] if multi_label else labels.astype(np.int64).tolist()
        )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {"part": self.part, "row": int(index), "label": self.labels[index]}

    def __getitems__(self, indices: list[int]) -> list[dict[str, Any]]:
        return [self[i] for i in indices]


class FeatureCollator:
    """Collates ``{"part", "row", "label"}`` examples into ``{"features", "labels"}`` from in-memory feature arrays.

    The Trainer's datasets hold only (array, row) references and labels; the features stay NumPy arrays, never
    copied into Arrow (the cached states of a large encoder are gigabytes).

    Args:
        arrays: the feature arrays the examples point into (``part`` indexes this list).
        num_labels: for multi-label examples (lists of positive ids), the width of the multi-hot ``labels``; class
            ids are collated as they are when it is ``None``.
    """

    def __init__(self, arrays: list[np.ndarray], num_labels: int | None = None) -> None:
        self.arrays = arrays
        self.num_labels = num_labels

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        rows = np.stack([np.asarray(self.arrays[int(e["part"])][int(e["row"])]) for e in examples])
        batch = {"features": torch.as_tensor(rows, dtype=torch.float32)}
        if "label" in examples[0]:
            labels = [e["label"] for e in examples]
            if self.num_labels is not None:
                hot = np.zeros((len(labels), self.num_labels), dtype=np.float32)
                for i, positive in enumerate(labels):
                    hot[i, list(positive)] = 1.0
                batch["labels"] = torch.as_tensor(hot)
            else:
                batch["labels"] = torch.as_tensor(labels, dtype=torch.long)
        return batch


def train_frozen_head(
    model: nn.Module,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    args,
    label_names: list[str],
    multi_label: bool = False,
    metric: str = "macro_f1",
    patience: int | None = 10,
    callbacks: Iterable[TrainerCallback] = (),
    quiet: bool = False,
):
    """Train ``model``'s head on cached features with `SentiVTrainer`, keeping the best validation epoch.

    Args:
        model: the full model (frozen encoder + head); its head is trained in place.
        x_train, x_val: cached features (rows aligned with ``y_train`` / ``y_val``).
        y_train, y_val: class ids ``(N,)``, or multi-hot ``(N, C)`` when ``multi_label``.
        args: `SentiVTrainingArguments` (loss, class weighting, sampler, epochs, batch size, learning rate, seed).
            Evaluation runs every epoch; nothing is saved to disk.
        label_names: class names in id order (the metrics module's labels).
        metric: the validation metric that picks the epoch (from `sentiv_hf.metrics`).
        patience: stop after this many epochs without a better validation score.
        quiet: drop the Trainer's printer of every evaluation (the benchmark prints one line per run).

    Returns:
        ``(trainer, selection)``: the `SentiVTrainer` (its ``card_data`` and ``model.config`` hold the loss and class
        weights) and ``{"best_epoch", "validation_score"}``.
    """
    from sentiv_hf.metrics import make_compute_metrics

    from .callbacks import KeepBestState
    from .trainer import SentiVTrainer

    head = FrozenHead(model)
    for param in model.parameters():
        param.requires_grad = False
    for param in head.parameters():
        param.requires_grad = True

    keep = KeepBestState(head, metric, patience)
    collator = FeatureCollator([x_train, x_val], num_labels=len(label_names) if multi_label else None)
    trainer = SentiVTrainer(
        model=head,
        args=args,
        train_dataset=FeatureRows(0, np.asarray(y_train), multi_label),
        eval_dataset=FeatureRows(1, np.asarray(y_val), multi_label),
        data_collator=collator,
        compute_metrics=make_compute_metrics(label_names, multi_label=multi_label),
        callbacks=[keep, *callbacks],
        label_column="label",
        train_labels=np.asarray(y_train),  # class weights and the weighted sampler read them
    )
    if quiet:
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    trainer.train()
    model.eval()
    return trainer, {"best_epoch": keep.best_epoch, "validation_score": keep.best_score}
