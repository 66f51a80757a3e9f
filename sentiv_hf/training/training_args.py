"""`SentiVTrainingArguments`: `transformers.TrainingArguments` plus the SentiV loss, class-weighting and sampler
options.

String options are turned into ``str`` enums in ``__post_init__``, so a typo fails at construction time with a
message that lists the allowed values (the same habit as ``IntervalStrategy`` in transformers). When evaluation is
on and no ``metric_for_best_model`` is given, it defaults to macro-F1 (the benchmark's headline metric) instead of the
transformers default ``loss``.

Two safety rules live here too: the Hub token (``--hub_token``) stays in memory only, never in ``training_args.bin``
(see `SentiVTrainingArguments.__getstate__`), and `SentiVTrainingArguments.check_distributed_launch` refuses a
multi-process launch whose processes did not join one distributed run.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields
from enum import Enum

from transformers import TrainingArguments
from transformers.trainer_utils import IntervalStrategy

from sentiv_hf.errors import UserError

logger = logging.getLogger(__name__)


class LossType(str, Enum):
    """Training losses built by `sentiv_hf.training.losses.build_loss`."""

    CE = "ce"
    WEIGHTED_CE = "weighted_ce"
    FOCAL = "focal"
    BCE = "bce"


class ClassWeighting(str, Enum):
    """How class weights are computed from the training split's label counts."""

    NONE = "none"
    INVERSE = "inverse"
    SQRT_INVERSE = "sqrt_inverse"
    EFFECTIVE_NUMBER = "effective_number"


class SamplerType(str, Enum):
    """Training sampler: plain shuffling, class-weighted sampling, or oversampling the rare classes."""

    RANDOM = "random"
    WEIGHTED = "weighted"
    OVERSAMPLE = "oversample"


def _launched_processes() -> int:
    """How many processes the launcher started (``WORLD_SIZE``, set by torchrun and accelerate); 1 otherwise."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def _has_accelerator() -> bool:
    """Whether torch sees a GPU-like device (CUDA, or Apple MPS)."""
    import torch

    return torch.cuda.is_available() or (hasattr(torch.backends, "mps") and torch.backends.mps.is_available())


def _to_enum(enum_cls: type[Enum], value: object, name: str) -> Enum:
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in enum_cls)
        raise ValueError(f"Invalid {name}={value!r}; allowed values are {allowed}.") from None


@dataclass
class SentiVTrainingArguments(TrainingArguments):
    """`TrainingArguments` with the SentiV loss, class weights and sampler.

    Args:
        loss: ``ce`` (cross-entropy), ``weighted_ce`` (cross-entropy with class weights), ``focal`` (focal loss,
            optionally class-weighted) or ``bce`` (multi-label binary cross-entropy, optionally with ``pos_weight``).
        focal_gamma: the focusing parameter of the focal loss; ``0`` gives cross-entropy.
        class_weighting: ``none``, ``inverse``, ``sqrt_inverse`` or ``effective_number``; computed from the training
            split only. ``weighted_ce`` with ``none`` falls back to ``inverse``.
        class_weight_beta: the ``beta`` of the effective-number scheme (Cui et al., 2019).
        sampler: ``random`` (shuffle), ``weighted`` (each epoch draws a class-balanced weighted sample of the same
            size, identical on every rank, then sharded) or ``oversample`` (the same, but ``num_classes x largest
            class`` draws per epoch).

    Example:
        >>> args = SentiVTrainingArguments(output_dir="out", loss="focal", focal_gamma=2.0, sampler="weighted")
        >>> args.loss, args.sampler
        (<LossType.FOCAL: 'focal'>, <SamplerType.WEIGHTED: 'weighted'>)
    """

    loss: LossType | str = field(
        default="ce",
        metadata={"help": "Training loss: 'ce', 'weighted_ce', 'focal' or 'bce' (multi-label)."},
    )
    focal_gamma: float = field(
        default=2.0,
        metadata={"help": "Focusing parameter gamma of the focal loss (0 gives cross-entropy)."},
    )
    class_weighting: ClassWeighting | str = field(
        default="none",
        metadata={
            "help": "Class weights from the training split: 'none', 'inverse', 'sqrt_inverse' or 'effective_number'."
        },
    )
    class_weight_beta: float = field(
        default=0.999,
        metadata={"help": "Beta of the 'effective_number' class weighting (Cui et al., 2019), in [0, 1)."},
    )
    sampler: SamplerType | str = field(
        default="random",
        metadata={"help": "Training sampler: 'random', 'weighted' (class-balanced draws) or 'oversample'."},
    )

    def __post_init__(self) -> None:
        self.loss = _to_enum(LossType, self.loss, "loss")
        self.class_weighting = _to_enum(ClassWeighting, self.class_weighting, "class_weighting")
        self.sampler = _to_enum(SamplerType, self.sampler, "sampler")
        if self.focal_gamma < 0:
            raise ValueError(f"Invalid focal_gamma={self.focal_gamma}; it must be >= 0 (0 gives cross-entropy).")
        if not 0.0 <= self.class_weight_beta < 1.0:
            raise ValueError(f"Invalid class_weight_beta={self.class_weight_beta}; it must be in [0, 1).")
        if self.loss == LossType.WEIGHTED_CE and self.class_weighting == ClassWeighting.NONE:
            # 'weighted_ce' without a scheme would silently be plain CE; inverse frequency is the usual meaning.
            logger.info("loss='weighted_ce' with class_weighting='none': using class_weighting='inverse'.")
            self.class_weighting = ClassWeighting.INVERSE
        # Macro-F1 is the benchmark's headline metric, so it (not the loss) picks the best checkpoint. This must run
        # before TrainingArguments.__post_init__, which would otherwise fill in "loss".
        eval_on = str(getattr(self.eval_strategy, "value", self.eval_strategy)) != IntervalStrategy.NO.value
        if self.metric_for_best_model is None and (self.load_best_model_at_end or eval_on):
            self.metric_for_best_model = "macro_f1"
            if self.greater_is_better is None:
                self.greater_is_better = True
        if not _has_accelerator():
            # Pinned memory only helps host-to-GPU copies; without a GPU the DataLoader warns at every epoch.
            self.dataloader_pin_memory = False
            if _launched_processes() > 1 and not self.use_cpu:
                # `accelerate launch` with a CPU config (or torchrun) starts the workers without passing `use_cpu`
                # on, so each would set up a run of its own. Several processes on a machine without a GPU can only
                # mean CPU DDP (gloo): join it.
                logger.warning("%d processes launched without a GPU: training with CPU DDP.", _launched_processes())
                self.use_cpu = True
        super().__post_init__()

    def __getstate__(self) -> dict:
        """The pickled state, without the Hub token.

        The Trainer saves the arguments with ``torch.save(args)`` as ``training_args.bin`` in the output folder and in
        every checkpoint, and ``push_to_hub`` uploads that file: a ``--hub_token`` would be written and published in
        plain text. Every ``*_token`` field (the ones `to_dict` already masks) is pickled as None; the token stays in
        memory for the pushes of this run. A copy made with `copy.deepcopy` has no token either.
        """
        state = dict(self.__dict__)
        for item in fields(self):
            if item.name.endswith("_token"):
                state[item.name] = None
        return state

    def check_distributed_launch(self) -> None:
        """Refuse a launch of several processes that did not join one distributed run.

        ``torchrun``/``accelerate launch`` set ``WORLD_SIZE`` for every process. Without a GPU, `__post_init__` asks
        for CPU DDP itself; this catches any other way the processes end up apart (e.g. a broken process group),
        where every one would train the whole model on its own and write into the same ``output_dir``.

        Raises:
            UserError: ``WORLD_SIZE`` says several processes were launched but this run has one.

        Example:
            >>> SentiVTrainingArguments(output_dir="out", report_to="none").check_distributed_launch()
        """
        launched = _launched_processes()
        if launched > 1 and self.world_size == 1:
            raise UserError(
                f"{launched} processes were launched (WORLD_SIZE={launched}) but they did not join one distributed "
                "run: each would train alone into the same output_dir. Launch them with "
                "accelerate launch --config_file accelerate_configs/cpu_ddp.yaml (CPU) or a multi-GPU config."
            )

    @property
    def uses_class_weights(self) -> bool:
        """Whether the loss is given class weights (they are still computed and recorded for the card otherwise)."""
        return self.class_weighting != ClassWeighting.NONE

    def sentiv_loss_config(self) -> dict:
        """The SentiV options as a JSON-ready dict (saved in the model config and shown in the model card)."""
        return {
            "loss": self.loss.value,
            "focal_gamma": self.focal_gamma,
            "class_weighting": self.class_weighting.value,
            "class_weight_beta": self.class_weight_beta,
            "sampler": self.sampler.value,
        }


__all__ = ["ClassWeighting", "LossType", "SamplerType", "SentiVTrainingArguments"]
