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
    # Warm-up outside both timings: imports, first model build, first decode (one-time process costs).
    warm = BenchmarkRunner(base.with_overrides(out=str(work / "warm"), budgets=[0.01], seeds=1), progress=False)
    warm.run_one(warm.plan()[0])
    warm_calls = ENCODER_CALLS["tiny/speech"]
    cached_runner = BenchmarkRunner(base, progress=False)
    cached_runner.splits("speech")  # loading the dataset is not part of either mode's cost
    start = time.perf_counter()
    records = cached_runner.run()
    cached_s = time.perf_counter() - start
    n_runs = len(records)
    splits = cached_runner.splits("speech")
    n_clips = sum(len(s) for s in splits.values())
    cached_calls = ENCODER_CALLS["tiny/speech"] - warm_calls

    plan = cached_runner.plan()[: args.reencode_runs or None]
    ENCODER_CALLS.clear()
    runner = BenchmarkRunner(base.with_overrides(out=str(work / "reencode")), progress=False)
    runner.splits("speech")  # datasets are loaded once in both modes; only the encoding differs
    torch.set_num_threads(1)  # as BenchmarkRunner.run does for heads; encoders get their threads back
    start = time.perf_counter()
    reencode_run_s = 0.0
    for i, spec in enumerate(plan):
        # An empty cache and a fresh provider per run: the encoder runs again for this (budget, seed).
        runner.cache = FeatureCache(work / f"cache{i}")
        runner._provider = None
        runner._fitted.clear()
        reencode_run_s += runner.run_one(spec)["wall_time_s"]
    reencode_s = (time.perf_counter() - start) * n_runs / len(plan)
    reencode_run_s *= n_runs / len(plan)
    cached_run_s = sum(r["wall_time_s"] for r in records)
    reencode_calls = ENCODER_CALLS["tiny/speech"] * n_runs / len(plan)
    shutil.rmtree(work, ignore_errors=True)

    print(f"demo speech task, tiny encoder, {n_runs} runs (budgets x seeds), {n_clips} clips")
    extrapolated = "" if len(plan) == n_runs else f" (measured {len(plan)} runs, scaled to {n_runs})"
    print(
        f"cached (encode once):   total {cached_s:6.1f} s, in runs {cached_run_s:6.1f} s; "
        f"encoder forwards per clip: {cached_calls / n_clips:.2f}"
    )
    print(
        f"re-encode every run:    total {reencode_s:6.1f} s, in runs {reencode_run_s:6.1f} s; "
        f"encoder forwards per clip: {reencode_calls / n_clips:.2f}{extrapolated}"
    )
    # "in runs" sums the runs' own wall times (what the protocol costs), without the fixed start-up of a benchmark
    # invocation (version probing, thread-pool set-up, progress bar), which is the same in both modes.
    speedup, speedup_total = reencode_run_s / cached_run_s, reencode_s / cached_s
    print(
        f"speedup: {speedup:.1f}x in runs, {speedup_total:.1f}x total "
        f"(goal >= 10x: {'OK' if speedup >= 10 else 'BELOW GOAL'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
