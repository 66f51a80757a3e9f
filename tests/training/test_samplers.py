from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from accelerate.data_loader import BatchSamplerShard, prepare_data_loader
from accelerate.state import PartialState
from torch.utils.data import DataLoader

from sentiv_hf.training.samplers import (
    EpochSeededOversampler,
    EpochSeededWeightedSampler,
    build_train_sampler,
    epoch_seed,
    oversample_indices,
    sample_weights,
)

LABELS = [0] * 12 + [1] * 3 + [2] * 1


def test_sample_weights_single_label_inverse_balances_classes():
    weights = sample_weights(LABELS, "inverse")
    assert weights.dtype == torch.float64
    assert weights.shape == (16,)
    # Class weights 1/12, 1/3, 1 scaled to mean 1: 3 * [1/12, 1/3, 1] / (17/12) = [3/17, 12/17, 36/17].
    assert weights[0].item() == pytest.approx(3 / 17)
    assert weights[12].item() == pytest.approx(12 / 17)
    assert weights[15].item() == pytest.approx(36 / 17)
    totals = [weights[torch.tensor(LABELS) == c].sum().item() for c in range(3)]
    assert totals == pytest.approx([totals[0]] * 3)


def test_sample_weights_multi_hot_takes_rarest_positive():
    multi_hot = np.array([[1, 0], [1, 0], [1, 0], [1, 1], [0, 0]])
    # Positives per class: 4 and 1 -> inverse class weights 2 * [1/4, 1] / (5/4) = [0.4, 1.6].
    assert sample_weights(multi_hot, "inverse").tolist() == pytest.approx([0.4, 0.4, 0.4, 1.6, 0.4])


def test_sample_weights_errors():
    with pytest.raises(ValueError, match="found -100"):
        sample_weights([0, -100, 1])
    with pytest.raises(ValueError, match="Unknown class weighting scheme"):
        sample_weights([0, 1], "bogus")


def test_same_seed_and_epoch_give_the_same_sample_and_epochs_differ():
    weights = sample_weights(LABELS, "inverse")
    a = EpochSeededWeightedSampler(weights, num_samples=64, seed=7)
    b = EpochSeededWeightedSampler(weights, num_samples=64, seed=7)
    torch.manual_seed(0)  # the global RNG plays no part
    first = list(a)
    torch.manual_seed(123)
    assert list(b) == first
    a.set_epoch(1)
    second = list(a)
    assert second != first
    # A complete pass advances the epoch, like accelerate's SeedableRandomSampler.
    assert a.epoch == 2
    a.set_epoch(0)
    assert list(a) == first
    assert len(a) == 64


def _draw(sampler, epoch: int) -> list[int]:
    sampler.set_epoch(epoch)
    return list(sampler)


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: EpochSeededWeightedSampler(sample_weights(LABELS, "inverse"), num_samples=64, seed=seed),
        lambda seed: EpochSeededOversampler(LABELS, seed=seed),
    ],
    ids=["weighted", "oversample"],
)
def test_epoch_samples_do_not_collide_across_seeds(make):
    # With seed + epoch, seed s at epoch e + 1 redrew exactly seed s + 1's epoch e.
    for seed, epoch in [(0, 0), (7, 0), (7, 3), (41, 1)]:
        assert _draw(make(seed), epoch + 1) != _draw(make(seed + 1), epoch)
        assert _draw(make(seed), epoch) == _draw(make(seed), epoch)  # a (seed, epoch) pair always redraws the same
    draws = {tuple(_draw(make(seed), epoch)) for seed in range(4) for epoch in range(4)}
    assert len(draws) == 16


def test_epoch_seed_mixes_seed_and_epoch():
    seeds = {epoch_seed(seed, epoch) for seed in range(50) for epoch in range(50)}
    assert len(seeds) == 2500
    assert epoch_seed(3, 1) == epoch_seed(3, 1)
    assert all(0 <= value < 2**64 for value in seeds)
    assert epoch_seed(-1, 0) != epoch_seed(0, 0)


def test_weighted_sampler_proportions_follow_weights():
    sampler = EpochSeededWeightedSampler(sample_weights(LABELS, "inverse"), num_samples=3000, seed=0)
    counts = Counter(LABELS[i] for i in sampler)
    assert [counts[c] / 3000 for c in range(3)] == pytest.approx([1 / 3] * 3, abs=0.04)


def test_weighted_sampler_without_replacement_and_errors():
    sampler = EpochSeededWeightedSampler([1.0, 1.0, 0.0, 1.0], num_samples=3, replacement=False)
    assert sorted(sampler) == [0, 1, 3]
    with pytest.raises(ValueError, match="without replacement from 3 examples"):
        EpochSeededWeightedSampler([1.0, 1.0, 0.0, 1.0], num_samples=4, replacement=False)
    with pytest.raises(ValueError, match="not all zero"):
        EpochSeededWeightedSampler([0.0, 0.0])
    with pytest.raises(ValueError, match="1-D"):
        EpochSeededWeightedSampler([[1.0]])


@pytest.fixture
def fresh_accelerate_state():
    # prepare_data_loader initialises the PartialState singleton; reset it so later tests start clean.
    yield
    PartialState._reset_state()


def test_accelerate_shards_are_disjoint_and_set_epoch_propagates(fresh_accelerate_state):
    """Simulate both ranks in one process with accelerate's own `prepare_data_loader`."""
    dataset = list(range(40))
    batch_size = 4
    sampler = EpochSeededWeightedSampler(torch.ones(40), num_samples=40, seed=3, replacement=False)
    loaders = []
    for rank in range(2):
        rank_sampler = EpochSeededWeightedSampler(torch.ones(40), num_samples=40, seed=3, replacement=False)
        loader = prepare_data_loader(
            DataLoader(dataset, batch_size=batch_size, sampler=rank_sampler),
            num_processes=2,
            process_index=rank,
            put_on_device=False,
        )
        assert isinstance(loader.batch_sampler, BatchSamplerShard)
        # accelerate keeps our sampler (it only swaps torch's RandomSampler) and reaches it behind the shard.
        assert loader.batch_sampler.batch_sampler.sampler is rank_sampler
        loaders.append(loader)
    for epoch in (0, 1):
        seen = []
        for loader in loaders:
            loader.set_epoch(epoch)
            seen.append([int(i) for batch in loader for i in batch])
        assert set(seen[0]).isdisjoint(seen[1])
        assert sorted(seen[0] + seen[1]) == list(range(40))
        sampler.set_epoch(epoch)
        reference = list(sampler)
        assert seen[0] == [i for start in range(0, 40, 8) for i in reference[start : start + 4]]
        if epoch == 0:
            epoch0 = seen[0]
    assert seen[0] != epoch0


def test_oversample_indices_reach_majority_count():
    indices = oversample_indices(LABELS, seed=0)
    assert indices.dtype == np.int64
    counts = Counter(LABELS[i] for i in indices)
    assert counts == {0: 12, 1: 12, 2: 12}
    assert set(range(16)) <= set(indices.tolist())  # every original example kept
    assert np.array_equal(indices, oversample_indices(LABELS, seed=0))
    assert not np.array_equal(indices, oversample_indices(LABELS, seed=1))
    with pytest.raises(ValueError, match="multi-hot"):
        oversample_indices(np.zeros((3, 2)))


def test_epoch_seeded_oversampler():
    sampler = EpochSeededOversampler(LABELS, seed=5)
    assert len(sampler) == 36
    first = list(sampler)
    assert Counter(LABELS[i] for i in first) == {0: 12, 1: 12, 2: 12}
    sampler.set_epoch(0)
    assert list(sampler) == first
    sampler.set_epoch(1)
    assert list(sampler) != first


def test_build_train_sampler_table():
    assert build_train_sampler("random", LABELS) is None
    weighted = build_train_sampler("weighted", LABELS, seed=9, num_samples=32)
    assert isinstance(weighted, EpochSeededWeightedSampler) and weighted.seed == 9 and len(weighted) == 32
    assert isinstance(build_train_sampler("oversample", LABELS), EpochSeededOversampler)
    with pytest.raises(ValueError, match="Unknown sampler 'balanced'; expected one of random, weighted, oversample"):
        build_train_sampler("balanced", LABELS)
