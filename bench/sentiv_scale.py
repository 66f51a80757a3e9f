"""The text protocol at SentiV scale: 265,011 rows, `tiny` (frozen) and the TF-IDF baseline, 6 budgets x 3 seeds.

What a user runs, step by step, each step timed with its peak RSS:

1. **build**: ``sentiv data build-text WORKBOOK --output_dir DATA`` in its own process (the workbook is the one of
   ``bench/build_text.py``: ~20-word texts with a label signal, 7 imbalanced labels, planted faults and no accidental
   conflicts; written once into ``bench/_work/``). The build's report is checked as ``build_text.py`` does.
2. **segmentation**: `sentiv_hf.models.text.segment_dataset` (pyvi, all cores) on every split of the built folder,
   in its own process with a cold ``datasets`` cache, then once more to show the cache is hit. This is the
   product's segmentation figure (issue 12: 265,011 texts <= 60 s on 2 cores); it is not part of the total, since the
   benchmark below segments for itself.
3. **benchmark**: the real `BenchmarkRunner` in its own process with the ``sentiv-frozen`` preset's settings (frozen
   encoder + the shipped head, pyvi word segmentation, epochs, learning rate, max length), ``tiny`` in place of
   PhoBERT plus ``baseline:tfidf-logreg``, task ``text``, budgets 0.01-1.0 x 3 seeds, then the report files (what
   ``sentiv benchmark`` writes). Inside that process the time is split into steps by timing the package's own
   functions (wrapped, not changed; each second goes to the innermost step running): loading, segmentation, the tiny
   base model (its tokenizer), encoding (feature cache), each learner's runs, and the report. A sampler thread
   records the memory (PSS) of the process and its children (segmentation workers) per step.

Every process is reaped with ``os.wait4`` (its own peak RSS and CPU time). Targets on 2 cores (issue 12): build +
benchmark <= 15 min wall, <= 4,000 MB peak RSS. ``--scaling`` instead times the issue's command,
``sentiv benchmark --tasks text --models baseline:tfidf-logreg,tiny --budgets 0.01,0.1,1.0 --seeds 2``, on 2k, 5k
and 20k rows (``--scaling-rows`` to add 265011). Every run starts cold: fresh output folder and ``datasets`` cache.

Usage:
    python bench/sentiv_scale.py [--rows 265011] [--workers N] [--budgets 1.0 --seeds 1] [--quick]
    python bench/sentiv_scale.py --scaling [--scaling-rows 2000,5000,20000,265011] [--workers N]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import shutil
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from _common import WORK, Figure, Target, bench_parser, load_average, print_figures
from build_text import check_build, make_workbook, run_process, sentiv_command, workbook_path

SCRIPT = "sentiv_scale"
FULL_ROWS = 265_011
BUDGETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0)
SEEDS = 3
QUICK_ROWS, QUICK_BUDGETS, QUICK_SEEDS = 20_000, (0.1, 1.0), 1
MODELS = ("tiny", "baseline:tfidf-logreg")
PRESET = "sentiv-frozen"
WALL_TARGET_S = 15 * 60
RSS_TARGET_MB = 4000.0
SEGMENTATION_TARGET_S = 60.0
SCALING_ROWS = (2_000, 5_000, 20_000)
SCALING_ARGS = ("--tasks", "text", "--models", "baseline:tfidf-logreg,tiny", "--budgets", "0.01,0.1,1.0")
SCALING_SEEDS = 2
#: The issue's measurements of the scaling command before its fixes (old generator, quiet 2-core machine).
ISSUE_BEFORE_S = {2_000: 17.0, 5_000: 39.0, 20_000: 188.0}
ROOT = WORK / "sentiv-scale"
SAMPLE_EVERY_S = 0.2


# --- measuring inside a child process ------------------------------------------------------------------------------


def _pss_mb(pid: int | str) -> float:
    """Proportional set size of one process in MB (0 once it has exited): its resident pages, each page shared
    with other processes counted as its share. Summed over forked workers it is the memory they really use, where
    a sum of RSS would count the pages they share with their parent once per process."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (Linux ``/proc/PID/task/TID/children``)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                todo += children
    return found


class StepClock:
    """Splits a process's wall time into named steps and records the peak memory of its process tree in each.

    A step entered inside another one takes its seconds away from the outer step (the innermost step running gets
    every second), so the steps add up to the time spent in any of them. A daemon thread samples the memory (PSS,
    `_pss_mb`) of this process plus its children every `SAMPLE_EVERY_S` seconds and charges it to the step running
    then.

    Example:
        >>> clock = StepClock()
        >>> with clock.step("encoding"):
        ...     pass
        >>> clock.calls["encoding"]
        1
    """

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.rss: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.items: Counter[str] = Counter()
        self.stack: list[str] = []
        self.peak_tree_mb = 0.0
        self._since = time.perf_counter()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        pid = os.getpid()
        while True:
            total = _pss_mb(pid) + sum(_pss_mb(child) for child in _descendants(pid))
            self.peak_tree_mb = max(self.peak_tree_mb, total)
            step = self.stack[-1] if self.stack else "other"
            self.rss[step] = max(self.rss[step], total)
            time.sleep(SAMPLE_EVERY_S)

    @contextlib.contextmanager
    def step(self, name: str, items: int = 0):
        """Charge the time inside the block to ``name`` (``items``: how many texts or runs it handled)."""
        now = time.perf_counter()
        if self.stack:
            self.wall[self.stack[-1]] += now - self._since
        self.stack.append(name)
        self._since = now
        self.calls[name] += 1
        self.items[name] += items
        try:
            yield
        finally:
            now = time.perf_counter()
            self.wall[self.stack.pop()] += now - self._since
            self._since = now

    def wrap(self, owner, attribute: str, name, items=None) -> None:
        """Replace ``owner.attribute`` by a wrapper that runs it inside a step.

        Args:
            name: the step name, or ``name(*args, **kwargs) -> str``.
            items: ``items(*args, **kwargs) -> int``, what the call handled (texts, rows).
        """
        function = getattr(owner, attribute)

        def wrapper(*args, **kwargs):
            step = name(*args, **kwargs) if callable(name) else name
            with self.step(step, items(*args, **kwargs) if items else 0):
                return function(*args, **kwargs)

        wrapper.__wrapped__ = function
        setattr(owner, attribute, wrapper)

    def summary(self) -> dict:
        return {
            "wall_s": dict(self.wall),
            "rss_mb": dict(self.rss),
            "calls": dict(self.calls),
            "items": dict(self.items),
            "peak_tree_mb": self.peak_tree_mb,
        }


def step_segmentation(data: Path, workers: int | None, result: Path) -> None:
    """Child: `segment_dataset` on every split of ``data``'s text config, cold, then again (cache hit)."""
    from sentiv_hf.data.loading import load_task_splits
    from sentiv_hf.models.text import segment_dataset, segmentation_processes

    clock = StepClock()
    with clock.step("load"):
        splits = load_task_splits(str(data), "text")
    rows = sum(len(split) for split in splits.values())
    with clock.step("cold", rows):
        for split in splits.values():
            segment_dataset(split.dataset, "text", "pyvi", num_proc=workers)
    with clock.step("cached", rows):
        for split in splits.values():
            segment_dataset(split.dataset, "text", "pyvi", num_proc=workers)
    figures = clock.summary()
    figures["processes"] = segmentation_processes(len(splits["train"]), workers)
    result.write_text(json.dumps(figures), encoding="utf-8")


def benchmark_config(data: Path, out: Path, budgets, seeds: int, workers: int | None):
    """The ``sentiv-frozen`` preset on ``data``'s text config, with ``tiny`` in place of PhoBERT plus TF-IDF."""
    from sentiv_hf.benchmark.config import BenchmarkConfig

    overrides = {
        "dataset": str(data),
        "tasks": ["text"],
        "models": list(MODELS),
        "budgets": list(budgets),
        "seeds": seeds,
        "output_dir": str(out),
    }
    if workers is not None:
        if "workers" in {f.name for f in dataclasses.fields(BenchmarkConfig)}:
            overrides["workers"] = workers
        else:
            print(f"BenchmarkConfig has no 'workers' field yet; --workers {workers} is ignored.", flush=True)
    return BenchmarkConfig.from_preset(PRESET).with_overrides(**overrides)


def step_benchmark(data: Path, out: Path, budgets, seeds: int, workers: int | None, result: Path) -> None:
    """Child: the real `BenchmarkRunner` and report, with the package's functions timed as steps."""
    import datasets

    from sentiv_hf.benchmark import runner as runner_module
    from sentiv_hf.benchmark.cards import write_model_cards
    from sentiv_hf.benchmark.features import FeatureProvider
    from sentiv_hf.benchmark.fitting import BudgetFitter
    from sentiv_hf.benchmark.report import write_report
    from sentiv_hf.benchmark.submission import write_submissions
    from sentiv_hf.models import text as text_module

    datasets.disable_progress_bars()
    started = time.perf_counter()
    clock = StepClock()
    clock.wrap(runner_module, "load_task_splits", "load data")
    clock.wrap(text_module, "segment_dataset", "segmentation", lambda dataset, *a, **k: len(dataset))
    clock.wrap(text_module, "segment_texts", "segmentation", lambda texts, *a, **k: len(texts))
    clock.wrap(BudgetFitter, "base", "tiny base model (tokenizer)")
    clock.wrap(
        FeatureProvider, "features", "encoding (feature cache)", lambda self, m, mod, split, *a, **k: len(split)
    )
    clock.wrap(runner_module.BenchmarkRunner, "run_one", lambda self, spec: f"learner {spec.model}", lambda *a: 1)

    config = benchmark_config(data, out, budgets, seeds, workers)
    print(f"config: {json.dumps(config.to_dict(), default=str)}", flush=True)
    runner = runner_module.BenchmarkRunner(config, progress=True)

    def dump(records: list[dict], finished: bool) -> None:
        """Write the figures so far (after every stored run, so a run cut short still leaves its figures)."""
        figures = {**clock.summary(), "total_s": time.perf_counter() - started, "runs": len(records)}
        figures["finished"] = finished
        figures["feature_cache"] = {"hits": runner.cache.hits, "misses": runner.cache.misses}
        run_seconds: dict[str, float] = defaultdict(float)
        scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for record in records:
            run_seconds[record["model"]] += record["wall_time_s"]
            scores[record["model"]][f"{record['budget']:g}"].append(record["metrics"]["macro_f1"])
        figures["run_seconds"] = dict(run_seconds)
        figures["macro_f1"] = {
            model: {budget: sum(v) / len(v) for budget, v in by_budget.items()} for model, by_budget in scores.items()
        }
        partial = result.with_name(result.name + ".partial")
        partial.write_text(json.dumps(figures), encoding="utf-8")
        partial.replace(result)

    stored: list[dict] = []
    append = runner.store.append

    def append_and_dump(record: dict) -> None:
        append(record)
        stored.append(record)
        dump(stored, finished=False)

    runner.store.append = append_and_dump
    with runner.lock:
        records = runner.run()
        with clock.step("report"):
            write_report(records, config.out_dir)
            write_submissions(records, config.out_dir)
            write_model_cards(records, config.out_dir)
    dump(records, finished=True)


# --- the parent: child processes, figures ---------------------------------------------------------------------------


@dataclasses.dataclass
class Usage:
    """What ``os.wait4`` said about one child process."""

    wall_s: float
    peak_rss_mb: float
    cpu_s: float


def run_child(argv: list[str], log: Path) -> Usage:
    """Run ``argv`` in its own process (output to ``log``); its wall time, own peak RSS and CPU time."""
    usage: dict[str, list[float]] = {}
    started = time.perf_counter()
    run_process(argv, log, usage)()
    return Usage(time.perf_counter() - started, usage["peak_rss_mb"][0], usage["cpu_s"][0])


def fresh(folder: Path) -> Path:
    """``folder``, emptied: every run starts cold (no results to resume, no cached features or segmentation)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def build_folder(rows: int, root: Path) -> tuple[Path, Usage]:
    """The workbook of ``rows`` rows (written once), built into ``root/data`` by ``sentiv data build-text``."""
    xlsx = workbook_path(rows)
    if not xlsx.exists():
        make_workbook(xlsx, rows)
    data, log = root / "data", root / "build-text.log"
    usage = run_child([*sentiv_command(), "data", "build-text", str(xlsx), "--output_dir", str(data)], log)
    reasons = check_build(data, rows, log)
    print(f"built {rows:,} rows in {usage.wall_s:.1f} s; 0 conflicting labels; rejected {dict(reasons)}", flush=True)
    return data, usage


class LoadWatch:
    """Samples the 1-minute load average every few seconds while the bench runs (other jobs on the machine)."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every_s,), daemon=True)
        self._thread.start()

    def _run(self, every_s: float) -> None:
        while not self._stop.is_set():
            self.samples.append(load_average())
            self._stop.wait(every_s)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        samples = self.samples or [load_average()]
        return {"load_mean": round(sum(samples) / len(samples), 2), "load_max": round(max(samples), 2)}


def _child_argv(step: str, **options) -> list[str]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--step", step]
    for key, value in options.items():
        if value is not None:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    return argv


def print_steps(rows: list[tuple[str, float, float, str]], total: float) -> None:
    """The per-step table: step, wall time, share of the total, peak RSS, notes."""
    print(f"\n{'step':<38} {'wall s':>9} {'share':>6} {'peak MB':>12}  notes (peak: process RSS, or PSS of the tree)")
    for name, wall, rss, notes in rows:
        print(f"{name:<38} {wall:>9.1f} {wall / total:>6.0%} {rss:>12,.0f}  {notes}")


def run_scale(rows: int, budgets, seeds: int, workers: int | None, quick: bool) -> list[Figure]:
    """Build, segmentation and benchmark at ``rows`` rows; the figures (one per step, and the targets)."""
    root = ROOT / str(rows)
    root.mkdir(parents=True, exist_ok=True)
    os.environ["HF_DATASETS_CACHE"] = str(fresh(root / "hf-cache"))  # children inherit it: a cold datasets cache
    watch = LoadWatch()
    print(
        f"{rows:,} rows; models {list(MODELS)}; budgets {list(budgets)} x {seeds} seeds; preset {PRESET} "
        f"(tiny in place of PhoBERT); workers {workers or 'default'}; {os.cpu_count()} CPUs; "
        f"load average at the start {load_average():.1f}",
        flush=True,
    )
    data, build = build_folder(rows, root)

    seg_json = root / "segmentation.json"
    seg_usage = run_child(
        _child_argv("segmentation", data=data, workers=workers, result=seg_json), root / "segmentation.log"
    )
    seg = json.loads(seg_json.read_text(encoding="utf-8"))
    print(
        f"segmentation: {seg['items']['cold']:,} texts in {seg['wall_s']['cold']:.1f} s cold on {seg['processes']} "
        f"process(es), {seg['wall_s']['cached']:.2f} s from the cache",
        flush=True,
    )

    out = fresh(root / "benchmark-output")
    bench_json = root / "benchmark.json"
    budget_list = ",".join(f"{b:g}" for b in budgets)
    bench_usage = run_child(
        _child_argv(
            "benchmark", data=data, out=out, budgets=budget_list, seeds=seeds, workers=workers, result=bench_json
        ),
        root / "benchmark.log",
    )
    bench = json.loads(bench_json.read_text(encoding="utf-8"))
    load = watch.stop()

    walls, rss, calls, items = bench["wall_s"], bench["rss_mb"], bench["calls"], bench["items"]
    attributed = sum(walls.values())
    other = max(0.0, bench_usage.wall_s - attributed)  # interpreter start, imports, planning, workers' share
    steps: list[tuple[str, float, float, str]] = [
        ("build (sentiv data build-text)", build.wall_s, build.peak_rss_mb, f"cpu {build.cpu_s:.0f} s"),
    ]
    for name in ("load data", "segmentation", "tiny base model (tokenizer)", "encoding (feature cache)"):
        if name in walls:
            note = f"{calls[name]} call(s)" + (f", {items[name]:,} rows" if items.get(name) else "")
            steps.append((f"  {name}", walls[name], rss.get(name, 0.0), note))
    for name in sorted(n for n in walls if n.startswith("learner ")):
        model = name.removeprefix("learner ")
        note = f"{calls[name]} runs in this process; mean test macro-F1 by budget {bench['macro_f1'].get(model)}"
        steps.append((f"  {name}", walls[name], rss.get(name, 0.0), note))
    steps.append(("  report", walls.get("report", 0.0), rss.get("report", 0.0), "table, plots, submission, cards"))
    steps.append(("  other (start, imports, plan, workers)", other, rss.get("other", 0.0), ""))
    total = build.wall_s + bench_usage.wall_s
    peak = max(build.peak_rss_mb, bench_usage.peak_rss_mb, bench["peak_tree_mb"])
    print_steps(steps, total)
    print(
        f"{'total (build + benchmark process)':<38} {total:>9.1f} {1:>6.0%} {peak:>12,.0f}  "
        f"benchmark process: cpu {bench_usage.cpu_s:.0f} s, own peak RSS {bench_usage.peak_rss_mb:,.0f} MB, PSS "
        f"with children {bench['peak_tree_mb']:,.0f} MB; feature cache {bench['feature_cache']}"
    )
    print(
        f"not in the total: segmentation alone (segment_dataset, cold) {seg['wall_s']['cold']:.1f} s, process "
        f"{seg_usage.wall_s:.1f} s, peak RSS {seg_usage.peak_rss_mb:,.0f} MB, PSS with workers "
        f"{seg['peak_tree_mb']:,.0f} MB; load average {load}"
    )
    print(f"summed wall_time_s of the runs, by model: {bench['run_seconds']}")

    common = {"rows": rows, "budgets": list(budgets), "seeds": seeds, "workers": workers, **load}
    # The targets are for the whole protocol at the release's size; a smaller run has none to meet.
    whole = not quick and rows == FULL_ROWS and tuple(budgets) == BUDGETS and seeds == SEEDS
    goal = (lambda target: target) if whole else (lambda target: None)

    def figure(name: str, value: float, unit: str, target: Target | None = None, **notes) -> Figure:
        return Figure.from_samples(SCRIPT, name, [value], unit, target=goal(target), **common, **notes)

    figures = [
        figure(f"total wall, build + text protocol, {rows:,} rows", total, "s", Target("value", "<=", WALL_TARGET_S)),
        figure(f"peak RSS, any step, {rows:,} rows", peak, "MB", Target("value", "<=", RSS_TARGET_MB)),
        figure(
            f"segmentation (segment_dataset, cold), {seg['items']['cold']:,} texts",
            seg["wall_s"]["cold"],
            "s",
            Target("value", "<=", SEGMENTATION_TARGET_S),
            processes=seg["processes"],
            cached_s=round(seg["wall_s"]["cached"], 3),
            peak_rss_mb=round(seg["peak_tree_mb"]),
        ),
    ]
    figures += [figure(f"step: {name.strip()}", wall, "s", peak_rss_mb=round(mb)) for name, wall, mb, _ in steps]
    return figures


def run_scaling(sizes: list[int], workers: int | None) -> list[Figure]:
    """The issue's ``sentiv benchmark`` command, timed in its own process at each size (cold each time)."""
    from sentiv_hf.commands.benchmark import build_parser

    extra = []
    if workers is not None:
        if "--workers" in build_parser()._option_string_actions:
            extra = ["--workers", str(workers)]
        else:
            print(f"sentiv benchmark has no --workers flag yet; --workers {workers} is ignored.")
    figures, previous = [], None
    for rows in sizes:
        root = ROOT / f"scaling-{rows}"
        root.mkdir(parents=True, exist_ok=True)
        os.environ["HF_DATASETS_CACHE"] = str(fresh(root / "hf-cache"))
        data, _ = build_folder(rows, root)
        out = fresh(root / "benchmark-output")
        argv = [*sentiv_command(), "benchmark", "--dataset", str(data), "--output_dir", str(out), *SCALING_ARGS]
        argv += ["--seeds", str(SCALING_SEEDS), "--no-progress", *extra]
        load_before = load_average()
        usage = run_child(argv, root / "benchmark.log")
        growth = None
        if previous is not None:
            growth = round(math.log(usage.wall_s / previous[1]) / math.log(rows / previous[0]), 2)
        print(
            f"{rows:>8,} rows: {usage.wall_s:7.1f} s wall, cpu {usage.cpu_s:7.1f} s, peak RSS "
            f"{usage.peak_rss_mb:,.0f} MB, growth exponent vs previous size {growth}; load average "
            f"{load_before:.1f} -> {load_average():.1f}",
            flush=True,
        )
        figures.append(
            Figure.from_samples(
                SCRIPT,
                f"scaling: sentiv benchmark text (tfidf + tiny, 3 budgets x 2 seeds), {rows:,} rows",
                [usage.wall_s],
                "s",
                rows=rows,
                cpu_s=round(usage.cpu_s, 1),
                peak_rss_mb=round(usage.peak_rss_mb),
                growth_exponent=growth,
                issue_before_s=ISSUE_BEFORE_S.get(rows),
                load_before=load_before,
                load_after=load_average(),
            )
        )
        previous = (rows, usage.wall_s)
    return figures


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--rows", type=int, default=FULL_ROWS, help="rows of the synthetic release")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (BenchmarkConfig.workers)")
    parser.add_argument("--scaling", action="store_true", help="time the issue's scaling command instead")
    parser.add_argument("--scaling-rows", default=",".join(map(str, SCALING_ROWS)), help="sizes for --scaling")
    # Internal: one step in this (child) process.
    parser.add_argument("--step", choices=("segmentation", "benchmark"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--budgets", default=None, help="comma-separated budgets (default: the six of the protocol)")
    parser.add_argument("--seeds", type=int, default=None, help=f"seeds (default {SEEDS})")
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.step == "segmentation":
        step_segmentation(args.data, args.workers, args.result)
        return 0
    if args.step == "benchmark":
        step_benchmark(args.data, args.out, _floats(args.budgets), args.seeds, args.workers, args.result)
        return 0
    if args.scaling:
        sizes = [int(v) for v in args.scaling_rows.split(",") if v.strip()]
        figures = run_scaling(sizes[:1] if args.quick else sizes, args.workers)
        print_figures(figures, "text protocol scaling: sentiv benchmark --tasks text (tfidf + tiny)")
        return 0
    rows, budgets, seeds = (QUICK_ROWS, QUICK_BUDGETS, QUICK_SEEDS) if args.quick else (args.rows, BUDGETS, SEEDS)
    budgets = _floats(args.budgets) if args.budgets else budgets
    seeds = args.seeds or seeds
    figures = run_scale(rows, budgets, seeds, args.workers, args.quick)
    print_figures(figures, f"SentiV-scale text protocol, {rows:,} rows (targets on 2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
