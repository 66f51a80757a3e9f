"""Validation of leaderboard submissions against gold labels.

`validate_submission` checks the schema, that every gold id is predicted exactly once (a duplicated JSON key is
caught while parsing), that every label is known, and **recomputes every metric** with the package's metrics
module, reporting each claim that does not match. Self-reported numbers are never trusted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .submission import load_schema, parse_submission

CLAIM_TOLERANCE = 1e-3


@dataclass
class ValidationReport:
    """Outcome of `validate_submission`: errors (reject), warnings, and the recomputed metrics per run."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recomputed: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        lines = [
            f"Submission {'VALID' if self.ok else 'INVALID'}: {len(self.errors)} error(s), "
            f"{len(self.warnings)} warning(s)."
        ]
        lines += [f"  ERROR: {e}" for e in self.errors]
        lines += [f"  warning: {w}" for w in self.warnings]
        if self.recomputed:
            lines.append("Recomputed metrics (from predictions and gold labels):")
            for row in self.recomputed:
                metric = row["headline_metric"]
                lines.append(
                    f"  {row['task']:<18} {row['name']:<30} budget {row['budget']:>6g} seed {row['seed']}: "
                    f"{metric} {row['metrics'][metric]:.4f}"
                )
        return "\n".join(lines)


def _gold(dataset_dir: str | Path, config: str, split: str, label_column: str, cache: dict):
    from sentiv_hf.data.loading import load_task_splits

    key = (str(dataset_dir), config, label_column)
    if key not in cache:
        cache[key] = load_task_splits(str(dataset_dir), config, label_column=label_column)
    splits = cache[key]
    parts = [splits[s] for s in ("train", "validation", "test")] if split == "all" else [splits[split]]
    ids = [i for p in parts for i in p.ids]
    labels = np.concatenate([p.labels for p in parts])
    return ids, labels, parts[0].label_names, parts[0].multi_label


def validate_submission(
    submission: dict | str | Path,
    dataset_dir: str | Path,
    *,
    config: str | None = None,
    tolerance: float = CLAIM_TOLERANCE,
) -> ValidationReport:
    """Validate a submission against the gold labels of a dataset folder and recompute its metrics.

    Args:
        submission: the parsed submission, its JSON text, or a path to the file (parsing catches duplicated ids).
        dataset_dir: dataset folder (or Hub id) with the gold labels.
        config: dataset config to use for every entry instead of the entry's ``dataset_config``.
        tolerance: largest accepted absolute difference between a claimed and a recomputed metric.

    Example:
        >>> report = validate_submission("sentiv-demo-output/submission.json", demo_path())  # doctest: +SKIP
        >>> report.ok, report.errors  # doctest: +SKIP
        (True, [])
    """
    import jsonschema

    from sentiv_hf.metrics import compute_classification_metrics, compute_multilabel_metrics

    report = ValidationReport()
    if isinstance(submission, Path) or (isinstance(submission, str) and not submission.lstrip().startswith("{")):
        path = Path(submission)
        if not path.is_file():
            report.errors.append(f"Submission file {path} does not exist.")
            return report
        submission = path.read_text(encoding="utf-8")
    if isinstance(submission, str):
        try:
            submission = parse_submission(submission)
        except json.JSONDecodeError as err:
            report.errors.append(f"Not valid JSON: {err}.")
            return report
    validator = jsonschema.Draft202012Validator(load_schema())
    schema_errors = sorted(validator.iter_errors(submission), key=lambda e: list(e.absolute_path))
    for err in schema_errors[:20]:
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        report.errors.append(f"Schema: at {where}: {err.message}")
    if schema_errors:
        return report

    gold_cache: dict = {}
    for e_idx, entry in enumerate(submission["entries"]):
        where = f"entries[{e_idx}] ({entry['task']}, {entry['name']})"
        try:
            ids, labels, names, multi = _gold(
                dataset_dir, config or entry["dataset_config"], entry["split"], entry["label_column"], gold_cache
            )
        except (FileNotFoundError, ValueError) as err:
            report.errors.append(f"{where}: cannot load the gold labels: {err}")
            continue
        seen_runs = {(float(run["budget"]), int(run["seed"])) for run in entry["runs"]}
        expected = {(float(b), int(s)) for b in entry["budgets"] for s in entry["seeds"]}
        for b, s in sorted(expected - seen_runs):
            report.errors.append(f"{where}: no run for budget {b:g} seed {s} (budgets × seeds must all be present).")
        for b, s in sorted(seen_runs - expected):
            report.errors.append(f"{where}: run for budget {b:g} seed {s} is not in the declared budgets/seeds.")
        if len(entry["runs"]) != len(seen_runs):
            report.errors.append(f"{where}: some (budget, seed) runs appear more than once.")
        gold_index = {i: k for k, i in enumerate(ids)}
        name_index = {n: k for k, n in enumerate(names)}
        for run in entry["runs"]:
            run_where = f"{where} budget {run['budget']:g} seed {run['seed']}"
            preds = run["predictions"]
            problems = 0
            for dup in sorted(set(getattr(preds, "duplicates", []))):
                report.errors.append(f"{run_where}: id {dup!r} is predicted more than once.")
                problems += 1
            missing = [i for i in ids if i not in preds]
            if missing:
                report.errors.append(f"{run_where}: {len(missing)} test id(s) have no prediction, e.g. {missing[:5]}.")
                problems += 1
            unknown_ids = [i for i in preds if i not in gold_index]
            if unknown_ids:
                report.errors.append(
                    f"{run_where}: {len(unknown_ids)} id(s) are not in the gold {entry['split']} split, "
                    f"e.g. {unknown_ids[:5]}."
                )
                problems += 1
            bad_labels = set()
            for value in preds.values():
                for label in value if isinstance(value, list) else [value]:
                    if label not in name_index:
                        bad_labels.add(label)
            if bad_labels:
                report.errors.append(
                    f"{run_where}: unknown label(s) {sorted(bad_labels)}; accepted labels are {names}."
                )
                problems += 1
            if problems:
                report.warnings.append(f"{run_where}: metrics not recomputed because of the errors above.")
                continue
            ordered = [preds[i] for i in ids]
            if multi:
                matrix = np.zeros((len(ids), len(names)), dtype=np.float64)
                for row, value in enumerate(ordered):
                    matrix[row, [name_index[n] for n in (value if isinstance(value, list) else [value])]] = 1.0
                metrics = compute_multilabel_metrics(matrix, labels, label_names=names)
            else:
                if any(isinstance(v, list) for v in ordered):
                    report.errors.append(f"{run_where}: single-label task but some predictions are lists.")
                    continue
                pred = np.asarray([name_index[v] for v in ordered])
                metrics = compute_classification_metrics(pred, labels, label_names=names)
            headline = entry.get("headline_metric", "macro_f1")
            report.recomputed.append(
                {
                    "task": entry["task"],
                    "name": entry["name"],
                    "budget": run["budget"],
                    "seed": run["seed"],
                    "headline_metric": headline,
                    "metrics": {k: v for k, v in metrics.items() if np.isscalar(v)},
                }
            )
            for key, claimed in (run.get("claimed_metrics") or {}).items():
                if key not in metrics or not np.isscalar(metrics[key]):
                    report.warnings.append(f"{run_where}: claimed metric {key!r} is not computed by the leaderboard.")
                    continue
                actual = float(metrics[key])
                if not abs(float(claimed) - actual) <= tolerance:
                    report.errors.append(
                        f"{run_where}: claimed {key} = {float(claimed):.4f} but the predictions give {actual:.4f}."
                    )
    return report


__all__ = ["CLAIM_TOLERANCE", "ValidationReport", "validate_submission"]
