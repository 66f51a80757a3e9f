"""Class-balancing samplers that stay correct under DDP: every rank draws the *same* sample each epoch.

Why not ``torch.utils.data.WeightedRandomSampler``: under DDP, ``Trainer`` hands the sampler to
``accelerator.prepare``, which wraps the ``BatchSampler`` in accelerate's ``BatchSamplerShard``: every rank iterates
the *whole* sampler and keeps every ``num_processes``-th batch. That yields disjoint shards of one sample only if all
ranks iterate identical index sequences. ``WeightedRandomSampler`` without a generator draws from each process's
global torch RNG, and nothing seeds it per epoch: its sample agrees across ranks only while every rank has consumed
that RNG identically since ``set_seed``. Any rank-dependent use of the RNG breaks that silently: random crops or
augmentation in ``__getitem__`` (each rank sees different examples, so draws a different number of random numbers),
rank-0-only work, per-rank seeds (``set_seed(..., device_specific=True)``) or an unseeded generator. From then on each
rank draws its own sample, so the ranks' shards overlap and miss examples at random, and the class balance across the
world is no longer the one asked for. accelerate only repairs this for ``RandomSampler`` (it swaps in its
``SeedableRandomSampler``), not for weighted samplers. A resumed run would also draw different samples than the
uninterrupted one.

The samplers here seed a fresh ``torch.Generator`` with ``epoch_seed(seed, epoch)`` on every ``__iter__``: identical
on every rank, different from epoch to epoch, and never the same for two (seed, epoch) pairs (``seed + epoch`` would
make seed s at epoch e + 1 redraw seed s + 1's epoch e, so runs over neighbouring seeds would share samples). The
epoch is set through ``set_epoch``, which accelerate's ``DataLoaderShard`` calls on
``batch_sampler.batch_sampler.sampler`` (i.e. on this sampler behind ``BatchSamplerShard``) at the start of every
pass, and which ``Trainer`` drives with the epoch number. After a complete pass the epoch also advances by
one, so a plain ``DataLoader`` loop draws a new sample per epoch too. They deliberately have no ``generator``
attribute: accelerate would otherwise synchronise or re-seed it behind our back.

Set ``num_samples`` to a multiple of ``per_device_batch_size * world_size`` for exactly disjoint shards: otherwise
``BatchSamplerShard`` (``even_batches=True``) tops up the last round of batches by cycling back to the first indices
of the sample, as it does for any sampler.

Example:
    >>> from sentiv_hf.training.samplers import EpochSeededWeightedSampler, sample_weights
    >>> sampler = EpochSeededWeightedSampler(sample_weights([0, 0, 0, 1], "inverse"), seed=42)
    >>> sampler.set_epoch(1)
    >>> first = list(sampler)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Sampler

from .class_weights import as_label_array, compute_class_weights

logger = logging.getLogger(__name__)

SAMPLER_NAMES = ("random", "weighted", "oversample")


def sample_weights(
    labels: Sequence | np.ndarray | torch.Tensor,
    scheme: str = "inverse",
    *,
    num_classes: int | None = None,
    beta: float = 0.999,
) -> torch.Tensor:
    """Per-example sampling weights: the class weight of each example's label.

    With ``scheme="inverse"`` every class gets the same total weight, so a weighted sample is class-balanced in
    expectation; ``"sqrt_inverse"`` and ``"effective_number"`` balance less aggressively (see
    ``compute_class_weights``). For a multi-hot matrix an example takes the largest weight among its positive
    classes (so rare emotions are drawn more often); a row with no positive class takes the smallest class weight.

    Args:
        labels: ``(N,)`` class ids or an ``(N, num_classes)`` multi-hot matrix.
        scheme: Class weighting scheme: ``none``, ``inverse``, ``sqrt_inverse`` or ``effective_number``.
        num_classes: Number of classes; defaults to ``max(label) + 1`` (or the matrix width).
        beta: ``effective_number`` hyperparameter.

    Returns:
        ``float64`` tensor of shape ``(N,)``.

    Example:
        >>> sample_weights([0, 0, 0, 1], "inverse").tolist()
        [0.5, 0.5, 0.5, 1.5]
    """
    array = as_label_array(labels)
    if array.ndim == 2:
        num_classes = array.shape[1] if num_classes is None else num_classes
        class_weights = compute_class_weights(array, num_classes, scheme, beta=beta).double()
        positives = torch.as_tensor(array.astype(bool))
        masked = torch.where(positives, class_weights.expand_as(positives), torch.zeros(()).double())
        per_example = masked.max(dim=1).values
        return torch.where(positives.any(dim=1), per_example, class_weights.min())
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"Labels must be a non-empty 1-D array of class ids or a multi-hot matrix, got {array.shape}."
        )
    if (array < 0).any():
        raise ValueError(f"Sampling needs a class id for every example; found {int(array.min())} in the labels.")
    array = array.astype(np.int64)
    num_classes = int(array.max()) + 1 if num_classes is None else num_classes
    class_weights = compute_class_weights(array, num_classes, scheme, beta=beta).double()
    return class_weights[torch.as_tensor(array)]


def oversample_indices(labels: Sequence[int] | np.ndarray | torch.Tensor, seed: int = 0) -> np.ndarray:
    """Random oversampling: every example once, plus random repeats of minority-class examples up to the majority
    count, shuffled.

    Args:
        labels: ``(N,)`` single-label class ids.
        seed: Seed of the draw and the shuffle.

    Returns:
        ``int64`` array of length ``num_present_classes * majority_count``; each class occurs ``majority_count`` times.

    Example:
        >>> sorted(oversample_indices([0, 0, 0, 1], seed=0).tolist())
        [0, 1, 2, 3, 3, 3]
    """
    array = as_label_array(labels)
    if array.ndim != 1:
        raise ValueError(
            "Oversampling needs single-label class ids; for multi-hot labels use sampler='weighted' instead."
        )
    if array.size == 0:
        raise ValueError("Cannot oversample an empty label list.")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(array, return_counts=True)
    target = counts.max()
    parts = [np.arange(array.size)]
    for cls, count in zip(classes, counts):
        if count < target:
            members = np.flatnonzero(array == cls)
            parts.append(rng.choice(members, size=target - count, replace=True))
    indices = np.concatenate(parts).astype(np.int64)
    return indices[rng.permutation(indices.size)]


def epoch_seed(seed: int, epoch: int) -> int:
    """The generator seed of ``epoch`` in a run seeded with ``seed``: a 64-bit hash of the pair.

    ``numpy.random.SeedSequence`` mixes both numbers, so distinct pairs give unrelated seeds (no ``seed + epoch``
    collisions between runs with neighbouring seeds), and the value depends only on the pair: every DDP rank gets
    the same one.

    Example:
        >>> epoch_seed(3, 1) == epoch_seed(3, 1), epoch_seed(3, 1) == epoch_seed(4, 0)
        (True, False)
    """
    # SeedSequence takes non-negative entropy; negative seeds wrap to their 64-bit two's complement.
    entropy = [int(seed) % 2**64, int(epoch) % 2**64]
    return int(np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint64)[0])


class _EpochSeededSampler(Sampler[int]):
    """Base class: ``__iter__`` draws from a generator seeded with ``epoch_seed(seed, epoch)``, the same on every
    rank."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose sample the next ``__iter__`` draws (called by accelerate and ``Trainer``)."""
        self.epoch = int(epoch)

    def _draw(self, generator: torch.Generator) -> list[int]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator()
        generator.manual_seed(epoch_seed(self.seed, self.epoch))
        indices = self._draw(generator)
        yield from indices
        # Mirrors accelerate's SeedableRandomSampler: a loop that never calls set_epoch still gets fresh samples.
        self.epoch += 1


class EpochSeededWeightedSampler(_EpochSeededSampler):
    """Weighted random sampler that draws the same sample on every DDP rank (see the module docstring).

    Each epoch draws ``num_samples`` indices with probability proportional to ``weights``, using a generator seeded
    with ``epoch_seed(seed, epoch)``. Hand it to ``Trainer`` by overriding ``_get_train_sampler``; accelerate then
    gives each rank a disjoint slice of the batches.

    Args:
        weights: ``(N,)`` non-negative per-example weights (e.g. from ``sample_weights``); need not sum to 1.
        num_samples: Draws per epoch; defaults to ``N``.
        seed: Base seed; use the same on every rank (e.g. ``args.data_seed or args.seed``).
        replacement: Draw with replacement (the default). Without replacement ``num_samples`` must not exceed the
            number of non-zero weights.

    Example:
        >>> sampler = EpochSeededWeightedSampler([0.5, 0.5, 0.5, 1.5], num_samples=8, seed=0)
        >>> len(list(sampler))
        8
    """

    def __init__(
        self,
        weights: Sequence[float] | np.ndarray | torch.Tensor,
        num_samples: int | None = None,
        seed: int = 0,
        replacement: bool = True,
    ) -> None:
        super().__init__(seed)
        weights = torch.as_tensor(np.asarray(weights, dtype=np.float64) if not torch.is_tensor(weights) else weights)
        weights = weights.detach().cpu().double()
        if weights.ndim != 1 or weights.numel() == 0:
            raise ValueError(f"`weights` must be a non-empty 1-D sequence, got shape {tuple(weights.shape)}.")
        if not torch.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("`weights` must be finite, non-negative and not all zero.")
        num_samples = weights.numel() if num_samples is None else int(num_samples)
        if num_samples <= 0:
            raise ValueError(f"`num_samples` must be a positive integer, got {num_samples}.")
        if not replacement and num_samples > int((weights > 0).sum()):
            raise ValueError(
                f"Cannot draw {num_samples} samples without replacement from {int((weights > 0).sum())} examples "
                "with non-zero weight; lower num_samples or set replacement=True."
            )
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement

    def __len__(self) -> int:
        return self.num_samples

    def _draw(self, generator: torch.Generator) -> list[int]:
        return torch.multinomial(self.weights, self.num_samples, self.replacement, generator=generator).tolist()


class EpochSeededOversampler(_EpochSeededSampler):
    """Random oversampling of minority classes to the majority count, redrawn each epoch, the same on every rank.

    Each epoch yields ``oversample_indices`` drawn from ``epoch_seed(seed, epoch)``: every example once plus random
    repeats of minority-class examples, shuffled. The epoch length is ``num_classes * majority_count``.

    Args:
        labels: ``(N,)`` single-label class ids of the training set.
        seed: Base seed; use the same on every rank.

    Example:
        >>> sampler = EpochSeededOversampler([0, 0, 0, 1], seed=0)
        >>> len(sampler)
        6
    """

    def __init__(self, labels: Sequence[int] | np.ndarray | torch.Tensor, seed: int = 0) -> None:
        super().__init__(seed)
        self.labels = as_label_array(labels)
        if self.labels.ndim != 1 or self.labels.size == 0:
            raise ValueError(
                "Oversampling needs a non-empty 1-D array of class ids; for multi-hot labels use sampler='weighted'."
            )
        _, counts = np.unique(self.labels, return_counts=True)
        self.num_samples = int(counts.max()) * len(counts)

    def __len__(self) -> int:
        return self.num_samples

    def _draw(self, generator: torch.Generator) -> list[int]:
        # Seed numpy from the torch generator so the draw depends only on (seed, epoch).
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator).item())
        return oversample_indices(self.labels, seed=seed).tolist()


def build_train_sampler(
    name: str,
    labels: Sequence | np.ndarray | torch.Tensor,
    *,
    scheme: str = "inverse",
    seed: int = 0,
    num_samples: int | None = None,
    beta: float = 0.999,
) -> Sampler[int] | None:
    """Sampler for ``--sampler``: ``"random"`` returns None (keep the Trainer's default, already DDP-safe through
    accelerate), ``"weighted"`` an ``EpochSeededWeightedSampler`` over ``sample_weights(labels, scheme)``,
    ``"oversample"`` an ``EpochSeededOversampler``.

    Example:
        >>> build_train_sampler("weighted", [0, 0, 1], seed=3).seed
        3
    """
    if name not in SAMPLER_NAMES:
        raise ValueError(f"Unknown sampler {name!r}; expected one of {', '.join(SAMPLER_NAMES)}.")
    if name == "random":
        return None
    if name == "oversample":
        return EpochSeededOversampler(labels, seed=seed)
    if scheme == "none":
        logger.warning("sampler='weighted' with class weighting 'none' samples uniformly; use scheme='inverse'.")
    weights = sample_weights(labels, scheme, beta=beta)
    return EpochSeededWeightedSampler(weights, num_samples=num_samples, seed=seed)
