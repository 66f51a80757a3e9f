"""Time the full demo preset (`sentiv benchmark` with no arguments, i.e. `make demo`) from a cold feature cache.

Prints the wall time; the goal is <= 5 minutes on a 2-core machine.

    python bench/demo_time.py            # bundled demo corpus, output in bench/_work/demo
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

GOAL_S = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output_dir", type=Path, default=Path(__file__).resolve().parent / "_work" / "demo")
    parser.add_argument("extra", nargs="*", help="extra `sentiv benchmark` flags (e.g. --budgets 0.1,1.0)")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)  # cold start: no results, no feature cache
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [
        sys.executable,
        "-m",
        "sentiv_hf.cli",
        "benchmark",
        "--output_dir",
        str(args.out),
        "--no-progress",
        *args.extra,
    ]
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        print(f"demo FAILED (exit {proc.returncode}) after {wall:.1f} s")
        return 1
    runs = sum(1 for _ in open(args.out / "results.jsonl", encoding="utf-8"))
    print(proc.stdout.split("### Macro-F1", 1)[-1].strip())
    print(
        f"\ndemo preset: {runs} runs, wall time {wall:.1f} s on {os.cpu_count()} CPU cores "
        f"(goal <= {GOAL_S:.0f} s: {'OK' if wall <= GOAL_S else 'TOO SLOW'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
