"""Frozen-encoder feature cache vs re-encoding in every run, on the demo speech task (tiny HuBERT-style encoder).

* cached: the benchmark runner as shipped: every clip is encoded once, then the head trains for all budgets x seeds;
* re-encode: every (budget, seed) run starts from an empty cache, so it encodes every clip again.

Prints both wall times, the speedup (goal >= 10x) and the encoder forward passes per clip.

    python bench/feature_cache_speedup.py [--dataset DIR] [--reencode-runs N]
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
    parser.add_argument(
        "--reencode-runs", type=int, default=None, help="time only the first N re-encoding runs (all by default)"
    )
    args = parser.parse_args()

    import torch

    from sentiv_hf.benchmark import ENCODER_CALLS, BenchmarkConfig, BenchmarkRunner, FeatureCache

    work = Path(tempfile.mkdtemp(prefix="sentiv-cache-bench-"))
    base = BenchmarkConfig.from_preset("demo").with_overrides(
        dataset=args.dataset, tasks=["speech"], models=["tiny"], epochs=args.epochs, out=str(work / "cached")
    )
    start = time.perf_counter()
    cached_runner = BenchmarkRunner(base, progress=False)
    records = cached_runner.run()
    cached_s = time.perf_counter() - start
    n_runs = len(records)
    splits = cached_runner.splits("speech")
    n_clips = sum(len(s) for s in splits.values())
    cached_calls = ENCODER_CALLS["tiny/speech"]

    plan = cached_runner.plan()[: args.reencode_runs or None]
    ENCODER_CALLS.clear()
    runner = BenchmarkRunner(base.with_overrides(out=str(work / "reencode")), progress=False)
    runner.splits("speech")  # datasets are loaded once in both modes; only the encoding differs
    torch.set_num_threads(1)  # as BenchmarkRunner.run does for heads; encoders get their threads back
    start = time.perf_counter()
    for i, spec in enumerate(plan):
        # An empty cache and a fresh provider per run: the encoder runs again for this (budget, seed).
        runner.cache = FeatureCache(work / f"cache{i}")
        runner._provider = None
        runner._fitted.clear()
        runner.run_one(spec)
    reencode_s = (time.perf_counter() - start) * n_runs / len(plan)
    reencode_calls = ENCODER_CALLS["tiny/speech"] * n_runs / len(plan)
    shutil.rmtree(work, ignore_errors=True)

    print(f"demo speech task, tiny encoder, {n_runs} runs (budgets x seeds), {n_clips} clips")
    print(f"cached (encode once):       {cached_s:7.1f} s   encoder forwards per clip: {cached_calls / n_clips:.2f}")
    extrapolated = "" if len(plan) == n_runs else f" (measured {len(plan)} runs, scaled to {n_runs})"
    print(
        f"re-encode in every run:     {reencode_s:7.1f} s   encoder forwards per clip: "
        f"{reencode_calls / n_clips:.2f}{extrapolated}"
    )
    speedup = reencode_s / cached_s
    print(f"speedup: {speedup:.1f}x (goal >= 10x: {'OK' if speedup >= 10 else 'BELOW GOAL'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
