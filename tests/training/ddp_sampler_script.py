"""Worker for ``test_ddp_sampler.py``: a real ``transformers.Trainer`` run under ``accelerate launch`` (2 CPU ranks).

Usage:
    ACCELERATE_USE_CPU=1 accelerate launch --config_file accelerate_configs/cpu_ddp.yaml \\
        tests/training/ddp_sampler_script.py OUT_DIR

The Trainer overrides ``_get_train_sampler`` to return ``EpochSeededWeightedSampler`` (the logic ``SentiVTrainer``
uses). The tiny model records the dataset indices of every batch it is trained on, per epoch, so prefetching by the
data loader cannot blur what each rank actually saw. The dataset draws random "augmentation" noise from the global
torch RNG, a different amount per example, as random crops do; so the ranks' global RNGs drift apart. Each rank
writes ``OUT_DIR/rank{r}.json`` with those indices, the run's distributed set-up and a SHA-256 of its final weights.

A second, contrast run on the same data uses torch's ``WeightedRandomSampler`` and records the full sample it draws
on each rank per epoch ("contrast_draws"), to show why it is not DDP-safe. A third run uses the package's
``SentiVTrainer`` with ``sampler="weighted"`` on a ``datasets.Dataset`` ("sentiv_trainer"): the indices each rank
trained on, and the sample its own sampler draws per epoch; an import or set-up error there is recorded, not raised,
so the other checks still report. A fourth run ("weighted_loss_accumulation") trains one step of ``SentiVTrainer`` with
class-weighted CE and gradient accumulation, and records the examples each rank saw and the all-reduced gradient.
"""

from __future__ import annotations

import hashlib
import json
import sys
import traceback
from pathlib import Path

import torch
from torch import nn
from transformers import PreTrainedConfig, PreTrainedModel, Trainer, TrainerCallback, TrainingArguments
from transformers.modeling_outputs import SequenceClassifierOutput

from sentiv_hf.training.samplers import EpochSeededWeightedSampler, sample_weights

# Shared with the test: the imbalanced labels (48 / 12 / 4), the sample size and the batch size.
LABELS = [0] * 48 + [1] * 12 + [2] * 4
NUM_SAMPLES = 384  # a multiple of per-device batch (8) x world size (2): no padding batches
BATCH_SIZE = 8
EPOCHS = 2
SEED = 1234
SCHEME = "inverse"
# The weighted-loss check: 2 ranks x ACCUMULATION_STEPS micro-batches of ACCUMULATION_BATCH_SIZE in one step.
ACCUMULATION_BATCH_SIZE = 4
ACCUMULATION_STEPS = 2
ACCUMULATION_SEED = 0  # a shuffle whose two rank shards carry different class-weight totals


def make_sampler() -> EpochSeededWeightedSampler:
    return EpochSeededWeightedSampler(sample_weights(LABELS, SCHEME), num_samples=NUM_SAMPLES, seed=SEED)


class TinyConfig(PreTrainedConfig):
    model_type = "sentiv-ddp-test"

    def __init__(self, input_size: int = 4, num_labels: int = 3, **kwargs):
        self.input_size = input_size
        super().__init__(num_labels=num_labels, **kwargs)


class TinyClassifier(PreTrainedModel):
    config_class = TinyConfig

    def __init__(self, config: TinyConfig):
        super().__init__(config)
        self.linear = nn.Linear(config.input_size, config.num_labels)
        self.seen: list[int] = []
        self.post_init()

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            module.weight.data.fill_(0.01)
            module.bias.data.zero_()

    def forward(self, x, labels=None, idx=None):
        if self.training and idx is not None:
            self.seen.extend(idx.tolist())
        logits = self.linear(x)
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


class IndexedDataset(torch.utils.data.Dataset):
    def __init__(self, labels: list[int]):
        generator = torch.Generator().manual_seed(0)
        self.labels = labels
        self.features = torch.randn(len(labels), 4, generator=generator) + torch.tensor(labels).unsqueeze(1).float()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict:
        # Random augmentation drawing 1-3 numbers from the global RNG depending on the example, like a random crop.
        noise = torch.rand(1 + index % 3).mean() * 0.01
        return {"x": self.features[index] + noise, "labels": self.labels[index], "idx": index}


class EpochIndexRecorder(TrainerCallback):
    """Moves the indices the model trained on into one list per epoch."""

    def __init__(self, model: TinyClassifier):
        self.model = model
        self.per_epoch: list[list[int]] = []

    def on_epoch_begin(self, args, state, control, **kwargs):
        self.model.seen.clear()

    def on_epoch_end(self, args, state, control, **kwargs):
        self.per_epoch.append(list(self.model.seen))


class WeightedSamplerTrainer(Trainer):
    def _get_train_sampler(self, train_dataset=None):
        return make_sampler()


class RecordingWeightedRandomSampler(torch.utils.data.WeightedRandomSampler):
    """torch's sampler, recording every full sample it draws."""

    draws: list[list[int]] = []

    def __iter__(self):
        indices = list(super().__iter__())
        self.draws.append(indices)
        yield from indices


class TorchWeightedSamplerTrainer(Trainer):
    def _get_train_sampler(self, train_dataset=None):
        return RecordingWeightedRandomSampler(sample_weights(LABELS, SCHEME), NUM_SAMPLES)


def weights_checksum(model: nn.Module) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def training_args(output_dir: Path) -> TrainingArguments:
    return TrainingArguments(
        output_dir=str(output_dir),
        per_device_train_batch_size=BATCH_SIZE,
        num_train_epochs=EPOCHS,
        learning_rate=0.05,
        use_cpu=True,
        dataloader_num_workers=0,
        save_strategy="no",
        report_to="none",
        logging_steps=5,
        disable_tqdm=True,
        ddp_find_unused_parameters=False,
        seed=SEED,
    )


#: SentiVTrainingArguments shared by the SentiVTrainer runs of this script (class-weighted CE, CPU, nothing saved).
WEIGHTED_CE_ARGS = {
    "loss": "weighted_ce",
    "class_weighting": "inverse",
    "use_cpu": True,
    "dataloader_num_workers": 0,
    "save_strategy": "no",
    "report_to": "none",
    "disable_tqdm": True,
    "ddp_find_unused_parameters": False,
    "learning_rate": 0.05,
}


def _indexed_train(datasets):
    """The script's training split: features, labels and each row's index (to see which rank trained on what)."""
    features = IndexedDataset(LABELS).features
    data = {"x": features.tolist(), "label": LABELS, "idx": list(range(len(LABELS)))}
    return datasets.Dataset.from_dict(data).with_format("torch")


def run_sentiv_trainer(out: Path) -> dict:
    """Same set-up through SentiVTrainer (`--sampler weighted`), with a `datasets.Dataset` train split."""
    import datasets

    from sentiv_hf.training.trainer import SentiVTrainer
    from sentiv_hf.training.training_args import SentiVTrainingArguments

    train = _indexed_train(datasets)
    model = TinyClassifier(TinyConfig())
    recorder = EpochIndexRecorder(model)
    args = SentiVTrainingArguments(
        output_dir=str(out / "sentiv"),
        sampler="weighted",
        seed=SEED,
        per_device_train_batch_size=BATCH_SIZE,
        num_train_epochs=EPOCHS,
        **WEIGHTED_CE_ARGS,
    )
    trainer = SentiVTrainer(model=model, args=args, train_dataset=train, callbacks=[recorder])
    trainer.train()
    sampler = trainer._get_train_sampler()
    samples = []
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        samples.append(list(sampler))
    return {
        "sampler": type(sampler).__name__,
        "epochs": recorder.per_epoch,
        "samples": samples,
        "checksum": weights_checksum(trainer.accelerator.unwrap_model(trainer.model)),
    }


class FirstStepGradients(TrainerCallback):
    """Records the (all-reduced) gradients of the first optimizer step and the indices each rank trained on."""

    def __init__(self, model: TinyClassifier):
        self.model = model
        self.grads: dict[str, list] | None = None

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        if self.grads is None:
            self.grads = {name: p.grad.tolist() for name, p in self.model.named_parameters()}


def run_weighted_loss_accumulation(out: Path) -> dict:
    """SentiVTrainer, weighted CE, 2 ranks x 2 accumulated micro-batches of 4: the first step's gradient must be that
    of the weighted mean over all 16 examples (the test recomputes it in one process)."""
    import datasets

    from sentiv_hf.training.trainer import SentiVTrainer
    from sentiv_hf.training.training_args import SentiVTrainingArguments

    train = _indexed_train(datasets)
    model = TinyClassifier(TinyConfig())
    grabber = FirstStepGradients(model)
    args = SentiVTrainingArguments(
        output_dir=str(out / "accumulation"),
        seed=ACCUMULATION_SEED,
        per_device_train_batch_size=ACCUMULATION_BATCH_SIZE,
        gradient_accumulation_steps=ACCUMULATION_STEPS,
        max_steps=1,
        max_grad_norm=0.0,
        **WEIGHTED_CE_ARGS,
    )
    trainer = SentiVTrainer(model=model, args=args, train_dataset=train, callbacks=[grabber])
    trainer.train()
    return {"seen": list(model.seen), "grads": grabber.grads}


def main(out_dir: str) -> None:
    out = Path(out_dir)
    model = TinyClassifier(TinyConfig())
    recorder = EpochIndexRecorder(model)
    args = training_args(out / "trainer")
    trainer = WeightedSamplerTrainer(
        model=model, args=args, train_dataset=IndexedDataset(LABELS), callbacks=[recorder]
    )
    result = trainer.train()
    state = trainer.accelerator.state
    record = {
        "rank": int(args.process_index),
        "world_size": int(args.world_size),
        "distributed_type": str(state.distributed_type),
        "backend": state.backend,
        "global_step": int(trainer.state.global_step),
        "train_loss": float(result.training_loss),
        "epochs": recorder.per_epoch,
        "checksum": weights_checksum(trainer.accelerator.unwrap_model(trainer.model)),
    }
    contrast = TorchWeightedSamplerTrainer(
        model=TinyClassifier(TinyConfig()), args=training_args(out / "contrast"), train_dataset=IndexedDataset(LABELS)
    )
    contrast.train()
    record["contrast_draws"] = RecordingWeightedRandomSampler.draws
    try:
        record["sentiv_trainer"] = run_sentiv_trainer(out)
    except Exception:  # reported by the test, which names what broke
        record["sentiv_trainer"] = {"error": traceback.format_exc()}
    try:
        record["weighted_loss_accumulation"] = run_weighted_loss_accumulation(out)
    except Exception:  # reported by the test, which names what broke
        record["weighted_loss_accumulation"] = {"error": traceback.format_exc()}
    (out / f"rank{record['rank']}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main(sys.argv[1])
