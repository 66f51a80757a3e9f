"""Tables, plots and confusion matrices from the results records.

Writes ``OUTPUT_DIR/table.md`` and ``OUTPUT_DIR/table.csv`` (one row per task × model, one column per budget,
mean ± std over seeds of macro-F1, accuracy, weighted-F1 and any other headline metric such as ``f1_negative``),
with a header naming the dataset, each task's test set and size, its headline metric and chance level; per-class F1
and the most confused pairs at the largest budget; one ``OUTPUT_DIR/<metric>_vs_budget.png`` per headline metric
(`plot_name`: ``macro_f1_vs_budget.png``, ``f1_negative_vs_budget.png`` for ``hotline_binary``,
``weighted_f1_vs_budget.png`` for ``hotline_multilabel``; one panel per task, one line per model, error bars = std
over seeds, dashed line = chance) and ``OUTPUT_DIR/confusion/<task>__<model>.png`` (summed over seeds at the
largest budget).

Runs whose data has an empty class (`BenchmarkRunner.class_warnings`) are marked ``†`` in every table.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from pathlib import Path

import numpy as np

from sentiv_hf.naming import slug

logger = logging.getLogger(__name__)

TABLE_METRICS: tuple[str, ...] = ("macro_f1", "accuracy", "weighted_f1")
METRIC_TITLES = {
    "macro_f1": "Macro-F1",
    "accuracy": "Accuracy",
    "weighted_f1": "Weighted-F1",
    "f1_negative": "Negative-class F1",
}
#: The mark of a cell whose runs had an empty class in their data (a one-class task scores a meaningless 1.000).
ONE_CLASS_MARK = "†"
CHANCE_NOTE = (
    "Chance: the task's headline metric for the best constant predictor (the same class for every test example; "
    "multi-label: every label), computed on the task's test labels."
)


def metric_title(metric: str) -> str:
    """``macro_f1`` → ``Macro-F1``; unknown metrics keep their key."""
    return METRIC_TITLES.get(metric, metric)


def plot_name(metric: str) -> str:
    """The budget-curve plot of a headline metric.

    Example:
        >>> plot_name("macro_f1"), plot_name("f1_negative")
        ('macro_f1_vs_budget.png', 'f1_negative_vs_budget.png')
    """
    return f"{metric}_vs_budget.png"


def headline_metrics(records: list[dict]) -> list[str]:
    """The headline metrics of the records' tasks, in task order (``macro_f1`` for records that name none)."""
    return _ordered(r.get("headline_metric", "macro_f1") for r in records)


def record_dataset_name(record: dict) -> str:
    """The record's test dataset as shown in reports: its recorded name, else derived from its path (never the
    absolute path itself)."""
    from sentiv_hf.data.loading import dataset_name

    source = record.get("dataset") or {}
    return source.get("name") or dataset_name(source.get("path"))


def metric_value(record: dict, metric: str) -> float:
    """A metric of a record; multi-label runs report subset accuracy as ``accuracy``."""
    metrics = record["metrics"]
    if metric == "accuracy" and "accuracy" not in metrics:
        return float(metrics.get("subset_accuracy", np.nan))
    return float(metrics.get(metric, np.nan))


def budget_label(budget: float) -> str:
    """``0.05`` → ``5%``.

    Example:
        >>> budget_label(0.01), budget_label(1.0), budget_label(0.125)
        ('1%', '100%', '12.5%')
    """
    return f"{budget * 100:g}%"


def _ordered(values) -> list:
    return list(dict.fromkeys(values))


def summarize(records: list[dict], metric: str) -> dict[tuple[str, str], dict[float, tuple[float, float, int]]]:
    """``{(task, model): {budget: (mean, std, n_seeds)}}``; std is the sample std over seeds (0 for one seed).

    Values are not rounded: each output rounds once (3 decimals in ``table.md``, 4 in ``table.csv``).

    Example:
        >>> recs = [{"task": "text", "model": "m", "budget": 1.0, "seed": s, "metrics": {"macro_f1": v}}
        ...         for s, v in enumerate([0.5, 0.7])]
        >>> mean, std, n = summarize(recs, "macro_f1")[("text", "m")][1.0]
        >>> round(mean, 4), round(std, 4), n
        (0.6, 0.1414, 2)
    """
    groups: dict[tuple[str, str], dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        if metric != "accuracy" and metric not in r["metrics"]:
            continue  # a task-specific metric (``f1_negative``) is summarised for the tasks that report it only
        groups[(r["task"], r["model"])][float(r["budget"])].append(metric_value(r, metric))
    out = {}
    for key, by_budget in groups.items():
        out[key] = {}
        for budget, values in sorted(by_budget.items()):
            arr = np.asarray(values, dtype=float)
            std = float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
            out[key][budget] = (float(arr.mean()), std, len(arr))
    return out


def _rows(records: list[dict]) -> tuple[list[tuple[str, str]], list[float]]:
    rows = _ordered((r["task"], r["model"]) for r in records)
    budgets = sorted({float(r["budget"]) for r in records})
    return rows, budgets


def table_metrics(records: list[dict]) -> tuple[str, ...]:
    """`TABLE_METRICS` plus the records' other headline metrics (``f1_negative`` when ``hotline_binary`` ran)."""
    return tuple(dict.fromkeys([*TABLE_METRICS, *headline_metrics(records)]))


def _one_class_cells(records: list[dict]) -> set[tuple[str, str, float]]:
    return {(r["task"], r["model"], float(r["budget"])) for r in records if r.get("class_warnings")}


def one_class_note(records: list[dict]) -> list[str]:
    """The footnote of the ``†`` mark: which task has an empty class where, and the fix ([] when none has)."""
    from .tasks import ONE_CLASS_FIX

    found = {r["task"]: r["class_warnings"] for r in records if r.get("class_warnings")}
    if not found:
        return []
    where = "; ".join(f"{task}: {'; '.join(places)}" for task, places in found.items())
    return [
        f"{ONE_CLASS_MARK} a class is empty in the task's data ({where}), so these scores are not meaningful; "
        f"{ONE_CLASS_FIX}.",
        "",
    ]


def markdown_tables(records: list[dict], metrics: tuple[str, ...] | None = None, *, sections: bool = True) -> str:
    """The Markdown of ``table.md`` below its header: one table per metric (default `table_metrics`), then
    (``sections``) per-class F1 and confused pairs. Cells of runs with an empty class are marked ``†``.

    ``sentiv benchmark`` prints ``markdown_tables(records, tuple(headline_metrics(records)), sections=False)``.
    """
    metrics = table_metrics(records) if metrics is None else metrics
    rows, budgets = _rows(records)
    flagged = _one_class_cells(records)
    headline = {r["task"]: r.get("headline_metric", "macro_f1") for r in records}
    seeds = sorted({r["seed"] for r in records})
    where = "on the fixed test set"
    if any(r["task"].startswith("hotline_") for r in records):
        where += " (hotline tasks: over the speaker-grouped cross-validation folds)"
    lines = [f"Mean ± std over {len(seeds)} seed(s) ({', '.join(map(str, seeds))}) {where}.", ""]
    for metric in metrics:
        summary = summarize(records, metric)
        lines += [f"### {metric_title(metric)}", ""]
        lines.append("| task | model | " + " | ".join(budget_label(b) for b in budgets) + " |")
        lines.append("|---|---|" + "---:|" * len(budgets))
        for task, model in rows:
            if (task, model) not in summary:
                continue
            cells = []
            for b in budgets:
                value = summary[(task, model)].get(b)
                flag = f" {ONE_CLASS_MARK}" if (task, model, b) in flagged else ""
                cells.append(f"{value[0]:.3f} ± {value[1]:.3f}{flag}" if value else "–")
            mark = " *" if headline.get(task) == metric and metric != "macro_f1" else ""
            lines.append(f"| {task}{mark} | {model} | " + " | ".join(cells) + " |")
        lines.append("")
    ranked = {task: h for task, h in headline.items() if h != "macro_f1"}
    if ranked:
        by = "; ".join(f"{task} is ranked by {metric_title(h)}" for task, h in ranked.items())
        lines += [f"\\* headline metric of the task ({by}; the other tasks by Macro-F1).", ""]
    lines += one_class_note(records)
    if sections:
        lines += per_class_section(records) + confused_pairs_section(records) + context_effect_section(records)
    return "\n".join(lines)


def _top_budget_records(records: list[dict]) -> dict[tuple[str, str], list[dict]]:
    top = max(float(r["budget"]) for r in records)
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in records:
        if float(r["budget"]) == top:
            groups[(r["task"], r["model"])].append(r)
    return groups


def per_class_section(records: list[dict]) -> list[str]:
    """Per-class F1 (mean over seeds) at the largest budget, one table per task."""
    groups = _top_budget_records(records)
    top = budget_label(max(float(r["budget"]) for r in records))
    lines = [f"### Per-class F1 at the {top} budget (mean over seeds)", ""]
    for task in _ordered(t for t, _ in groups):
        models = [m for t, m in groups if t == task]
        names = groups[(task, models[0])][0]["label_names"]
        lines += [f"**{task}**", "", "| model | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        for model in models:
            recs = groups[(task, model)]
            cells = [f"{np.mean([r['metrics'].get(f'f1_{n}', np.nan) for r in recs]):.3f}" for n in names]
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def confusion_sum(recs: list[dict], key: str = "confusion_matrix") -> np.ndarray | None:
    """The ``key`` matrices of ``recs`` summed (``label_confusion`` for multi-label runs), or None."""
    matrices = [np.asarray(r["metrics"][key]) for r in recs if key in r["metrics"]]
    return np.sum(matrices, axis=0) if matrices else None


def most_confused_pairs(matrix: np.ndarray, names: list[str], k: int = 3) -> list[tuple[str, str, int]]:
    """The ``k`` largest off-diagonal cells as ``(true, predicted, count)``.

    Example:
        >>> most_confused_pairs(np.array([[5, 2], [0, 3]]), ["A", "B"])
        [('A', 'B', 2)]
    """
    off = matrix.astype(int).copy()
    np.fill_diagonal(off, 0)
    order = np.dstack(np.unravel_index(np.argsort(-off, axis=None), off.shape))[0]
    return [(names[i], names[j], int(off[i, j])) for i, j in order[:k] if off[i, j] > 0]


def confused_pairs_section(records: list[dict]) -> list[str]:
    """ "Most confused pairs" per task and model (confusion matrices summed over seeds at the largest budget)."""
    groups = _top_budget_records(records)
    lines = ["### Most confused pairs (true → predicted, summed over seeds at the largest budget)", ""]
    for (task, model), recs in groups.items():
        matrix = confusion_sum(recs)
        if matrix is None:
            continue
        pairs = most_confused_pairs(matrix, recs[0]["label_names"])
        text = ", ".join(f"{a} → {b} ({n})" for a, b, n in pairs) or "none"
        lines.append(f"- **{task}** / {model}: {text}")
    lines.append("")
    return lines


def context_effect_section(records: list[dict], k: int = 3) -> list[str]:
    """How the hotline ``context`` variant changed the most-confused label pairs of the ``segment`` variant
    (confusions summed over seeds at the largest budget; multi-label runs: `label_confusion`). [] when no hotline
    task ran both variants."""
    groups = _top_budget_records(records)
    lines = []
    for (task, model), recs in groups.items():
        if recs[0].get("variant") != "context":
            continue
        segment = groups.get((task, recs[0]["model"].rsplit(" (", 1)[0]))
        key = "label_confusion" if task == "hotline_multilabel" else "confusion_matrix"
        before, after = (confusion_sum(segment, key) if segment else None), confusion_sum(recs, key)
        if before is None or after is None:
            continue
        names = recs[0]["label_names"]
        pairs = most_confused_pairs(before, names, k)
        cells = [
            f"{a} → {b}: {n} → {int(after[names.index(a), names.index(b)])}"
            f" ({int(after[names.index(a), names.index(b)]) - n:+d})"
            for a, b, n in pairs
        ]
        lines.append(f"| {task} | {model} | " + ("; ".join(cells) or "no confusions") + " |")
    if not lines:
        return []
    header = [
        "### What context changed (most-confused pairs of the segment variant: segment count → context count)",
        "",
        "| task | model | true → predicted: segment → context (change) |",
        "|---|---|---|",
    ]
    return header + lines + [""]


# --- header: dataset, test sets, chance ------------------------------------------------------------------------------


def _test_counts(record: dict) -> list[int] | None:
    """Test examples per class (positives per label for multi-label runs), from the record or its confusion matrix."""
    if record.get("test_class_counts") is not None:
        return list(record["test_class_counts"])
    matrix = record["metrics"].get("confusion_matrix")
    return np.asarray(matrix).sum(axis=1).tolist() if matrix is not None else None


def chance_level(record: dict) -> float | None:
    """The record's headline metric for the best constant predictor on its test labels (``None``: unknown).

    Single-label: the best of "always class k" over every class k (for macro-F1, the majority class); multi-label:
    every label predicted for every example. Scored with the package's metrics module, like every run.

    Example:
        >>> rec = {"headline_metric": "macro_f1", "label_names": ["a", "b"], "n_test": 4,
        ...        "test_class_counts": [3, 1], "metrics": {"accuracy": 0.5}}
        >>> round(chance_level(rec), 4)  # always "a": F1(a) = 6/7, F1(b) = 0
        0.4286
    """
    from sentiv_hf.metrics import compute_classification_metrics, compute_multilabel_metrics

    counts, metric, names = _test_counts(record), record.get("headline_metric", "macro_f1"), record["label_names"]
    if not counts or sum(counts) == 0:
        return None
    if "subset_accuracy" in record["metrics"]:  # multi-label: column k holds counts[k] positives
        n = int(record["n_test"])
        gold = (np.arange(n)[:, None] < np.asarray(counts)[None, :]).astype(int)
        return float(compute_multilabel_metrics(np.ones_like(gold), gold, label_names=names)[metric])
    gold = np.repeat(np.arange(len(counts)), counts)
    scores = [
        compute_classification_metrics(np.full_like(gold, k), gold, label_names=names)[metric]
        for k in range(len(counts))
    ]
    return float(max(scores))


def dataset_names(records: list[dict]) -> list[str]:
    """The names of the datasets the records were tested on, in order (never absolute paths)."""
    return _ordered(record_dataset_name(r) for r in records)


def task_overview(records: list[dict]) -> list[dict]:
    """One row per task: its test set, test size, headline metric and chance level (`chance_level`)."""
    rows = []
    for task in _ordered(r["task"] for r in records):
        first = next(r for r in records if r["task"] == task)
        source = first.get("dataset") or {}
        test_set = f"{record_dataset_name(first)} {source.get('config', '?')}/test"
        if task.startswith("hotline_"):
            folds = (first.get("config") or {}).get("hotline_folds", "k")
            test_set = f"{record_dataset_name(first)} {source.get('config', '?')}, all splits ({folds}-fold CV)"
        rows.append(
            {
                "task": task,
                "test_set": test_set,
                "n_test": first["n_test"],
                "headline": first.get("headline_metric", "macro_f1"),
                "chance": chance_level(first),
            }
        )
    return rows


def report_header(records: list[dict]) -> str:
    """The header of ``table.md``: the dataset, what ``±`` means, and per task its test set, test size, headline
    metric and chance level."""
    seeds = sorted({r["seed"] for r in records})
    revisions = _ordered((r.get("dataset") or {}).get("revision") for r in records)
    names = ", ".join(f"`{n}`" for n in dataset_names(records))
    revision = f" (revision {', '.join(str(v) for v in revisions if v)})" if any(revisions) else ""
    lines = [
        f"Dataset: {names}{revision}. Every cell is the mean ± std over {len(seeds)} seed(s); the plots' error bars "
        "are the same std.",
        "",
        "| task | test set | test size | headline metric | chance |",
        "|---|---|---:|---|---:|",
    ]
    flagged = {r["task"] for r in records if r.get("class_warnings")}
    for row in task_overview(records):
        chance = f"{row['chance']:.3f}" if row["chance"] is not None else "–"
        task = row["task"] + (f" {ONE_CLASS_MARK}" if row["task"] in flagged else "")
        lines.append(f"| {task} | {row['test_set']} | {row['n_test']} | {metric_title(row['headline'])} | {chance} |")
    lines += ["", CHANCE_NOTE, ""]
    return "\n".join(lines)


def write_csv(records: list[dict], path: Path) -> None:
    """``table.csv``: task, model, metric, then ``<budget> mean`` / ``<budget> std`` columns."""
    rows, budgets = _rows(records)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        header = ["task", "model", "metric", "n_seeds"]
        for b in budgets:
            header += [f"{budget_label(b)} mean", f"{budget_label(b)} std"]
        writer.writerow(header)
        for metric in table_metrics(records):
            summary = summarize(records, metric)
            for task, model in rows:
                if (task, model) not in summary:
                    continue
                cells = summary[(task, model)]
                row = [task, model, metric, max((c[2] for c in cells.values()), default=0)]
                for b in budgets:
                    row += [round(v, 4) for v in cells[b][:2]] if b in cells else ["", ""]
                writer.writerow(row)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never open a window
    import matplotlib.pyplot as plt

    return plt


def plot_budget_curves(records: list[dict], out_dir: Path) -> list[Path]:
    """One plot per headline metric (`plot_name`), one panel per task ranked by it, one line per model: the metric
    (mean ± std over seeds) against the budget, with the task's chance level dashed. Returns the files written."""
    written = []
    for metric in headline_metrics(records):
        mine = [r for r in records if r.get("headline_metric", "macro_f1") == metric]
        path = Path(out_dir) / plot_name(metric)
        _plot_metric(mine, metric, path)
        written.append(path)
    return written


def _plot_metric(records: list[dict], metric: str, path: Path) -> None:
    import textwrap

    plt = _pyplot()
    tasks = _ordered(r["task"] for r in records)
    info = {row["task"]: row for row in task_overview(records)}
    seeds = sorted({r["seed"] for r in records})
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 4.6), squeeze=False)
    caption = (
        f"{metric_title(metric)} vs label budget on {', '.join(dataset_names(records))}: mean ± std over "
        f"{len(seeds)} seed(s) (error bars); dashed: chance (best constant predictor)"
    )
    fig.suptitle("\n".join(textwrap.wrap(caption, width=int(60 * len(tasks)))), fontsize=9)
    for ax, task in zip(axes[0], tasks):
        task_records = [r for r in records if r["task"] == task]
        summary = summarize(task_records, metric)
        for (_, model), by_budget in summary.items():
            budgets = sorted(by_budget)
            means = [by_budget[b][0] for b in budgets]
            stds = [by_budget[b][1] for b in budgets]
            ax.errorbar([b * 100 for b in budgets], means, yerr=stds, marker="o", capsize=3, label=model)
        ax.set_xscale("log")
        ticks = sorted({float(r["budget"]) for r in task_records})
        ax.set_xticks([b * 100 for b in ticks], [budget_label(b) for b in ticks])
        ax.minorticks_off()
        chance = info[task]["chance"]
        if chance is not None:
            ax.axhline(chance, color="grey", linestyle="--", linewidth=1, label=f"chance ({chance:.3f})")
        ax.set_xlabel("label budget (share of the train split, log scale)")
        ax.set_ylabel(metric_title(metric))
        mark = f" {ONE_CLASS_MARK} a class is empty" if any(r.get("class_warnings") for r in task_records) else ""
        ax.set_title(f"{task} (test n={info[task]['n_test']}){mark}", fontsize=9)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion_matrices(records: list[dict], folder: Path) -> list[Path]:
    """``confusion/<task>__<model>.png`` at the largest budget (single-label tasks)."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for (task, model), recs in _top_budget_records(records).items():
        matrix = confusion_sum(recs)
        if matrix is None:
            continue
        names = recs[0]["label_names"]
        fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(names), 0.6 + 0.7 * len(names)))
        ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
        ax.set_yticks(range(len(names)), names)
        for i in range(len(names)):
            for j in range(len(names)):
                dark = matrix[i, j] > matrix.max() / 2
                ax.text(
                    j, i, int(matrix[i, j]), ha="center", va="center", fontsize=8, color="white" if dark else "black"
                )
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{task} / {model} ({budget_label(float(recs[0]['budget']))}, {len(recs)} seeds)", fontsize=9)
        fig.tight_layout()
        path = folder / f"{slug(task)}__{slug(model)}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def write_report(records: list[dict], out_dir: str | Path) -> str:
    """Write every table and figure for ``records`` into ``out_dir``; returns the Markdown tables (``table.md``
    without its header).

    Example:
        >>> text = write_report(runner.run(), "sentiv-demo-output")  # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not records:
        raise ValueError(f"No finished runs to report in {out}.")
    text = markdown_tables(records)
    (out / "table.md").write_text(
        "# SentiV benchmark results\n\n" + report_header(records) + "\n" + text, encoding="utf-8"
    )
    write_csv(records, out / "table.csv")
    plot_budget_curves(records, out)
    plot_confusion_matrices(records, out / "confusion")
    return text
