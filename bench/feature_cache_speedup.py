"""Frozen-encoder feature cache vs re-encoding in every run, on the demo speech task.

The encoder is a HuBERT-base-sized model (12 layers, hidden 768; random weights saved with ``save_pretrained`` and
given as ``speech:<folder>``, the code path of the ``sentiv`` preset's HuBERT), because the cache exists for real
encoders: with the 32-wide demo encoder, encoding costs less than training a head.

* cached: the benchmark runner as shipped: every clip is encoded once, then the shipped head trains (with
  `SentiVTrainer`) for all budgets x seeds;
* re-encode: every (budget, seed) run starts from an empty cache and a fresh runner, so it builds the model and
  encodes every clip again (measured on ``--reencode-runs`` runs and scaled to all of them).

Prints both wall times, the speed-up (goal >= 10x) and the encoder forward passes per clip (goal: 1.0 cached).

    python bench/feature_cache_speedup.py [--dataset DIR] [--reencode-runs N] [--epochs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default=None, help="dataset folder (default: the bundled demo corpus)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--reencode-runs", type=int, default=2, help="re-encoding runs measured (then scaled)")
    args = parser.parse_args()

    from transformers import HubertConfig, HubertModel

    from sentiv_hf.benchmark import ENCODER_CALLS, BenchmarkConfig, BenchmarkRunner
    from sentiv_hf.models.tiny import tiny_speech_feature_extractor

    work = Path(tempfile.mkdtemp(prefix="sentiv-cache-bench-"))
    encoder = work / "hubert-base-random"
    HubertModel(HubertConfig()).save_pretrained(encoder)  # 12 layers x 768, 94 M parameters
    tiny_speech_feature_extractor().save_pretrained(encoder)
    name = str(encoder)
    base = BenchmarkConfig.from_preset("demo").with_overrides(
        dataset=args.dataset,
        tasks=["speech"],
        models=[f"speech:{name}"],
        epochs=args.epochs,
        output_dir=str(work / "cached"),
    )
    # Warm-up outside both timings: imports, thread pools, first decode (one-time process costs).
    warm = BenchmarkRunner(
        base.with_overrides(output_dir=str(work / "warm"), models=["tiny"], budgets=[0.01], seeds=1)
    )
    warm.progress = False
    warm.run_one(warm.plan()[0])

    cached_runner = BenchmarkRunner(base, progress=False)
    splits = cached_runner.splits("speech")  # loading the dataset is not part of either mode's cost
    n_clips = sum(len(s) for s in splits.values())
    before = ENCODER_CALLS[f"{name}/speech"]
    start = time.perf_counter()
    records = cached_runner.run()
    cached_s = time.perf_counter() - start
    cached_calls = ENCODER_CALLS[f"{name}/speech"] - before
    n_runs = len(records)

    plan = cached_runner.plan()[: args.reencode_runs]
    before = ENCODER_CALLS[f"{name}/speech"]
    reencode_measured = 0.0
    for i, spec in enumerate(plan):
        # A fresh runner and an empty cache per run: the model is built and every clip encoded again.
        one = base.with_overrides(budgets=[spec.budget], seeds=[spec.seed], output_dir=str(work / f"reencode{i}"))
        runner = BenchmarkRunner(one, progress=False)
        runner.splits("speech")
        start = time.perf_counter()
        runner.run()
        reencode_measured += time.perf_counter() - start
    reencode_calls = (ENCODER_CALLS[f"{name}/speech"] - before) / len(plan)
    reencode_s = reencode_measured * n_runs / len(plan)
    shutil.rmtree(work, ignore_errors=True)

    print(f"demo speech task, HuBERT-base-sized encoder, {n_runs} runs (budgets x seeds), {n_clips} clips")
    print(f"cached (encode once):  {cached_s:7.1f} s; encoder forwards per clip: {cached_calls / n_clips:.2f}")
    print(
        f"re-encode every run:   {reencode_s:7.1f} s (measured {len(plan)} runs, {reencode_measured:.1f} s, scaled to "
        f"{n_runs}); encoder forwards per clip per run: {reencode_calls / n_clips:.2f}"
    )
    speedup = reencode_s / cached_s
    print(f"speed-up: {speedup:.1f}x (goal >= 10x: {'OK' if speedup >= 10 else 'BELOW GOAL'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
