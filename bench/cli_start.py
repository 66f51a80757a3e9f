"""Time ``sentiv --help``: the start-up cost every ``sentiv`` command pays before it does any work.

Runs the console script (``python -m sentiv_hf.cli`` when it is not installed) and, interleaved with it so that both
see the same machine load, a bare ``python -c pass``. After a warm-up run of each (page cache), prints the median and
minimum wall time of each, their ratio, the number of modules ``sentiv --help`` imports and whether torch or
transformers are among them (they must not be).

Usage:
    python bench/cli_start.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("torch", "transformers")


def sentiv_command() -> list[str]:
    script = Path(sys.executable).with_name("sentiv")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sentiv_hf.cli"]


def wall_time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def imported_modules(env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sentiv_hf.cli", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line and "imported package" not in line
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each command (at least 5)")
    args = parser.parse_args(argv)
    runs = max(5, args.runs)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    commands = {"sentiv --help": [*sentiv_command(), "--help"], "python -c pass": [sys.executable, "-c", "pass"]}
    for command in commands.values():  # warm-up: page cache, .pyc files
        wall_time(command, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(wall_time(command, env))
    for name, values in times.items():
        print(f"{name:<15} median {statistics.median(values):.3f} s, min {min(values):.3f} s ({runs} runs)")
    ratio = statistics.median(times["sentiv --help"]) / statistics.median(times["python -c pass"])
    print(f"sentiv --help / python -c pass: {ratio:.1f}x (medians); load average {os.getloadavg()[0]:.1f}")
    modules = imported_modules(env)
    heavy = sorted({m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)})
    print(f"sentiv --help imports {len(modules)} modules; torch/transformers among them: {heavy or 'none'}")
    return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
