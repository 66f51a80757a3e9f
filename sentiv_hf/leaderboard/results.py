"""``sentiv leaderboard build``: validated submissions → a Hub-ready results dataset.

Each submission is checked by `sentiv_hf.benchmark.validation.validate_submission`, the code behind ``sentiv submit
--validate``, against the gold labels of the leaderboard's dataset (never the submission's). The folder written is a
dataset with four configs, each one Parquet file, declared in the README's YAML ``configs:`` so that plain
``datasets.load_dataset(folder)`` (or ``load_dataset(folder, "predictions")``) reads it:

* ``results`` (default): one row per (submission, task, model, budget, seed) with every recomputed metric, the
  confusion matrix, the training size and the checkpoint;
* ``summary``: one row per (task, model, budget): mean ± std over seeds, the 95 % t-interval, the rank;
* ``significance``: each ranked row against the row above it (paired bootstrap, `significance.paired_bootstrap`);
* ``predictions``: one row per run and test example: the predicted and gold label names, for new significance tests.

``refused.json`` lists the refused submissions with their reasons; ``board.json`` the protocol the board states.

Example:
    >>> summary = build_results(["out/submissions/tiny.json"], "lb-data")  # doctest: +SKIP
    >>> datasets.load_dataset("lb-data")["train"][0]["macro_f1"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sentiv_hf.errors import UserError

from . import significance

logger = logging.getLogger(__name__)

CONFIGS = ("results", "summary", "significance", "predictions")
BOARD_FILE = "board.json"
REFUSED_FILE = "refused.json"
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass
class Refusal:
    """A submission that is not on the board, and why."""

    file: str
    reasons: list[str]


@dataclass
class BuildSummary:
    """What `build_results` wrote: the accepted files, the refusals and the row counts per config."""

    out: Path
    accepted: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [
            f"Leaderboard data in {self.out}: {len(self.accepted)} submission(s) accepted, "
            f"{len(self.refused)} refused; " + ", ".join(f"{n} {c} row(s)" for c, n in self.rows.items()) + "."
        ]
        for refusal in self.refused:
            lines.append(f"REFUSED {refusal.file}:")
            lines += [f"  {reason}" for reason in refusal.reasons]
        return "\n".join(lines)


def hub_url(value: str | None, base: Path | None = None) -> str | None:
    """The Hub page of a model id or checkpoint, or None for a name or a folder next to the submission.

    Example:
        >>> hub_url("vinai/phobert-base"), hub_url("tiny")
        ('https://huggingface.co/vinai/phobert-base', None)
    """
    if not value or not _REPO_ID.match(value) or (base is not None and (base / value).exists()):
        return None
    if value.split("/", 1)[0] in ("models", "model_cards"):  # `sentiv benchmark --save-models` folders
        return None
    return f"https://huggingface.co/{value}"


class _Gold:
    """Gold labels per task from the leaderboard's dataset, loaded once (the validator's own loader)."""

    def __init__(self, dataset: str, revision: str | None, configs: dict[str, str]) -> None:
        from sentiv_hf.benchmark.validation import LeaderboardData

        self.board = LeaderboardData(dataset, revision, configs)
        self._gold: dict[str, tuple[list[str], np.ndarray, list[str], bool]] = {}

    def __call__(self, task: str) -> tuple[list[str], np.ndarray, list[str], bool]:
        from sentiv_hf.benchmark.submission import leaderboard_protocol

        if task not in self._gold:
            self._gold[task] = self.board.gold(leaderboard_protocol(task, self.board.configs))
        return self._gold[task]


def _label_lists(value, names: list[str], multi: bool) -> list[str]:
    if multi:
        return [names[k] for k in np.flatnonzero(value)]
    return [names[int(value)]]


def _accepted_rows(
    path: Path, document: dict, report, gold: _Gold, stem: str, taken: dict[tuple[str, str], str]
) -> tuple[list[dict], list[dict]]:
    """``(results rows, predictions rows)`` of one validated submission."""
    from sentiv_hf.metrics import compute_classification_metrics

    recomputed = {(r["task"], r["name"], float(r["budget"]), int(r["seed"])): r for r in report.recomputed}
    model = document["model"]
    results, predictions = [], []
    for entry in document["entries"]:
        task, name = entry["task"], entry["name"]
        system = name if taken.setdefault((task, name), stem) == stem else f"{name} [{stem}]"
        ids, labels, names, multi = gold(task)
        index = {n: k for k, n in enumerate(names)}
        for run in entry["runs"]:
            budget, seed = float(run["budget"]), int(run["seed"])
            metrics = recomputed[(task, name, budget, seed)]["metrics"]
            confusion = None
            if not multi:
                pred = np.array([index[run["predictions"][i]] for i in ids])
                confusion = compute_classification_metrics(pred, labels, label_names=names)["confusion_matrix"]
            checkpoint = run.get("checkpoint")
            results.append(
                {
                    "submission": stem,
                    "model_id": model["id"],
                    "model_revision": model.get("revision"),
                    "model_url": hub_url(model["id"]),
                    "model": system,
                    "task": task,
                    "budget": budget,
                    "seed": seed,
                    "n_train": int(run["n_train"]),
                    "headline_metric": entry["headline_metric"],
                    "headline": float(metrics[entry["headline_metric"]]),
                    "label_names": names,
                    "confusion_matrix": confusion,
                    "checkpoint": checkpoint,
                    "checkpoint_url": hub_url(checkpoint, path.parent),
                    "metrics_json": json.dumps(metrics, sort_keys=True),
                    **{k: float(v) for k, v in metrics.items()},
                }
            )
            for i, gold_value in zip(ids, labels):
                value = run["predictions"][i]
                predictions.append(
                    {
                        "submission": stem,
                        "model": system,
                        "task": task,
                        "budget": budget,
                        "seed": seed,
                        "id": i,
                        "prediction": value if isinstance(value, list) else [value],
                        "gold": _label_lists(gold_value, names, multi),
                    }
                )
    return results, predictions


def _summary_rows(results: list[dict]) -> list[dict]:
    """Mean ± std over seeds, the 95 % t-interval and the rank of every (task, model, budget)."""
    from sentiv_hf.benchmark.report import summarize

    rows = []
    by_task: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_task[r["task"]].append({**r, "metrics": {r["headline_metric"]: r["headline"]}})
    for task, records in by_task.items():
        metric = records[0]["headline_metric"]
        values: dict[tuple[str, float], list[float]] = defaultdict(list)
        meta = {}
        for r in records:
            values[(r["model"], r["budget"])].append(r["headline"])
            meta[r["model"]] = r
        for (_, model), by_budget in summarize(records, metric).items():
            for budget, (mean, std, n) in by_budget.items():
                low, high = significance.seed_interval(values[(model, budget)])
                rows.append(
                    {
                        "task": task,
                        "model": model,
                        "submission": meta[model]["submission"],
                        "budget": budget,
                        "headline_metric": metric,
                        "mean": mean,
                        "std": std,
                        "n_seeds": n,
                        "ci_low": None if np.isnan(low) else low,
                        "ci_high": None if np.isnan(high) else high,
                        "model_url": meta[model]["model_url"],
                    }
                )
    rows.sort(key=lambda r: (r["task"], r["budget"], -r["mean"], r["model"]))
    rank, last = 0, None
    for r in rows:
        rank = rank + 1 if last == (r["task"], r["budget"]) else 1
        last = (r["task"], r["budget"])
        r["rank"] = rank
    return rows


def _encode(rows: list[dict], names: list[str], multi: bool) -> np.ndarray:
    """``(seeds, N)`` class ids (``(seeds, N, K)`` 0/1 when multi-label) from predictions rows of one system."""
    index = {n: k for k, n in enumerate(names)}
    by_seed: dict[int, list] = defaultdict(list)
    for r in rows:
        if multi:
            hot = np.zeros(len(names), dtype=np.int64)
            hot[[index[v] for v in r["prediction"]]] = 1
            by_seed[r["seed"]].append(hot)
        else:
            by_seed[r["seed"]].append(index[r["prediction"][0]])
    return np.asarray([by_seed[s] for s in sorted(by_seed)])


def _significance_rows(
    summary: list[dict], predictions: list[dict], gold: _Gold, n_resamples: int, seed: int
) -> list[dict]:
    """Each ranked row against the row above it, at the same task and budget."""
    runs: dict[tuple[str, str, float], list[dict]] = defaultdict(list)
    for r in predictions:
        runs[(r["task"], r["model"], r["budget"])].append(r)
    out = []
    above: dict[tuple[str, float], dict] = {}
    for row in summary:
        key = (row["task"], row["budget"])
        upper = above.get(key)
        above[key] = row
        if upper is None:
            continue
        ids, labels, names, multi = gold(row["task"])
        a = _encode(runs[(row["task"], upper["model"], row["budget"])], names, multi)
        b = _encode(runs[(row["task"], row["model"], row["budget"])], names, multi)
        result = significance.paired_bootstrap(
            labels, a, b, label_names=names, metric=row["headline_metric"], n_resamples=n_resamples, seed=seed
        )
        out.append(
            {
                "task": row["task"],
                "budget": row["budget"],
                "model": row["model"],
                "above": upper["model"],
                "headline_metric": row["headline_metric"],
                "difference": result.difference,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "p_value": result.p_value,
                "significant": result.significant,
                "n_resamples": result.n_resamples,
                "seed": seed,
            }
        )
    return out


def _card(board: dict, rows: dict[str, int]) -> str:
    """The results dataset's README: YAML ``configs:`` (``results`` is the default) and what each config holds."""
    import yaml

    header = {
        "pretty_name": "SentiV leaderboard results",
        "tags": ["leaderboard", "sentiv"],
        "configs": [
            {
                "config_name": name,
                "data_files": [{"split": "train", "path": f"{name}/*.parquet"}],
                **({"default": True} if name == "results" else {}),
            }
            for name in CONFIGS
        ],
    }
    lines = [
        "---",
        yaml.safe_dump(header, sort_keys=False).rstrip(),
        "---",
        "",
        "# SentiV leaderboard results",
        "",
        f"Built by `sentiv leaderboard build` from {board['n_accepted']} validated submission(s); gold labels from "
        f"`{board['dataset']}`. Every metric is recomputed from the submitted predictions.",
        "",
        "| config | rows | one row per |",
        "|---|---:|---|",
        f"| `results` (default) | {rows['results']} | submission, task, model, budget, seed: every metric |",
        f"| `summary` | {rows['summary']} | task, model, budget: mean ± std over seeds, 95 % t-interval, rank |",
        f"| `significance` | {rows['significance']} | ranked row vs the row above: {board['method']} |",
        f"| `predictions` | {rows['predictions']} | run and test example: predicted and gold labels |",
        "",
        f"Significance: {board['method']}, {board['n_resamples']} resamples, seed {board['seed']}; the gap to the "
        "row above is significant when p < 0.05.",
        "",
        '```python\nfrom datasets import load_dataset\n\nresults = load_dataset("lb-data")["train"]\n'
        'predictions = load_dataset("lb-data", "predictions")["train"]\n```',
        "",
    ]
    return "\n".join(lines)


#: Columns of an empty ``significance`` config (a board where every task and budget has one row).
_EMPTY = {
    "significance": {"task": "string", "budget": "float64", "model": "string", "above": "string", "p_value": "float64"}
}


def _write(stage_dir: Path, name: str, rows: list[dict]) -> None:
    """One Parquet file; columns are the union over rows (a metric a task lacks is null)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = stage_dir / name
    folder.mkdir()
    columns = list(dict.fromkeys(k for r in rows for k in r))
    if rows:
        table = pa.table({c: [r.get(c) for r in rows] for c in columns})
    else:
        table = pa.table({c: pa.array([], type=t) for c, t in _EMPTY.get(name, {"task": "string"}).items()})
    pq.write_table(table, folder / "train-00000-of-00001.parquet")


def build_results(
    submissions: Sequence[str | Path],
    out: str | Path,
    *,
    dataset: str | Path | None = None,
    revision: str | None = None,
    task_configs: Mapping[str, str] | None = None,
    n_resamples: int = significance.DEFAULT_RESAMPLES,
    seed: int = significance.DEFAULT_SEED,
) -> BuildSummary:
    """Validate ``submissions`` and write the results dataset folder ``out`` (replaced atomically).

    Args:
        submissions: submission JSON files (``sentiv benchmark`` writes them under ``OUTPUT_DIR/submissions/``).
        out: the results dataset folder.
        dataset: the leaderboard's dataset (folder or Hub id) with the gold labels; default the bundled demo corpus.
        revision: Hub revision of ``dataset``.
        task_configs: the maintainer's ``{task: config}`` overrides (as ``sentiv submit --config``).
        n_resamples, seed: of the paired bootstrap.

    Raises:
        UserError: no submission was accepted (nothing to rank), or the dataset cannot be loaded.

    Example:
        >>> print(build_results(sorted(Path("out/submissions").glob("*.json")), "lb-data"))  # doctest: +SKIP
        Leaderboard data in lb-data: 3 submission(s) accepted, 0 refused; ...
    """
    from sentiv_hf.benchmark.config import TASKS
    from sentiv_hf.benchmark.submission import leaderboard_configs, read_submission
    from sentiv_hf.benchmark.validation import validate_submission
    from sentiv_hf.data import demo_path
    from sentiv_hf.data.staging import replaced_folder, write_text_atomic
    from sentiv_hf.naming import slug

    dataset = str(dataset or demo_path())
    configs = leaderboard_configs(task_configs)
    out = Path(out)
    summary = BuildSummary(out)
    gold = _Gold(dataset, revision, configs)
    results: list[dict] = []
    predictions: list[dict] = []
    seen: dict[str, str] = {}
    taken: dict[tuple[str, str], str] = {}
    for path in map(Path, submissions):
        try:
            document, digest = read_submission(path)
        except UserError as error:
            summary.refused.append(Refusal(str(path), [str(error)]))
            continue
        if digest in seen:
            summary.refused.append(Refusal(str(path), [f"the same file as {seen[digest]}; it is ranked once."]))
            continue
        report = validate_submission(document, dataset, revision=revision, task_configs=configs)
        if not report.ok:
            summary.refused.append(Refusal(str(path), report.errors))
            continue
        seen[digest] = str(path)
        stem = slug(path.stem) or "submission"
        rows, preds = _accepted_rows(path, document, report, gold, stem, taken)
        results += rows
        predictions += preds
        summary.accepted.append(str(path))
    if not results:
        reasons = "; ".join(f"{r.file}: {r.reasons[0]}" for r in summary.refused) or "no file given"
        raise UserError(f"No submission was accepted, so there is no board to build ({reasons}).")
    ranked = _summary_rows(results)
    tests = _significance_rows(ranked, predictions, gold, n_resamples, seed)
    board = {
        "dataset": Path(dataset).name if Path(dataset).is_dir() else dataset,
        "dataset_revision": revision,
        "task_configs": configs,
        "method": significance.METHOD,
        "n_resamples": n_resamples,
        "seed": seed,
        "alpha": significance.ALPHA,
        "n_accepted": len(summary.accepted),
        "budgets": sorted({r["budget"] for r in results}),
        "seeds": sorted({r["seed"] for r in results}),
        "tasks": sorted({r["task"] for r in results}, key=lambda t: TASKS.index(t) if t in TASKS else len(TASKS)),
    }
    summary.rows = {"results": len(results), "summary": len(ranked), "significance": len(tests)}
    summary.rows["predictions"] = len(predictions)
    refused = [{"file": r.file, "reasons": r.reasons} for r in summary.refused]
    with replaced_folder(out) as stage:
        for name, rows in zip(CONFIGS, (results, ranked, tests, predictions)):
            _write(stage, name, rows)
        write_text_atomic(stage / BOARD_FILE, json.dumps(board, indent=2) + "\n")
        write_text_atomic(stage / REFUSED_FILE, json.dumps(refused, indent=2, ensure_ascii=False) + "\n")
        write_text_atomic(stage / "README.md", _card(board, summary.rows))
    return summary


__all__ = ["BOARD_FILE", "CONFIGS", "REFUSED_FILE", "BuildSummary", "Refusal", "build_results", "hub_url"]
