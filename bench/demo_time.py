"""Time the full demo preset (`sentiv benchmark` with no arguments, i.e. `make demo`) from a cold feature cache.

Measured leg: ``sentiv benchmark --output_dir DIR --no-progress`` in its own process, on a new folder each time (no
results, no feature cache), as a user's first ``make demo`` runs it. Goal: median wall time <= 5 minutes on a 2-core
machine. Each leg lasts a minute or two, so the whole script takes about 5 x that.

The goal is in seconds, and a shared machine's load moves seconds, so a reference leg runs interleaved with it: a
fixed CPU "yardstick" (a process that does a set amount of NumPy matrix products and pure-Python loops, about 5 s on
2 idle cores). The ratio demo / yardstick says how many yardsticks the demo costs; it stays put when the load
changes, and makes runs on different days or machines comparable. The warm-up (page cache, ``.pyc`` files) is one
small demo (``--quick`` settings) and one yardstick, untimed. ``--quick`` times the small demo (text task, budget
1.0, one seed; no target).

Usage:
    python bench/demo_time.py [--output_dir DIR] [--reps 5] [--quick] [-- extra sentiv benchmark flags]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from _common import WORK, Figure, Target, bench_parser, checked_reps, interleaved, offline_env, print_figures

SCRIPT = "demo_time"
GOAL_S = 300.0
QUICK_FLAGS = ["--tasks", "text", "--budgets", "1.0", "--seeds", "1"]
#: A fixed amount of work, half BLAS, half interpreter, like the demo (heads and encoders, Python glue).
YARDSTICK = """
import numpy as np
a = np.random.default_rng(0).standard_normal((512, 512))
for _ in range(400):
    a = np.tanh(a @ a.T / 512)
total = 0
for i in range(12_000_000):
    total += i % 7
"""


def demo_leg(output_dir: Path, extra: list[str]):
    """A leg: the demo on a cold output folder; it must succeed."""

    def leg() -> None:
        shutil.rmtree(output_dir, ignore_errors=True)  # cold start: no results, no feature cache
        command = [sys.executable, "-m", "sentiv_hf.cli", "benchmark", "--output_dir", str(output_dir)]
        proc = subprocess.run([*command, "--no-progress", *extra], env=offline_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"demo FAILED (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")

    return leg


def yardstick_leg() -> None:
    subprocess.run([sys.executable, "-c", YARDSTICK], env=offline_env(), check=True)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--output_dir", type=Path, default=WORK / "demo")
    parser.add_argument("extra", nargs="*", help="extra `sentiv benchmark` flags (after --)")
    args = parser.parse_args(argv)
    reps = checked_reps(args.reps)
    extra = [*QUICK_FLAGS, *args.extra] if args.quick else args.extra
    print("warm-up: a small demo and the yardstick, untimed", flush=True)
    demo_leg(args.output_dir, [*QUICK_FLAGS, *args.extra])()
    yardstick_leg()
    legs = {"sentiv benchmark (demo)": demo_leg(args.output_dir, extra), "CPU yardstick": yardstick_leg}
    times = interleaved(legs, reps, warmup=False)
    runs = sum(1 for _ in open(args.output_dir / "results.jsonl", encoding="utf-8"))
    shutil.rmtree(args.output_dir, ignore_errors=True)
    figure = Figure.from_samples(
        SCRIPT,
        f"demo preset wall time from a cold cache ({runs} runs{', --quick' if args.quick else ''})",
        times["sentiv benchmark (demo)"],
        "s",
        reference=times["CPU yardstick"],
        reference_name="fixed CPU yardstick",
        target=None if args.quick or args.extra else Target("value", "<=", GOAL_S),
        runs=runs,
        extra_flags=extra,
    )
    print_figures([figure], "demo preset")
    return 0


if __name__ == "__main__":
    sys.exit(main())
