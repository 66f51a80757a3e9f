"""Time ``sentiv --help``: the start-up cost every ``sentiv`` command pays before it does any work.

Measured leg: ``--calls`` runs of the console script (``python -m sentiv_hf.cli`` when it is not installed), one
process after the other. Reference leg, interleaved with it: as many runs of a bare ``python -c pass``, so the
ratio is the start-up cost in units of the interpreter's own start-up. One process start lasts 0.05-0.5 s, too short
to time alone on a shared machine, so each leg is ``--calls`` starts (default 60: a few seconds per leg).

A second figure counts the modules ``sentiv --help`` imports that belong to torch or transformers: the target is 0
(the CLI must stay light to start).

Usage:
    python bench/cli_start.py [--calls 60] [--reps 5] [--quick]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import Figure, Target, bench_parser, checked_reps, interleaved, offline_env, print_figures

SCRIPT = "cli_start"
HEAVY = ("torch", "transformers")


def sentiv_command() -> list[str]:
    """The installed console script, else the module."""
    script = Path(sys.executable).with_name("sentiv")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sentiv_hf.cli"]


def start_many(argv: list[str], calls: int, env: dict[str, str]):
    """A leg: start ``argv`` ``calls`` times in a row (each must succeed)."""

    def leg() -> None:
        for _ in range(calls):
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    return leg


def heavy_modules(env: dict[str, str]) -> list[str]:
    """torch/transformers modules that ``sentiv --help`` imports (from ``python -X importtime``)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sentiv_hf.cli", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    modules = [
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line and "imported package" not in line
    ]
    return sorted({m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)})


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--calls", type=int, default=60, help="process starts per leg")
    args = parser.parse_args(argv)
    reps = checked_reps(args.reps)
    calls = 3 if args.quick else args.calls
    env = offline_env()
    print(f"{calls} process starts per leg, {reps} reps")
    times = interleaved(
        {
            "sentiv --help": start_many([*sentiv_command(), "--help"], calls, env),
            "python -c pass": start_many([sys.executable, "-c", "pass"], calls, env),
        },
        reps,
    )
    per_call = {name: [t / calls for t in values] for name, values in times.items()}
    heavy = heavy_modules(env)
    figures = [
        Figure.from_samples(
            SCRIPT,
            "sentiv --help start-up time per call",
            per_call["sentiv --help"],
            "s",
            reference=per_call["python -c pass"],
            reference_name="python -c pass",
            calls_per_leg=calls,
        ),
        Figure(
            script=SCRIPT,
            figure="torch/transformers modules imported by sentiv --help",
            value=len(heavy),
            unit="modules",
            target=str(Target("value", "==", 0)),
            passed=not heavy,
            reps=1,
            notes={"modules": heavy[:20]},
        ),
    ]
    print_figures(figures, "sentiv start-up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
