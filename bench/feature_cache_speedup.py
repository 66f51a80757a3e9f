"""Speed-up of the frozen-encoder feature cache over re-encoding every clip in every run, on the demo speech task.

The benchmark trains one head per (budget, seed) run, 6 budgets x 3 seeds = 18 runs in the demo preset. With the
cache, every clip is encoded once and the 18 heads train on the cached features; without it, every run would build
the model and encode every clip again. The encoder is a random HuBERT-shaped model saved with ``save_pretrained``
and given as ``speech:<folder>`` (the code path of the ``sentiv`` preset's HuBERT). It is of HuBERT-large's kind
(layer-norm front end, as the ``sentiv`` preset's ``facebook/hubert-large-ls960-ft``) at a small size (2 layers of
256, an 80-channel convolutional front end: about 1/40 of HuBERT-base's compute per second of audio), so that
on 2 cores one re-encoding run (model load, encoding 294 clips, a head) takes 15-20 s and the cached leg about 35 s:
every leg lasts over 10 s, and the script about 5 minutes. A real encoder costs far more
per clip, so its speed-up is larger than the one measured here (at most the number of runs); ``--encoder base``
measures it at HuBERT-base's size (about half an hour).

Two legs, interleaved, after an untimed warm-up (one re-encoding run):

* cached: a fresh output folder (cold cache) and `BenchmarkRunner.run()` over all 18 runs: encode once, 18 heads;
* re-encode: ``--reencode-runs`` of the 18 runs (default 1; a different one each repetition, in a fixed shuffled
  order so that the repetitions spread over the budgets), each with a fresh runner and an empty cache, so it builds
  the model and encodes every clip again; scaled to 18 runs. Every re-encoding run repeats the same encoding, so
  its cost hardly depends on which run it is.

Loading the dataset is outside both timings. The figure is runs per minute with the cache against runs per minute
re-encoding; the ratio is the speed-up (target >= 10x). The script also checks that the cached leg calls the encoder
once per clip, and each re-encoding run once per clip per run. ``--quick``: a 2-layer, 32-wide encoder, 2 budgets x
2 seeds, 3 epochs (no target).

Usage:
    python bench/feature_cache_speedup.py [--dataset DIR] [--encoder small|base] [--reencode-runs 1] [--epochs 30]
                                          [--reps 5] [--quick]
"""

from __future__ import annotations

import itertools
import logging
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import Figure, Target, bench_parser, checked_reps, interleaved, print_figures

SCRIPT = "feature_cache_speedup"
#: Default encoder: HuBERT-large's kind (layer-norm front end, stable layer norm, as the sentiv preset's
#: facebook/hubert-large-ls960-ft), small enough that the script takes about 5 minutes on 2 cores.
SMALL_HUBERT = {
    "hidden_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 1024,
    "conv_dim": (80,) * 7,
    "feat_extract_norm": "layer",  # clips are encoded in batches, as for HuBERT-large
    "do_stable_layer_norm": True,
}
#: ``--encoder base``: HuBERT-base's size (12 layers of 768, 512-channel front end), HuBERT-large's kind. A real
#: encoder's figure, but each leg then takes minutes: the whole script about half an hour on 2 cores.
BASE_HUBERT = {"feat_extract_norm": "layer", "do_stable_layer_norm": True}
TINY_HUBERT = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "conv_dim": (16,) * 3,
    "conv_stride": (5, 8, 8),
    "conv_kernel": (10, 8, 8),
    "num_conv_pos_embeddings": 16,
    "num_conv_pos_embedding_groups": 2,
    "feat_extract_norm": "layer",
    "do_stable_layer_norm": True,
}


def save_encoder(folder: Path, shape: dict) -> str:
    """Save a random HuBERT of ``shape`` (and a feature extractor) to ``folder``; its ``speech:`` model name."""
    from transformers import HubertConfig, HubertModel

    from sentiv_hf.models.tiny import tiny_speech_feature_extractor

    HubertModel(HubertConfig(**shape)).save_pretrained(folder)
    tiny_speech_feature_extractor().save_pretrained(folder)
    return str(folder)


class CacheBench:
    """The two legs, each on fresh output folders under ``work`` so that every leg starts from a cold cache."""

    def __init__(self, base, work: Path, encoder: str, reencode_runs: int) -> None:
        from sentiv_hf.benchmark import BenchmarkRunner

        self.base = base
        self.work = work
        self.key = f"{encoder}/speech"
        self.reencode_runs = reencode_runs
        self.plan = BenchmarkRunner(base.with_overrides(output_dir=str(work / "plan")), progress=False).plan()
        random.Random(0).shuffle(self.plan)  # re-encoding runs are taken in this order: budgets spread over reps
        self.n_runs = len(self.plan)
        self.n_clips = 0
        self._folders = itertools.count()
        self._next_run = 0
        self.forwards_per_clip: dict[str, list[float]] = {"cached": [], "re-encode": []}

    def _runner(self, **overrides):
        """A fresh runner on a new folder, with its dataset loaded (untimed: both modes need it once)."""
        from sentiv_hf.benchmark import BenchmarkRunner

        folder = self.work / f"leg{next(self._folders)}"
        runner = BenchmarkRunner(self.base.with_overrides(output_dir=str(folder), **overrides), progress=False)
        splits = runner.splits(runner.config.task_config("speech"))
        self.n_clips = sum(len(split) for split in splits.values())
        return runner, folder

    def _timed_run(self, runner, folder: Path) -> tuple[float, int]:
        """Seconds of ``runner.run()`` and the encoder forwards it made; the folder is removed afterwards."""
        from sentiv_hf.benchmark import ENCODER_CALLS

        before = ENCODER_CALLS[self.key]
        started = time.perf_counter()
        runner.run()
        seconds = time.perf_counter() - started
        shutil.rmtree(folder, ignore_errors=True)
        return seconds, ENCODER_CALLS[self.key] - before

    def cached(self) -> float:
        """All runs on one runner: every clip encoded once."""
        runner, folder = self._runner()
        seconds, forwards = self._timed_run(runner, folder)
        self.forwards_per_clip["cached"].append(forwards / self.n_clips)
        return seconds

    def reencode(self) -> float:
        """``reencode_runs`` runs, each with a fresh runner and cache (so it encodes again), scaled to all runs."""
        measured = sum(self.reencode_one() for _ in range(self.reencode_runs))
        return measured * self.n_runs / self.reencode_runs

    def reencode_one(self) -> float:
        """The next run of the plan on a fresh runner and cache; its seconds."""
        spec = self.plan[self._next_run % self.n_runs]  # a different run each time: the reps cover the plan
        self._next_run += 1
        runner, folder = self._runner(budgets=[spec.budget], seeds=[spec.seed])
        seconds, forwards = self._timed_run(runner, folder)
        self.forwards_per_clip["re-encode"].append(forwards / self.n_clips)
        return seconds


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--dataset", default=None, help="dataset folder (default: the bundled demo corpus)")
    parser.add_argument("--epochs", type=int, default=None, help="head epochs (default: the demo preset's)")
    parser.add_argument(
        "--encoder", choices=["small", "base"], default="small", help="encoder size (see the module docstring)"
    )
    parser.add_argument("--reencode-runs", type=int, default=1, help="re-encoding runs measured per leg (scaled)")
    args = parser.parse_args(argv)
    reps = checked_reps(args.reps)
    logging.getLogger("sentiv_hf").setLevel(logging.ERROR)  # class-weight notes of tiny budgets, once per run

    from transformers import logging as hf_logging

    from sentiv_hf.benchmark import BenchmarkConfig

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    work = Path(tempfile.mkdtemp(prefix="sentiv-cache-bench-"))
    try:
        shape, size = {
            "small": (SMALL_HUBERT, "2 x 256 HuBERT"),
            "base": (BASE_HUBERT, "HuBERT-base-sized"),
        }[args.encoder]
        if args.quick:
            shape, size = TINY_HUBERT, "tiny (--quick)"
        encoder = save_encoder(work / "encoder", shape)
        overrides = {"budgets": [0.1, 1.0], "seeds": 2, "epochs": 3} if args.quick else {"epochs": args.epochs}
        base = BenchmarkConfig.from_preset("demo").with_overrides(
            dataset=args.dataset, tasks=["speech"], models=[f"speech:{encoder}"], **overrides
        )
        bench = CacheBench(base, work, encoder, args.reencode_runs)
        print(f"{size} encoder, demo speech task, {bench.n_runs} runs (budgets x seeds), {reps} reps")
        # Warm-up (imports, thread pools, first audio decode, first model load): one re-encoding run, untimed.
        started = time.perf_counter()
        bench.reencode_one()
        print(f"  warm-up (one run): {time.perf_counter() - started:.1f} s", flush=True)
        bench.forwards_per_clip["re-encode"].clear()
        times = interleaved({"cached": bench.cached, "re-encode": bench.reencode}, reps, warmup=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cached_forwards, reencode_forwards = bench.forwards_per_clip["cached"], bench.forwards_per_clip["re-encode"]
    print(
        f"{bench.n_clips} clips; encoder forwards per clip: cached leg {sorted(set(cached_forwards))}, "
        f"each re-encoding run {sorted(set(reencode_forwards))} (expected [1.0] and [1.0])"
    )
    if set(cached_forwards) != {1.0} or set(reencode_forwards) != {1.0}:
        print("the encoder was not called once per clip per leg: the comparison is not the one described")
        return 1
    per_minute = {name: [60 * bench.n_runs / t for t in values] for name, values in times.items()}
    figure = Figure.from_samples(
        SCRIPT,
        f"feature cache speed-up, {size} encoder, {bench.n_runs} runs (runs/min)",
        per_minute["cached"],
        "runs/min",
        reference=per_minute["re-encode"],
        reference_name=f"re-encode every run ({args.reencode_runs} measured per leg, scaled)",
        target=None if args.quick else Target("ratio", ">=", 10.0),
        best="max",
        runs=bench.n_runs,
        clips=bench.n_clips,
        cached_leg_s=times["cached"],
        reencode_leg_s_scaled=times["re-encode"],
    )
    print_figures([figure], "feature cache")
    return 0


if __name__ == "__main__":
    sys.exit(main())
