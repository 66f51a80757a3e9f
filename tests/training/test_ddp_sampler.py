"""The real 2-process DDP check of ``EpochSeededWeightedSampler`` under ``accelerate launch`` and ``Trainer``.

What "disjoint shards of one sample" means here: the weighted sample is drawn with replacement, so one dataset
index can legitimately occur twice (even on both ranks). What must hold is that, for every epoch, both ranks
iterate the *same* sample S (a list of ``NUM_SAMPLES`` draws) and that accelerate gives each rank a disjoint set of
*positions* in S covering all of them: rank r trains on batches ``S[(2k + r) * B : (2k + r + 1) * B]``. So rank 0's
and rank 1's index sequences are exactly those slices, and together, as a multiset, they equal S.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from ..utils import launch_two_cpu_processes

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("ddp_sampler_script.py")
CONFIG = REPO / "accelerate_configs" / "cpu_ddp.yaml"
WORLD_SIZE = 2


def _load_script():
    spec = importlib.util.spec_from_file_location("ddp_sampler_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    proc = launch_two_cpu_processes([SCRIPT, out])
    assert proc.returncode == 0, f"accelerate launch failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    records = [json.loads((out / f"rank{rank}.json").read_text()) for rank in range(WORLD_SIZE)]
    return _load_script(), records


def test_two_ranks_really_ran_distributed(ddp_run):
    script, records = ddp_run
    steps_per_epoch = script.NUM_SAMPLES // (script.BATCH_SIZE * WORLD_SIZE)
    for rank, record in enumerate(records):
        assert record["rank"] == rank
        assert record["world_size"] == WORLD_SIZE
        assert record["distributed_type"] == "DistributedType.MULTI_CPU"
        assert record["backend"] == "gloo"
        assert record["global_step"] == script.EPOCHS * steps_per_epoch
        assert len(record["epochs"]) == script.EPOCHS


def test_ranks_take_disjoint_position_shards_of_the_same_seeded_sample(ddp_run):
    script, records = ddp_run
    batch = script.BATCH_SIZE
    sampler = script.make_sampler()
    for epoch in range(script.EPOCHS):
        sampler.set_epoch(epoch)
        sample = list(sampler)
        assert len(sample) == script.NUM_SAMPLES
        for rank, record in enumerate(records):
            expected = [
                index
                for start in range(rank * batch, len(sample), WORLD_SIZE * batch)
                for index in sample[start : start + batch]
            ]
            assert record["epochs"][epoch] == expected, f"rank {rank}, epoch {epoch}"
        seen = [record["epochs"][epoch] for record in records]
        assert len(seen[0]) == len(seen[1]) == script.NUM_SAMPLES // WORLD_SIZE
        assert Counter(seen[0]) + Counter(seen[1]) == Counter(sample)


def test_union_follows_the_sampling_weights_and_epochs_differ(ddp_run):
    script, records = ddp_run
    labels = script.LABELS
    num_classes = max(labels) + 1
    # Inverse class weights give every class the same total weight: 1/3 each, against 0.75 / 0.19 / 0.06 natural.
    weights = script.sample_weights(labels, script.SCHEME)
    expected = [float(weights[[i for i, y in enumerate(labels) if y == c]].sum() / weights.sum()) for c in range(3)]
    assert expected == pytest.approx([1 / 3] * 3)
    unions = []
    for epoch in range(script.EPOCHS):
        union = records[0]["epochs"][epoch] + records[1]["epochs"][epoch]
        unions.append(union)
        counts = Counter(labels[index] for index in union)
        proportions = [counts[c] / len(union) for c in range(num_classes)]
        assert proportions == pytest.approx(expected, abs=0.08), f"epoch {epoch}: {proportions}"
    assert unions[0] != unions[1]
    assert Counter(unions[0]) != Counter(unions[1])


def test_training_completed_with_identical_weights_on_both_ranks(ddp_run):
    _, records = ddp_run
    assert records[0]["checksum"] == records[1]["checksum"]
    assert len(records[0]["checksum"]) == 64
    assert records[0]["train_loss"] > 0


def test_torch_weighted_random_sampler_drifts_apart_across_ranks(ddp_run):
    """The contrast run: same data and augmentation, torch's WeightedRandomSampler instead of ours."""
    script, records = ddp_run
    draws = [record["contrast_draws"] for record in records]
    assert [len(d) for d in draws] == [script.EPOCHS, script.EPOCHS]
    # The global RNGs start equal (set_seed on every rank), so the first sample happens to agree ...
    assert draws[0][0] == draws[1][0]
    # ... but the augmentation consumed rank-dependent random numbers, so from then on each rank draws its own sample:
    # the two shards are no longer pieces of one sample.
    assert draws[0][1] != draws[1][1]


def test_sentiv_trainer_weighted_sampler_shards_one_sample(ddp_run):
    """The package's SentiVTrainer (`sampler="weighted"`) under the same 2-process run."""
    script, records = ddp_run
    runs = [record["sentiv_trainer"] for record in records]
    for run in runs:
        assert "error" not in run, run.get("error")
    assert runs[0]["sampler"] == "EpochSeededWeightedSampler"
    batch = script.BATCH_SIZE
    for epoch in range(script.EPOCHS):
        sample = runs[0]["samples"][epoch]
        assert runs[1]["samples"][epoch] == sample  # every rank draws the same sample
        for rank, run in enumerate(runs):
            expected = [
                index
                for start in range(rank * batch, len(sample), WORLD_SIZE * batch)
                for index in sample[start : start + batch]
            ]
            assert run["epochs"][epoch] == expected, f"rank {rank}, epoch {epoch}"
    assert runs[0]["samples"][0] != runs[0]["samples"][1]
    assert runs[0]["checksum"] == runs[1]["checksum"]


def test_weighted_loss_is_the_weighted_mean_over_ranks_and_accumulation(ddp_run):
    """2 ranks x 2 accumulated micro-batches of 4 give the gradient of the weighted mean over all 16 examples."""
    import torch

    from sentiv_hf.training.class_weights import compute_class_weights

    script, records = ddp_run
    runs = [record["weighted_loss_accumulation"] for record in records]
    for run in runs:
        assert "error" not in run, run.get("error")
    per_rank = script.ACCUMULATION_BATCH_SIZE * script.ACCUMULATION_STEPS
    assert [len(run["seen"]) for run in runs] == [per_rank, per_rank]
    seen = runs[0]["seen"] + runs[1]["seen"]
    labels = torch.tensor(script.LABELS)[seen]
    weights = compute_class_weights(script.LABELS, 3, scheme="inverse").float()
    # The ranks' shards carry different class-weight totals, so per-rank means would not give this gradient.
    shard_weights = [float(weights[torch.tensor(script.LABELS)[run["seen"]]].sum()) for run in runs]
    assert shard_weights[0] != pytest.approx(shard_weights[1])
    model = script.TinyClassifier(script.TinyConfig())
    logits = model.linear(script.IndexedDataset(script.LABELS).features[seen])
    torch.nn.functional.cross_entropy(logits, labels, weight=weights).backward()
    for run in runs:
        for name, param in model.named_parameters():
            torch.testing.assert_close(torch.tensor(run["grads"][name]), param.grad, rtol=1e-5, atol=1e-7)
