"""`SentiVTrainer`: a `transformers.Trainer` with the SentiV losses, class weights, weighted sampling and model card.

* The loss comes from `sentiv_hf.training.losses.build_loss` (``--loss``), with class weights computed from the
  **training split only** (``--class_weighting``). The weights and loss settings are written into ``model.config``
  (``class_weights``, ``sentiv_training``) so that they are saved with every checkpoint, and they are logged.
* ``--sampler weighted|oversample`` replaces the random sampler with `EpochSeededWeightedSampler`: every rank draws
  the same seeded sample each epoch and accelerate shards its batches across ranks, so the ranks stay disjoint.
* `create_model_card` renders the SentiV card (`sentiv_hf.training.model_card`) instead of the generic one, so
  ``push_to_hub`` uploads it. A gated card (``card_data.gated = "manual"|"auto"``) also turns on gated access on the
  Hub repo as soon as it is created, before anything is uploaded.
* ``train(resume_from_checkpoint=True)`` resumes from the newest *complete* checkpoint, and a checkpoint file that is
  not plain tensors is refused with a one-line `UserError` (`sentiv_hf.training.checkpoints`).
* Hub failures while creating the repo or pushing are one-line `UserError`s with the token scrubbed
  (`sentiv_hf.hub_errors.hub_access`).
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import SequentialSampler
from transformers import Trainer
from transformers.modeling_outputs import SequenceClassifierOutput
from transformers.trainer_pt_utils import LengthGroupedSampler
from transformers.trainer_utils import TrainOutput

from sentiv_hf.errors import UserError
from sentiv_hf.hub_errors import hub_access

from .checkpoints import blocked_pickle_error, check_resumable, last_complete_checkpoint
from .class_weights import bce_pos_weight, class_counts, compute_class_weights
from .losses import build_loss
from .model_card import SentiVModelCardCallback, SentiVModelCardData
from .samplers import build_train_sampler
from .training_args import ClassWeighting, LossType, SamplerType, SentiVTrainingArguments

logger = logging.getLogger(__name__)

LABEL_COLUMNS = ("label", "labels")


def dataset_labels(dataset: Any, label_column: str | None = None) -> tuple[str, list] | None:
    """Read the label column of a `datasets.Dataset` without running its transform (audio is not decoded).

    Returns ``(column_name, values)`` or ``None`` when the dataset has no label column.

    Example:
        >>> from datasets import Dataset
        >>> dataset_labels(Dataset.from_dict({"label": [0, 1, 1]}))
        ('label', [0, 1, 1])
    """
    column_names = getattr(dataset, "column_names", None)
    if column_names is None:
        return None
    candidates = [label_column] if label_column else list(LABEL_COLUMNS)
    for name in candidates:
        if name in column_names:
            # with_format(None) drops a set_transform (e.g. the audio preprocessor), so only the labels are read.
            return name, list(dataset.with_format(None)[name])
    return None


def _multi_hot(rows: list, num_classes: int) -> np.ndarray:
    matrix = np.zeros((len(rows), num_classes), dtype=np.float32)
    for i, row in enumerate(rows):
        matrix[i, list(row)] = 1.0
    return matrix


class SentiVTrainer(Trainer):
    """A `Trainer` whose loss, class weights and sampler follow `SentiVTrainingArguments`.

    Args:
        model / args / train_dataset / eval_dataset / ...: as for `transformers.Trainer`.
        card_data: a `SentiVModelCardData` to fill and render; one is created when not given.
        label_column: the training split's label column (default: ``label``, else ``labels`` for multi-label).
        train_labels: the labels the class weights are computed from, when they are not one per training row (the
            context trainer's examples are calls, its labels those of the labelled training segments): ``(M,)``
            class ids, or ``(M, num_labels)`` multi-hot for multi-label (``--loss bce``) runs. Default: the
            training split's label column. A weighted sampler draws by the label column, or by these labels when
            the training dataset has no label column and they are one per row (`training.frozen.FeatureRows`).

    Example:
        >>> args = SentiVTrainingArguments(output_dir="out", loss="focal", class_weighting="inverse", max_steps=5)
        >>> trainer = SentiVTrainer(model=model, args=args, train_dataset=train, eval_dataset=val)  # doctest: +SKIP
        >>> trainer.train()  # doctest: +SKIP
    """

    # Training losses are normalised over the whole effective batch (`get_batch_samples`), so the Trainer must not
    # divide them again by the gradient-accumulation steps.
    loss_is_scaled_for_ga = True

    def __init__(
        self,
        *args: Any,
        card_data: SentiVModelCardData | None = None,
        label_column: str | None = None,
        train_labels: np.ndarray | None = None,
        **kwargs: Any,
    ) -> None:
        # Set before Trainer.__init__, which creates the Hub repo (`init_hf_repo`) and gates it from the card data.
        self.card_data = card_data if card_data is not None else SentiVModelCardData()
        super().__init__(*args, **kwargs)
        if not isinstance(self.args, SentiVTrainingArguments):
            raise TypeError(
                f"SentiVTrainer needs SentiVTrainingArguments, got {type(self.args).__name__}; build the arguments "
                "with sentiv_hf.training.SentiVTrainingArguments(...)."
            )
        self.args.check_distributed_launch()
        self.label_column = label_column
        self.add_callback(SentiVModelCardCallback(self.card_data))
        self.class_counts: np.ndarray | None = None
        self.class_weights: torch.Tensor | None = None
        self._train_labels: list | None = None
        self._setup_class_weights(train_labels)
        self.loss_fn = self._build_loss()
        self._record_training_config()

    # ---- class weights and loss ----
    @property
    def num_labels(self) -> int:
        return int(self.model.config.num_labels)

    @property
    def is_multi_label(self) -> bool:
        return self.args.loss == LossType.BCE

    def _setup_class_weights(self, train_labels: np.ndarray | None) -> None:
        """Count the training labels and turn them into weights (training split only, never eval/test)."""
        found = dataset_labels(self.train_dataset, self.label_column)
        if found is not None:
            self.label_column, labels = found
            self._train_labels = self._label_array(labels)
        if train_labels is not None:
            labels_array = self._given_label_array(train_labels)
            source = "given training labels"
            if found is None and self.train_dataset is not None and len(labels_array) == len(self.train_dataset):
                self._train_labels = labels_array  # one per training row: the weighted sampler draws by them too
        elif found is not None:
            labels_array, source = self._train_labels, "training rows"
        else:
            if self.train_dataset is not None:
                logger.warning("The training dataset has no 'label'/'labels' column: no class weights are computed.")
            stored = getattr(self.model.config, "class_weights", None)
            if stored is not None and self.args.uses_class_weights:
                # Evaluating a saved checkpoint: reuse the weights it was trained with for a comparable eval loss.
                self.class_weights = torch.tensor(stored, dtype=torch.float32)
            return
        self.class_counts = class_counts(labels_array, self.num_labels)
        scheme = self.args.class_weighting.value
        # BCE weighs each label's positives against its negatives (pos_weight = n_neg / n_pos under "inverse");
        # mean-normalised class weights would let a head with a few percent positives predict no label at all.
        weights_of = bce_pos_weight if self.is_multi_label else compute_class_weights
        self.class_weights = weights_of(
            labels_array, self.num_labels, scheme=scheme, beta=self.args.class_weight_beta
        ).float()
        names = self._label_names()
        logger.info(
            "Class weights (%s, from %d %s): %s",
            scheme,
            len(labels_array),
            source,
            ", ".join(
                f"{n}={w:.4f} (n={c})" for n, w, c in zip(names, self.class_weights.tolist(), self.class_counts)
            ),
        )

    def _given_label_array(self, train_labels: np.ndarray) -> np.ndarray:
        array = np.asarray(train_labels)
        expected = (2, "(M, num_labels) multi-hot") if self.is_multi_label else (1, "(M,) class ids")
        if array.ndim != expected[0] or (self.is_multi_label and array.shape[1] != self.num_labels):
            raise ValueError(
                f"train_labels has shape {array.shape}; pass {expected[1]} with num_labels={self.num_labels}."
            )
        return array

    def _label_array(self, labels: list) -> np.ndarray:
        """Class ids ``(N,)``, or a multi-hot ``(N, num_labels)`` matrix for multi-label (``--loss bce``) runs."""
        if self.is_multi_label:
            return _multi_hot(labels, self.num_labels)
        array = np.asarray(labels)
        if array.ndim != 1:
            raise ValueError(
                f"Column {self.label_column!r} holds several labels per row; train it with --loss bce (multi-label)."
            )
        return array

    def _build_loss(self) -> nn.Module:
        weights = self.class_weights if self.args.uses_class_weights and self.args.loss != LossType.CE else None
        if self.args.loss == LossType.CE and self.args.class_weighting != ClassWeighting.NONE:
            logger.warning(
                "loss='ce' does not use class weights (class_weighting=%r); use loss='weighted_ce' or 'focal'.",
                self.args.class_weighting.value,
            )
        return build_loss(self.args.loss.value, class_weights=weights, gamma=self.args.focal_gamma)

    def _label_names(self) -> list[str]:
        id2label = getattr(self.model.config, "id2label", None) or {}
        return [str(id2label.get(i, i)) for i in range(self.num_labels)]

    def _record_training_config(self) -> None:
        """Write the loss settings and class weights into model.config (saved with checkpoints) and the card."""
        config = self.model.config
        if self.train_dataset is not None:  # evaluation-only trainers leave a loaded checkpoint's record alone
            record = self.args.sentiv_loss_config()
            if self.class_counts is not None:
                record["train_class_counts"] = [int(c) for c in self.class_counts]
            config.sentiv_training = record
            if self.class_weights is not None and self.args.uses_class_weights and self.args.loss != LossType.CE:
                # Only weights the loss really used go into the config (the speech config reads class_weights).
                config.class_weights = [round(float(w), 6) for w in self.class_weights]
        card = self.card_data
        card.labels = card.labels or self._label_names()
        loss_config = dict(getattr(self.loss_fn, "get_config_dict", dict)())
        loss_config.pop("weight", None)
        loss_config.pop("pos_weight", None)
        card.loss = {"name": self.args.loss.value, "params": loss_config}
        card.class_weighting = self.args.class_weighting.value
        card.class_weight_beta = self.args.class_weight_beta
        card.sampler = self.args.sampler.value
        if self.class_weights is not None:
            card.set_class_weights(self.class_weights.tolist(), self.class_counts)
        citation = getattr(self.loss_fn, "citation", None)
        if citation and self.args.loss != LossType.CE and citation not in card.citations:
            card.citations.append(citation)

    def compute_loss(
        self,
        model: nn.Module,
        inputs: dict[str, torch.Tensor | Any],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """Run the model without labels and apply the configured loss to its logits.

        In training, ``num_items_in_batch`` is the loss normaliser of the whole effective batch (every accumulated
        micro-batch on every process, from `get_batch_samples`): the summed class weights of its targets. The loss
        is then this micro-batch's weighted *sum* divided by it, times the number of processes (DDP averages the
        gradients), so the accumulated gradient is that of the weighted mean over the effective batch, whatever the
        accumulation steps and process count. Without it (evaluation, or a direct call) the loss is the weighted
        mean over this batch, divided by the accumulation steps when training.
        """
        inputs = dict(inputs)
        labels = inputs.pop("labels", None)
        if labels is None:
            labels = inputs.pop("label", None)
        outputs = model(**inputs)
        logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
        if labels is None:
            raise ValueError(
                f"The batch has no 'labels'; it has {sorted(inputs)}. Keep the label column in the dataset "
                "(remove_unused_columns must not drop it) or rename it to 'label'/'labels'."
            )
        if self.loss_fn is not None:
            self.loss_fn.to(logits.device)
        if self.is_multi_label:
            labels = labels.to(logits.dtype)
        if not model.training:
            loss = self.loss_fn(logits.float(), labels)
        elif num_items_in_batch is not None:
            total = torch.as_tensor(num_items_in_batch, device=logits.device, dtype=torch.float32)
            # No valid target in the whole effective batch: a zero loss (the plain mean would be 0/0 = NaN).
            total = torch.where(total > 0, total, torch.ones_like(total))
            loss = self.loss_fn(logits.float(), labels, reduction="sum") / total * self.accelerator.num_processes
        else:
            # A per-batch mean: scale it for accumulation here, since `loss_is_scaled_for_ga` is True.
            loss = self.loss_fn(logits.float(), labels) / getattr(self, "current_gradient_accumulation_steps", 1)
        if not return_outputs:
            return loss
        # Only the (fused) logits go to compute_metrics: the extra outputs (embeddings, per-modality logits,
        # modality names) would otherwise be concatenated into the predictions tuple.
        return loss, SequenceClassifierOutput(loss=loss, logits=logits)

    def get_batch_samples(
        self, epoch_iterator, num_batches: int, device: torch.device
    ) -> tuple[list, torch.Tensor | None]:
        """Take the next ``num_batches`` micro-batches (one optimizer step) and the loss normaliser of all of them.

        The normaliser replaces the Trainer's label count: the sum of ``loss_fn.normalizer(labels)`` (the summed
        class weights of the targets, the target count without weights, the label entries for ``bce``) over the
        micro-batches, summed over processes. `compute_loss` divides each micro-batch's summed loss by it.
        """
        batch_samples = []
        for _ in range(num_batches):
            try:
                batch_samples.append(next(epoch_iterator))
            except StopIteration:
                break
        return batch_samples, self._loss_normalizer(batch_samples, device)

    def _loss_normalizer(self, batch_samples: list, device: torch.device) -> torch.Tensor | None:
        normalizer = getattr(self.loss_fn, "normalizer", None)
        if normalizer is None or not batch_samples:
            return None
        parts = []
        for batch in batch_samples:
            labels = batch.get("labels", batch.get("label")) if isinstance(batch, Mapping) else None
            if labels is None:
                return None
            parts.append(normalizer(torch.as_tensor(labels)).to(device, torch.float32))
        total = torch.stack(parts).sum()
        if self.args.world_size > 1:
            # Every process needs the same denominator: the weight of the effective batch across all of them.
            total = self.accelerator.gather(total.reshape(1)).sum()
        return total

    # ---- sampling ----
    def _get_train_sampler(self, train_dataset=None) -> torch.utils.data.Sampler | None:
        """`EpochSeededWeightedSampler`/`EpochSeededOversampler` for ``--sampler weighted|oversample``; for
        ``random`` the Trainer's own sampler (with ``group_by_length`` lengths read without the audio transform)."""
        if train_dataset is None:
            train_dataset = self.train_dataset
        if self.args.sampler == SamplerType.RANDOM:
            lengths = self._lengths(train_dataset)
            if lengths is not None:
                return LengthGroupedSampler(
                    self.args.train_batch_size * self.args.gradient_accumulation_steps,
                    dataset=train_dataset,
                    lengths=lengths,
                )
            return super()._get_train_sampler(train_dataset)
        if train_dataset is not self.train_dataset:
            found = dataset_labels(train_dataset, self.label_column)
            labels = self._label_array(found[1]) if found else None
        else:
            labels = self._train_labels
        if labels is None:
            raise ValueError(
                f"sampler={self.args.sampler.value!r} needs the training split's labels, but the dataset has no "
                "'label'/'labels' column; use --sampler random."
            )
        scheme = self.args.class_weighting.value
        seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
        sampler = build_train_sampler(
            self.args.sampler.value,
            labels,
            scheme="inverse" if scheme == "none" else scheme,
            seed=seed,
            beta=self.args.class_weight_beta,
        )
        logger.info("Training sampler: %s, %d draws per epoch, seed %d", type(sampler).__name__, len(sampler), seed)
        return sampler

    def _lengths(self, dataset) -> list[float] | None:
        """Lengths for ``train_sampling_strategy="group_by_length"``, read with the transform off (the Trainer's
        own lookup would run the audio preprocessor on the length column and fail)."""
        if self.args.train_sampling_strategy != "group_by_length":
            return None
        name = self.args.length_column_name
        if name not in (getattr(dataset, "column_names", None) or []):
            return None
        return [float(x) for x in dataset.with_format(None)[name]]

    def _get_eval_sampler(self, eval_dataset) -> torch.utils.data.Sampler | None:
        # Evaluation keeps the dataset order (length grouping buys nothing there, and the Trainer would read the
        # length column through the audio transform); under DDP, None lets accelerate shard it, as the Trainer does.
        if self.args.train_sampling_strategy == "group_by_length":
            return SequentialSampler(eval_dataset) if self.args.world_size <= 1 else None
        return super()._get_eval_sampler(eval_dataset)

    # ---- resuming ----
    def train(self, resume_from_checkpoint: str | bool | None = None, *args: Any, **kwargs: Any) -> TrainOutput:
        """`Trainer.train`, resuming only from a complete checkpoint and refusing foreign pickles.

        ``resume_from_checkpoint=True`` takes the newest *complete* ``checkpoint-N`` folder of ``output_dir``
        (transformers would take the newest, even one cut short by a kill); a folder given by path must be complete.
        A checkpoint file that ``torch.load(weights_only=True)`` refuses becomes a one-line `UserError` naming it.
        """
        needs_optimizer = not self.args.save_only_model
        if resume_from_checkpoint is True:
            resume_from_checkpoint = last_complete_checkpoint(self.args.output_dir, needs_optimizer=needs_optimizer)
        elif resume_from_checkpoint:
            resume_from_checkpoint = check_resumable(resume_from_checkpoint, needs_optimizer=needs_optimizer)
        try:
            return super().train(resume_from_checkpoint, *args, **kwargs)
        except pickle.UnpicklingError as error:
            if not resume_from_checkpoint:
                raise
            self._close_progress_bars()  # the refusal comes after the bar started: end its line first
            raise blocked_pickle_error(resume_from_checkpoint, error) from None

    def _close_progress_bars(self) -> None:
        """Close the training progress bar that `transformers.ProgressCallback` left open (it ends the line)."""
        for callback in self.callback_handler.callbacks:
            bar = getattr(callback, "training_bar", None)
            if bar is not None:
                bar.close()
                callback.training_bar = None

    # ---- Hub ----
    @contextmanager
    def _hub(self, what: str) -> Iterator[None]:
        """Hub failures while pushing to the repo ``what`` become one-line `UserError`s, without the token."""
        with hub_access(what, tokens=(self.args.hub_token,), push=True):
            yield

    def _repo_name(self) -> str:
        return self.hub_model_id or self.args.hub_model_id or os.path.basename(os.path.abspath(self.args.output_dir))

    def init_hf_repo(self, token: str | None = None, private: bool | None = None) -> None:
        """Create the Hub repo (as `Trainer.init_hf_repo`) and, for a gated card, turn on gated access at once."""
        with self._hub(f"model repo {self._repo_name()!r}"):
            super().init_hf_repo(token=token, private=private)
            gated = self.card_data.gated
            if gated and self.is_world_process_zero():
                from huggingface_hub import HfApi

                # Gate before the first upload, so the files are never public without the access request.
                HfApi().update_repo_settings(self.hub_model_id, gated=gated, token=token or self.args.hub_token)
                logger.info("Gated access (%s approval) is on for %s", gated, self.hub_model_id)

    def push_to_hub(self, *args: Any, **kwargs: Any):
        """`Trainer.push_to_hub`; a Hub failure is one line that says the model is saved locally."""
        try:
            with self._hub(f"model repo {self._repo_name()!r}"):
                return super().push_to_hub(*args, **kwargs)
        except UserError as error:
            raise UserError(f"{error} The trained model is saved in {self.args.output_dir}.") from None

    def _push_from_checkpoint(self, checkpoint_folder: str) -> None:
        with self._hub(f"model repo {self._repo_name()!r}"):
            super()._push_from_checkpoint(checkpoint_folder)

    # ---- model card ----
    def create_model_card(
        self,
        language: str | None = None,
        license: str | None = None,
        tags: str | list[str] | None = None,
        model_name: str | None = None,
        finetuned_from: str | None = None,
        tasks: str | list[str] | None = None,
        dataset_tags: str | list[str] | None = None,
        dataset: str | list[str] | None = None,
        dataset_args: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Write the SentiV model card to ``output_dir/README.md`` (the file ``push_to_hub`` uploads)."""
        if not self.is_world_process_zero():
            return
        card = self.card_data
        if language:
            card.language = language
        if license:
            card.license = license
        if tags:
            card.tags = list(dict.fromkeys([*card.tags, *([tags] if isinstance(tags, str) else tags)]))
        if finetuned_from and not card.base_model:
            card.base_model = finetuned_from
        if dataset and not card.dataset_id:
            card.dataset_id = dataset if isinstance(dataset, str) else dataset[0]
        if getattr(self, "hub_model_id", None):
            card.model_id = self.hub_model_id
        elif self.args.hub_model_id:
            card.model_id = self.args.hub_model_id
        if model_name and not card.model_name:
            card.model_name = model_name
        path = card.save(os.path.join(self.args.output_dir, "README.md"))
        logger.info("Model card written to %s", path)


__all__ = ["SentiVTrainer", "dataset_labels"]
