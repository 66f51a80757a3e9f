"""Training throughput of the tiny speech model on CPU, with and without length-grouped batching.

In transformers 5 length grouping is ``TrainingArguments(train_sampling_strategy="group_by_length")`` (the v4
``group_by_length=True`` flag is gone); ``length_column_name`` names the column with the lengths, here the corpus'
``duration`` column. Batches of similar durations need less padding, so each step processes fewer samples of
silence. This script trains `SentiVTrainer` for a fixed number of steps on synthetic clips whose durations spread
over 0.5-``--max_seconds`` s and prints training samples/s for both strategies.

    python bench/train_speed.py --num_examples 96 --max_steps 12 --batch_size 8
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def synthetic_split(num_examples: int, max_seconds: float, seed: int = 0):
    """Random-length noisy tones with a ``duration`` column (seconds) and 6 balanced labels."""
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    from sentiv_hf.labels import SPEECH_LABELS

    rng = np.random.default_rng(seed)
    durations = rng.uniform(0.5, max_seconds, size=num_examples).astype(np.float32)
    audio, labels = [], []
    for i, duration in enumerate(durations):
        t = np.arange(int(16000 * duration)) / 16000
        label = i % len(SPEECH_LABELS)
        wave = 0.3 * np.sin(2 * np.pi * (200 + 60 * label) * t) + 0.01 * rng.standard_normal(t.size)
        audio.append({"array": wave.astype(np.float32), "sampling_rate": 16000})
        labels.append(label)
    features = Features(
        {
            "audio": {"array": Sequence(Value("float32")), "sampling_rate": Value("int32")},
            "label": ClassLabel(names=list(SPEECH_LABELS)),
            "duration": Value("float32"),
        }
    )
    return Dataset.from_dict({"audio": audio, "label": labels, "duration": durations.tolist()}, features=features)


def run(strategy: str, train, args) -> dict[str, float]:
    import torch
    from transformers import DataCollatorWithPadding

    from sentiv_hf.data.audio import AudioPreprocessor
    from sentiv_hf.models.tiny import tiny_speech_feature_extractor, tiny_speech_model
    from sentiv_hf.training.trainer import SentiVTrainer
    from sentiv_hf.training.training_args import SentiVTrainingArguments

    torch.manual_seed(0)
    model = tiny_speech_model(6, encoder=args.encoder)
    feature_extractor = tiny_speech_feature_extractor(args.encoder)
    train = train.with_transform(AudioPreprocessor(feature_extractor, max_seconds=args.max_seconds, train=True))
    with tempfile.TemporaryDirectory() as tmp:
        training_args = SentiVTrainingArguments(
            output_dir=tmp,
            per_device_train_batch_size=args.batch_size,
            max_steps=args.max_steps,
            train_sampling_strategy=strategy,
            length_column_name="duration",
            remove_unused_columns=False,
            save_strategy="no",
            report_to=[],
            logging_strategy="no",
            disable_tqdm=True,
            use_cpu=True,
            dataloader_pin_memory=False,
        )
        trainer = SentiVTrainer(
            model=model,
            args=training_args,
            train_dataset=train,
            data_collator=DataCollatorWithPadding(feature_extractor),
        )
        padded = []
        for batch in trainer.get_train_dataloader():
            mask = batch["attention_mask"]
            padded.append(1.0 - float(mask.float().mean()))
            if len(padded) >= args.max_steps:
                break
        start = time.perf_counter()
        result = trainer.train()
        elapsed = time.perf_counter() - start
    samples = args.max_steps * args.batch_size
    return {
        "samples_per_second": samples / elapsed,
        "trainer_samples_per_second": result.metrics["train_samples_per_second"],
        "padding_fraction": float(np.mean(padded)),
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num_examples", type=int, default=96)
    parser.add_argument("--max_steps", type=int, default=12)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--max_seconds", type=float, default=6.0)
    parser.add_argument("--encoder", default="hubert")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=2, help="runs per strategy (the best one is reported)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    train = synthetic_split(args.num_examples, args.max_seconds)
    print(
        f"tiny {args.encoder} speech model, CPU ({args.threads} threads), {args.num_examples} clips of "
        f"0.5-{args.max_seconds:g} s, batch {args.batch_size}, {args.max_steps} steps"
    )
    results: dict[str, dict[str, float]] = {}
    # Interleave the strategies and keep each one's best run: the CPU is shared, so single runs are noisy.
    for repeat in range(args.repeats):
        for strategy in ("random", "group_by_length"):
            r = run(strategy, train, args)
            print(
                f"  run {repeat + 1} {strategy:<16} {r['samples_per_second']:7.1f} samples/s (Trainer: "
                f"{r['trainer_samples_per_second']:.1f})  padding {100 * r['padding_fraction']:4.1f}%  "
                f"{r['seconds']:.2f} s"
            )
            best = results.get(strategy)
            if best is None or r["samples_per_second"] > best["samples_per_second"]:
                results[strategy] = r
    for strategy, r in results.items():
        print(
            f"best {strategy:<16} {r['samples_per_second']:7.1f} samples/s  "
            f"padding {100 * r['padding_fraction']:4.1f}%"
        )
    speedup = results["group_by_length"]["samples_per_second"] / results["random"]["samples_per_second"]
    print(f"group_by_length speed-up: x{speedup:.2f}")


if __name__ == "__main__":
    main()
