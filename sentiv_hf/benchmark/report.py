"""Tables, plots and confusion matrices from the results records.

Writes ``OUTPUT_DIR/table.md`` and ``OUTPUT_DIR/table.csv`` (one row per task × model, one column per budget,
mean ± std over seeds of macro-F1, accuracy and weighted-F1), per-class F1 and the most confused pairs at the
largest budget, ``OUTPUT_DIR/macro_f1_vs_budget.png`` (one panel per task, one line per model, error bars = std
over seeds) and ``OUTPUT_DIR/confusion/<task>__<model>.png`` (summed over seeds at the largest budget).
"""

from __future__ import annotations

import csv
import logging
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

TABLE_METRICS: tuple[str, ...] = ("macro_f1", "accuracy", "weighted_f1")
METRIC_TITLES = {"macro_f1": "Macro-F1", "accuracy": "Accuracy", "weighted_f1": "Weighted-F1"}


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


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", text).strip("_")


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


def markdown_tables(records: list[dict], metrics: tuple[str, ...] = TABLE_METRICS, *, sections: bool = True) -> str:
    """The Markdown of ``table.md``: one table per metric, then (``sections``) per-class F1 and confused pairs.

    ``sentiv benchmark`` prints ``markdown_tables(records, ("macro_f1",), sections=False)``.
    """
    rows, budgets = _rows(records)
    headline = {r["task"]: r.get("headline_metric", "macro_f1") for r in records}
    seeds = sorted({r["seed"] for r in records})
    where = "on the fixed test set"
    if any(r["task"].startswith("hotline_") for r in records):
        where += " (hotline tasks: over the speaker-grouped cross-validation folds)"
    lines = [f"Mean ± std over {len(seeds)} seed(s) ({', '.join(map(str, seeds))}) {where}.", ""]
    for metric in metrics:
        summary = summarize(records, metric)
        lines += [f"### {METRIC_TITLES[metric]}", ""]
        lines.append("| task | model | " + " | ".join(budget_label(b) for b in budgets) + " |")
        lines.append("|---|---|" + "---:|" * len(budgets))
        for task, model in rows:
            cells = []
            for b in budgets:
                value = summary[(task, model)].get(b)
                cells.append(f"{value[0]:.3f} ± {value[1]:.3f}" if value else "–")
            mark = " *" if headline.get(task) == metric and metric != "macro_f1" else ""
            lines.append(f"| {task}{mark} | {model} | " + " | ".join(cells) + " |")
        lines.append("")
    if any(h != "macro_f1" for h in headline.values()):
        lines += ["\\* headline metric of the task (hotline tasks are ranked by weighted-F1).", ""]
    if sections:
        lines += per_class_section(records) + confused_pairs_section(records)
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


def confusion_sum(recs: list[dict]) -> np.ndarray | None:
    matrices = [np.asarray(r["metrics"]["confusion_matrix"]) for r in recs if "confusion_matrix" in r["metrics"]]
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


def write_csv(records: list[dict], path: Path) -> None:
    """``table.csv``: task, model, metric, then ``<budget> mean`` / ``<budget> std`` columns."""
    rows, budgets = _rows(records)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        header = ["task", "model", "metric", "n_seeds"]
        for b in budgets:
            header += [f"{budget_label(b)} mean", f"{budget_label(b)} std"]
        writer.writerow(header)
        for metric in TABLE_METRICS:
            summary = summarize(records, metric)
            for task, model in rows:
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


def plot_budget_curves(records: list[dict], path: Path) -> None:
    """One panel per task, one line per model: headline metric (mean ± std over seeds) against the budget."""
    plt = _pyplot()
    tasks = _ordered(r["task"] for r in records)
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 4.2), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        task_records = [r for r in records if r["task"] == task]
        metric = task_records[0].get("headline_metric", "macro_f1")
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
        ax.set_xlabel("label budget (share of the train split, log scale)")
        ax.set_ylabel(METRIC_TITLES.get(metric, metric))
        ax.set_title(task)
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
    """Write every table and figure for ``records`` into ``out_dir``; returns the Markdown tables.

    Example:
        >>> text = write_report(runner.run(), "sentiv-demo-output")  # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not records:
        raise ValueError(f"No finished runs to report in {out}.")
    text = markdown_tables(records)
    (out / "table.md").write_text("# SentiV benchmark results\n\n" + text, encoding="utf-8")
    write_csv(records, out / "table.csv")
    plot_budget_curves(records, out / "macro_f1_vs_budget.png")
    plot_confusion_matrices(records, out / "confusion")
    return text
