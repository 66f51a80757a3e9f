"""Run the bench scripts (or read their logs) and print one table of every figure: what ``make bench`` shows.

Each bench script ends with one ``BENCH {json}`` line per figure (`bench/_common.py`). With ``--run``, this script
runs the given scripts one after the other (never in parallel: they time the machine), shows their output as it
comes, keeps a log of each in ``bench/_work/logs/``, and then prints the summary table: script, figure, value,
reference, ratio, target, pass/fail. A script that crashes, or ends without a figure, gets a FAILED row and makes
the exit code 1; a missed target is shown as FAIL in the table but is not an error (a shared machine can miss one).

Usage:
    python bench/summary.py --run bench/cli_start.py bench/build_text.py [--quick]   # run, then summarise
    python bench/summary.py bench/_work/logs/*.log                                    # summarise old logs
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _common import BENCH_PREFIX, WORK, load_average, offline_env

LOGS = WORK / "logs"
COLUMNS = ("script", "figure", "value", "reference", "ratio", "target", "result")


def parse_figures(text: str) -> list[dict]:
    """The figures of the ``BENCH {json}`` lines in a script's output."""
    return [json.loads(line[len(BENCH_PREFIX) :]) for line in text.splitlines() if line.startswith(BENCH_PREFIX)]


def run_script(script: Path, extra: list[str]) -> tuple[int, str]:
    """Run one script with ``extra`` flags, echoing its output live; its exit code and output (also logged)."""
    print(f"\n=== {script} {' '.join(extra)}", flush=True)
    proc = subprocess.Popen(
        [sys.executable, str(script), *extra],
        env=offline_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    code = proc.wait()
    output = "".join(lines)
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / f"{script.stem}.log").write_text(output + f"\nexit code {code}\n", encoding="utf-8")
    return code, output


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def table_rows(script: str, code: int, figures: list[dict]) -> list[tuple[str, ...]]:
    """Rows of one script's figures; a FAILED row when it crashed or printed no figure."""
    if code != 0 or not figures:
        why = f"exit code {code}" if code != 0 else "no BENCH line"
        return [(script, f"(script failed: {why})", "-", "-", "-", "-", "FAILED")]
    rows = []
    for f in figures:
        reference = _fmt(f.get("reference"), f.get("unit", ""))
        if f.get("reference_name"):
            reference += f" ({f['reference_name']})"
        passed = f.get("passed")
        rows.append(
            (
                f["script"],
                f["figure"],
                _fmt(f["value"], f.get("unit", "")),
                reference,
                _fmt(f.get("ratio")),
                f.get("target") or "-",
                "-" if passed is None else ("pass" if passed else "FAIL"),
            )
        )
    return rows


def print_table(rows: list[tuple[str, ...]]) -> None:
    """A GitHub-flavoured Markdown table (readable in a terminal, pasteable into an issue)."""
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "|".join("---" for _ in COLUMNS) + "|")
    for row in rows:
        print("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, help="bench scripts (with --run) or their log files")
    parser.add_argument("--run", action="store_true", help="run the scripts, then summarise their output")
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script (smoke test)")
    args = parser.parse_args(argv)

    rows: list[tuple[str, ...]] = []
    failed = 0
    for path in args.paths:
        if args.run:
            code, output = run_script(path, ["--quick"] if args.quick else [])
        else:
            output = path.read_text(encoding="utf-8")
            code = 0 if "\nexit code " not in output else int(output.rsplit("\nexit code ", 1)[1].split()[0])
        rows.extend(table_rows(path.stem, code, parse_figures(output)))
        failed += code != 0 or not parse_figures(output)
    misses = sum(row[-1] == "FAIL" for row in rows)
    mode = " (--quick: smoke-test sizes, not figures to quote)" if args.quick else ""
    print(f"\n## Bench summary{mode}; load average at the end {load_average():.1f}\n")
    print_table(rows)
    print(f"\n{len(rows)} figures; {misses} missed their target; {failed} script(s) failed.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
