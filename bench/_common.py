"""Shared timing and reporting for the ``bench/`` scripts, so that every figure is measured the same fair way.

The rules every script follows (issue 12, "fair bench scripts"):

* each figure is a ratio against a **reference measured in the same run**: the measured leg and the reference leg
  run **interleaved** (A B, then B A, ...), so that load from other processes on a shared machine hits both alike;
* one untimed **warm-up** of every leg first (imports, thread pools, page cache, lazy initialisation);
* at least **5 repetitions**; the **median** and the **minimum** of each leg are printed, and the ratio is the median
  of the per-repetition ratios (each repetition pairs two legs that ran back to back under the same load);
* each leg lasts long enough to rise above timer and scheduling noise (the scripts say what they chose).

Every script prints its own table, then one ``BENCH {json}`` line per figure, which ``bench/summary.py`` collects
into the table that ``make bench`` prints.

Example:
    >>> timings = interleaved({"ours": run_ours, "reference": run_reference}, reps=5)  # doctest: +SKIP
    >>> figure = Figure.from_timings("bench.py", "time per call", timings, "ours", "reference", target=...)
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Prefix of the machine-readable line of each figure (one JSON object after it).
BENCH_PREFIX = "BENCH "
MIN_REPS = 5
#: Scratch space of the scripts (gitignored).
WORK = Path(__file__).resolve().parent / "_work"
#: The environment every timed child process gets: nothing may reach the Hub.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}

#: A leg is a callable that runs the measured work once. It returns ``None`` to be timed from the outside, or the
#: seconds it measured itself (when it has set-up that must stay out of the timing, e.g. resetting weights).
Leg = Callable[[], "float | None"]


def offline_env() -> dict[str, str]:
    """``os.environ`` plus `OFFLINE_ENV` (for child processes)."""
    return {**os.environ, **OFFLINE_ENV}


def bench_parser(description: str):
    """The scripts' argument parser: ``--reps`` (at least 5) and ``--quick`` (tiny sizes for a smoke test).

    It is `sentiv_hf.commands.arguments.ArgumentParser`, so ``--a_b`` and ``--a-b`` both work, as in ``sentiv``.
    """
    import argparse

    from sentiv_hf.commands.arguments import ArgumentParser

    parser = ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--reps", type=int, default=MIN_REPS, help=f"timed repetitions of every leg (at least {MIN_REPS})"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test, not a figure to quote")
    return parser


def checked_reps(reps: int) -> int:
    """``reps``, raised to `MIN_REPS`: fewer repetitions make a median that one noisy run can move."""
    if reps < MIN_REPS:
        print(f"--reps {reps} is below the minimum; using {MIN_REPS}.")
    return max(MIN_REPS, reps)


def _time_leg(leg: Leg) -> float:
    started = time.perf_counter()
    measured = leg()
    return time.perf_counter() - started if measured is None else float(measured)


def interleaved(
    legs: Mapping[str, Leg], reps: int, *, warmup: bool = True, log: bool = True
) -> dict[str, list[float]]:
    """Run every leg once untimed (warm-up), then ``reps`` rounds of all legs, alternating their order.

    Round 1 runs A B, round 2 B A, and so on, so that neither leg always follows the other (a leg that warms or
    pollutes a cache for the next one would otherwise bias the comparison one way).

    Args:
        legs: ``{name: leg}``; a leg returns ``None`` (timed here) or the seconds it measured itself.
        reps: timed rounds (see `checked_reps`).
        warmup: run each leg once, untimed, first.
        log: print each round's times as they come (a long bench shows it is alive).

    Returns:
        ``{name: [seconds of round 1, round 2, ...]}``.
    """
    names = list(legs)
    if warmup:
        for name in names:
            seconds = _time_leg(legs[name])
            if log:
                print(f"  warm-up {name}: {seconds:.2f} s", flush=True)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(reps):
        order = names if rep % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(_time_leg(legs[name]))
        if log:
            line = ", ".join(f"{name} {times[name][-1]:.2f} s" for name in names)
            print(f"  rep {rep + 1}/{reps}: {line}  (load average {load_average():.1f})", flush=True)
    return times


def load_average() -> float:
    """The 1-minute load average (0 where the platform has none): how busy the shared machine was."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


@dataclass(frozen=True)
class Target:
    """A pass/fail rule on a figure: ``on`` (``"ratio"`` or ``"value"``) compared with ``limit`` by ``op``.

    Example:
        >>> Target("ratio", ">=", 0.95).check(value=10.0, ratio=0.97)
        True
    """

    on: str
    op: str
    limit: float

    def check(self, value: float, ratio: float | None) -> bool | None:
        number = ratio if self.on == "ratio" else value
        if number is None:
            return None
        return {">=": number >= self.limit, "<=": number <= self.limit, "==": number == self.limit}[self.op]

    def __str__(self) -> str:
        return f"{self.on} {self.op} {self.limit:g}"


@dataclass
class Figure:
    """One reported figure: the measured leg against its reference, as medians and minima over the repetitions.

    ``value``/``reference`` are medians in ``unit``; ``ratio`` is the median of the per-repetition ratios
    value/reference (paired: both legs of a repetition ran back to back). ``passed`` is ``None`` without a target.
    """

    script: str
    figure: str
    value: float
    unit: str
    value_min: float | None = None
    reference: float | None = None
    reference_name: str = ""
    reference_min: float | None = None
    ratio: float | None = None
    target: str | None = None
    passed: bool | None = None
    reps: int = 0
    notes: dict = field(default_factory=dict)

    @classmethod
    def from_samples(
        cls,
        script: str,
        figure: str,
        values: list[float],
        unit: str,
        *,
        reference: list[float] | None = None,
        reference_name: str = "",
        target: Target | None = None,
        best: str = "min",
        **notes,
    ) -> Figure:
        """Summarise per-repetition samples (seconds, or a rate such as clips/s).

        Args:
            values / reference: one sample per repetition of the measured leg and of its reference.
            best: ``"min"`` for times (the least disturbed run is the fastest) or ``"max"`` for rates; the
                ``*_min`` fields hold that best sample (named after the usual case, a time).
            notes: extra JSON-ready fields kept in the ``BENCH`` line (sizes, load average, ...).
        """
        pick = min if best == "min" else max
        ratio = None
        if reference is not None:
            ratio = statistics.median(v / r for v, r in zip(values, reference, strict=True))
        value = statistics.median(values)
        return cls(
            script=script,
            figure=figure,
            value=value,
            unit=unit,
            value_min=pick(values),
            reference=statistics.median(reference) if reference is not None else None,
            reference_name=reference_name,
            reference_min=pick(reference) if reference is not None else None,
            ratio=ratio,
            target=str(target) if target else None,
            passed=target.check(value, ratio) if target else None,
            reps=len(values),
            notes=notes,
        )

    def verdict(self) -> str:
        return "-" if self.passed is None else ("pass" if self.passed else "FAIL")


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def print_figures(figures: list[Figure], title: str) -> None:
    """Print the script's own table (median and best of each leg, paired ratio, target) and its ``BENCH`` lines."""
    print(f"\n{title}  (load average {load_average():.1f}, {os.cpu_count()} CPUs)")
    for f in figures:
        print(f"  {f.figure}")
        if f.value_min is None:  # a count or a check, not a timing
            print(f"    value {_number(f.value, f.unit)}; target {f.target or '-'}: {f.verdict()}")
            continue
        print(f"    measured   median {_number(f.value, f.unit):>14}   best {_number(f.value_min, f.unit):>14}")
        if f.reference is not None:
            print(
                f"    reference  median {_number(f.reference, f.unit):>14}   best "
                f"{_number(f.reference_min, f.unit):>14}   ({f.reference_name})"
            )
        ratio = "-" if f.ratio is None else f"{f.ratio:.3f}"
        print(f"    ratio {ratio} (median of {f.reps} paired reps); target {f.target or '-'}: {f.verdict()}")
    for f in figures:
        print(BENCH_PREFIX + json.dumps(asdict(f), ensure_ascii=False), flush=True)
