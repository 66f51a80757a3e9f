"""Training overhead of `SentiVTrainer` (focal loss, class-weighted sampler) against plain `transformers.Trainer`
(the model's own cross-entropy, random sampler), at PhoBERT-base size on CPU.

The model is `RobertaForSequenceClassification` in PhoBERT-base's shape, built in code with random weights (no Hub):
`RobertaConfig` defaults (hidden 768, 12 layers, 12 heads) with ``vocab_size=64001`` and
``max_position_embeddings=258``, 7 labels. The data are synthetic token ids with an imbalanced label distribution
(as in the SentiV text release), so the weighted sampler and the focal loss have work to do.

Each leg builds its trainer and trains ``--steps`` optimizer steps on batches of ``--batch-size`` x ``--seq-len``
tokens (default 3 steps of 4 x 32 tokens: several seconds per leg on 2 CPU cores). The timed part is what a user
waits for, trainer construction (SentiV counts the labels and builds its loss there) plus ``train()``; resetting the
weights to the same random start before each leg is not timed. The two trainers alternate leg by leg after an
untimed warm-up leg of each. The ratio SentiV / Trainer of the time per leg is the overhead (target <= 1.05).
``--quick`` uses a 2-layer, 32-wide model (a smoke test: no target).

Usage:
    python bench/train_speed.py [--steps 3] [--batch-size 4] [--seq-len 32] [--threads 2] [--reps 5] [--quick]
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time

import numpy as np
import torch
from _common import Figure, Target, bench_parser, checked_reps, interleaved, print_figures
from datasets import Dataset
from transformers import (
    PrinterCallback,
    RobertaConfig,
    RobertaForSequenceClassification,
    Trainer,
    TrainingArguments,
)
from transformers import logging as hf_logging

from sentiv_hf.labels import TEXT_LABELS
from sentiv_hf.training import SentiVTrainer, SentiVTrainingArguments

SCRIPT = "train_speed"
PHOBERT_BASE = {"vocab_size": 64001, "max_position_embeddings": 258}  # on top of RobertaConfig's defaults
TINY = {
    "vocab_size": 1000,
    "max_position_embeddings": 258,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
}
#: Imbalanced like the text release (most Enjoyment, least Surprise), in `TEXT_LABELS` order.
LABEL_SHARES = {"Enjoyment": 0.30, "Sadness": 0.18, "Anger": 0.12, "Disgust": 0.10, "Fear": 0.08, "Surprise": 0.07}


def synthetic_tokens(rows: int, seq_len: int, vocab_size: int, seed: int = 0) -> Dataset:
    """``rows`` sequences of random token ids (ids 5.. skip the special tokens) with imbalanced labels."""
    rng = np.random.default_rng(seed)
    shares = np.array([LABEL_SHARES.get(label, 0.0) for label in TEXT_LABELS])
    shares[shares == 0] = 1.0 - shares.sum()  # Neutral (or whichever label is not listed) takes the rest
    return Dataset.from_dict(
        {
            "input_ids": rng.integers(5, vocab_size, size=(rows, seq_len)).tolist(),
            "attention_mask": np.ones((rows, seq_len), dtype=np.int64).tolist(),
            "label": rng.choice(len(TEXT_LABELS), size=rows, p=shares / shares.sum()).tolist(),
        }
    )


def common_args(output_dir: str, args) -> dict:
    """The `TrainingArguments` both trainers share: no saving, logging or evaluation, CPU, same seed."""
    return {
        "output_dir": output_dir,
        "per_device_train_batch_size": args.batch_size,
        "max_steps": args.steps,
        "learning_rate": 2e-5,
        "save_strategy": "no",
        "eval_strategy": "no",
        "logging_strategy": "no",
        "report_to": [],
        "disable_tqdm": True,
        "use_cpu": True,
        "dataloader_pin_memory": False,
        "seed": 0,
    }


def training_leg(kind: str, model, initial_state: dict, train: Dataset, output_dir: str, args):
    """A leg: reset the weights (untimed), then build the trainer and train; returns the timed seconds."""

    def leg() -> float:
        model.load_state_dict(initial_state)
        started = time.perf_counter()
        if kind == "sentiv":
            training_args = SentiVTrainingArguments(**common_args(output_dir, args), loss="focal", sampler="weighted")
            trainer = SentiVTrainer(model=model, args=training_args, train_dataset=train)
        else:
            trainer = Trainer(
                model=model, args=TrainingArguments(**common_args(output_dir, args)), train_dataset=train
            )
        trainer.remove_callback(PrinterCallback)  # it prints the final metrics dict, which is not our figure
        trainer.train()
        return time.perf_counter() - started

    return leg


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--steps", type=int, default=3, help="optimizer steps per leg")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=32, help="tokens per sequence")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args(argv)
    reps = checked_reps(args.reps)
    if args.quick:
        args.steps = 5
    torch.set_num_threads(args.threads)
    hf_logging.set_verbosity_error()
    logging.getLogger("sentiv_hf").setLevel(logging.WARNING)

    shape, size = (TINY, "tiny (--quick)") if args.quick else (PHOBERT_BASE, "PhoBERT-base")
    config = RobertaConfig(**shape, num_labels=len(TEXT_LABELS), id2label=dict(enumerate(TEXT_LABELS)))
    torch.manual_seed(0)
    model = RobertaForSequenceClassification(config)
    initial_state = {k: v.clone() for k, v in model.state_dict().items()}
    train = synthetic_tokens(max(256, args.steps * args.batch_size), args.seq_len, config.vocab_size)
    n_params = sum(p.numel() for p in model.parameters()) / 1e6
    print(
        f"{size} ({n_params:.0f} M parameters, random weights), {args.threads} thread(s); each leg: trainer "
        f"construction + {args.steps} steps of {args.batch_size} x {args.seq_len} tokens"
    )
    with tempfile.TemporaryDirectory(prefix="sentiv-train-bench-") as tmp:
        times = interleaved(
            {
                "SentiVTrainer (focal, weighted sampler)": training_leg(
                    "sentiv", model, initial_state, train, tmp, args
                ),
                "Trainer (cross-entropy)": training_leg("hf", model, initial_state, train, tmp, args),
            },
            reps,
        )
    figure = Figure.from_samples(
        SCRIPT,
        f"{size} training leg time, SentiVTrainer vs Trainer",
        times["SentiVTrainer (focal, weighted sampler)"],
        "s",
        reference=times["Trainer (cross-entropy)"],
        reference_name="transformers.Trainer, cross-entropy",
        target=None if args.quick else Target("ratio", "<=", 1.05),  # tiny legs are noise, not a figure
        steps=args.steps,
        batch_size=args.batch_size,
        seq_len=args.seq_len,
        threads=args.threads,
    )
    print_figures([figure], "SentiVTrainer overhead")
    return 0


if __name__ == "__main__":
    sys.exit(main())
