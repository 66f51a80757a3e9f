"""Leaderboard submissions: build them from results, validate them against gold labels, push them as Hub PRs.

A submission (see ``submission_schema.json``) holds per-seed test predictions keyed by example id plus the metrics
the submitter claims. `validate_submission` checks the schema, that every gold id is predicted exactly once (a
duplicated JSON key is caught while parsing), that every label is known, and **recomputes every metric** with the
package's metrics module, reporting each claim that does not match. Self-reported numbers are never trusted.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .report import budget_label, markdown_tables, slug, summarize
from .tasks import HOTLINE_LABEL_COLUMN

logger = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).resolve().parent / "submission_schema.json"
SCHEMA_VERSION = "1.0"
CLAIM_TOLERANCE = 1e-3
CLAIMED_SINGLE = ("accuracy", "macro_f1", "weighted_f1")
CLAIMED_MULTI = ("macro_f1", "weighted_f1", "micro_f1", "samples_f1", "subset_accuracy")


def load_schema() -> dict:
    """The submission JSON Schema shipped with the package."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# --- building -----------------------------------------------------------------------------------------------------


def model_family(record: dict) -> str:
    """The submission a record belongs to: its model, or for fusion rows the fused pair (``tiny (average)`` → tiny)."""
    return record["model"].rsplit(" (", 1)[0] if record.get("fusion") else record["model"]


def build_submission(records: list[dict], family: str) -> dict:
    """A submission with every task row of one model family, from results records.

    Example:
        >>> submission = build_submission(store.load(), "tiny")  # doctest: +SKIP
        >>> validate_submission(submission, dataset_dir).ok  # doctest: +SKIP
        True
    """
    rows: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in records:
        if model_family(r) == family:
            rows[(r["task"], r["model"])].append(r)
    if not rows:
        raise ValueError(f"No results for model {family!r}.")
    first = next(iter(rows.values()))[0]
    entries = []
    for (task, name), recs in rows.items():
        recs = sorted(recs, key=lambda r: (r["budget"], r["seed"]))
        multi = task == "hotline_multilabel"
        keys = CLAIMED_MULTI if multi else CLAIMED_SINGLE
        entries.append(
            {
                "task": task,
                "name": name,
                "dataset_config": recs[0]["dataset"]["config"],
                "split": "all" if task.startswith("hotline") else "test",
                "label_column": HOTLINE_LABEL_COLUMN.get(task, "label"),
                "headline_metric": recs[0].get("headline_metric", "macro_f1"),
                "budgets": sorted({r["budget"] for r in recs}),
                "seeds": sorted({r["seed"] for r in recs}),
                "runs": [
                    {
                        "budget": r["budget"],
                        "seed": r["seed"],
                        "n_train": r["n_train"],
                        "train_ids_sha256": r["train_ids_sha256"],
                        "predictions": r["predictions"],
                        "claimed_metrics": {k: r["metrics"][k] for k in keys if k in r["metrics"]},
                    }
                    for r in recs
                ],
            }
        )
    fused = next((r for recs in rows.values() for r in recs if r.get("fusion")), {})
    components = {k: fused[k] for k in ("text_model", "speech_model") if fused.get(k)}
    model = {"id": family, "revision": first.get("model_revision")}
    if components:
        model["components"] = components
    return {
        "schema_version": SCHEMA_VERSION,
        "model": model,
        "dataset": {"id": first["dataset"]["path"], "revision": first["dataset"].get("revision")},
        "generated_by": f"sentiv benchmark {first.get('versions', {}).get('sentiv-hf', '')}".strip(),
        "entries": entries,
    }


def write_submissions(records: list[dict], out_dir: str | Path) -> list[Path]:
    """``OUT/submissions/<model>.json`` per model family and ``OUT/submission.json`` (first non-baseline family)."""
    out = Path(out_dir)
    (out / "submissions").mkdir(parents=True, exist_ok=True)
    families = list(dict.fromkeys(model_family(r) for r in records))
    written = []
    for family in families:
        path = out / "submissions" / f"{slug(family)}.json"
        path.write_text(json.dumps(build_submission(records, family), ensure_ascii=False, indent=1), encoding="utf-8")
        written.append(path)
    primary = next((f for f in families if not f.startswith("baseline")), families[0])
    main = out / "submission.json"
    main.write_text((out / "submissions" / f"{slug(primary)}.json").read_text(encoding="utf-8"), encoding="utf-8")
    return [main, *written]


# --- parsing with duplicate detection -----------------------------------------------------------------------------


class _Object(dict):
    """A JSON object that remembers keys it saw more than once (``json`` silently keeps the last)."""

    duplicates: list[str]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def parse_submission(text: str) -> dict:
    """Parse submission JSON, keeping track of duplicated keys (a prediction given twice for one id)."""
    return json.loads(text, object_pairs_hook=_pairs_hook)


# --- validation ---------------------------------------------------------------------------------------------------


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
    from .sources import load_task_splits

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


# --- pushing ------------------------------------------------------------------------------------------------------


def push_submission(
    path: str | Path, repo_id: str, *, token: str | None = None, api=None, commit_message: str | None = None
):
    """Open a pull request adding ``path`` to the leaderboard dataset repo ``repo_id``.

    The file goes to ``submissions/<model>/<UTC time>-<sha256[:8]>.json``; the leaderboard's maintainers (or a bot
    running `validate_submission`) merge it.

    Args:
        path: the submission file.
        repo_id: ``ORG/leaderboard`` (a dataset repo).
        token: Hub token; by default the one saved by ``hf auth login``.
        api: an ``HfApi`` instance (tests pass a mock).

    Returns:
        The ``CommitInfo`` of the PR (``.pr_url`` is the link).

    Example:
        >>> info = push_submission("sentiv-demo-output/submission.json", "sentiv/leaderboard")  # doctest: +SKIP
        >>> info.pr_url  # doctest: +SKIP
    """
    path = Path(path)
    data = path.read_bytes()
    submission = json.loads(data)
    model_id = submission.get("model", {}).get("id", "unknown")
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path_in_repo = f"submissions/{slug(model_id)}/{stamp}-{hashlib.sha256(data).hexdigest()[:8]}.json"
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    tasks = sorted({e["task"] for e in submission.get("entries", [])})
    return api.upload_file(
        path_or_fileobj=str(path),
        path_in_repo=path_in_repo,
        repo_id=repo_id,
        repo_type="dataset",
        create_pr=True,
        commit_message=commit_message or f"Submission: {model_id} ({', '.join(tasks)})",
    )


# --- model cards --------------------------------------------------------------------------------------------------

TASK_TYPES = {"text": "text-classification", "cross_modal": "text-classification"}


def model_index_card(records: list[dict], family: str):
    """A model card whose ``model-index`` holds the benchmark results of one model family (mean over seeds of the
    headline metric, accuracy and macro-F1, per task row and budget), built with ``huggingface_hub``.

    Example:
        >>> card = model_index_card(store.load(), "tiny")  # doctest: +SKIP
        >>> card.save("sentiv-demo-output/model_cards/tiny.md")  # doctest: +SKIP
    """
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    mine = [r for r in records if model_family(r) == family]
    if not mine:
        raise ValueError(f"No results for model {family!r}.")
    results = []
    for metric, metric_type in (("macro_f1", "f1"), ("accuracy", "accuracy"), ("weighted_f1", "f1")):
        for (task, name), by_budget in summarize(mine, metric).items():
            rec = next(r for r in mine if r["task"] == task and r["model"] == name)
            for budget, (mean, std, n) in by_budget.items():
                results.append(
                    EvalResult(
                        task_type=TASK_TYPES.get(task, "audio-classification"),
                        task_name=f"SentiV {task}",
                        dataset_type=rec["dataset"]["path"],
                        dataset_name=f"SentiV ({rec['dataset']['config']})",
                        dataset_config=rec["dataset"]["config"],
                        dataset_split="test" if not task.startswith("hotline") else "cv",
                        metric_type=metric_type,
                        metric_name=f"{metric} {name} @ {budget_label(budget)} (mean of {n} seeds, std {std:.4f})",
                        metric_value=mean,
                    )
                )
    data = ModelCardData(model_name=f"SentiV benchmark: {family}", eval_results=results, tags=["sentiv-benchmark"])
    body = (
        f"# SentiV benchmark results: {family}\n\nGenerated by `sentiv benchmark`; the `model-index` above holds the "
        "same numbers (mean over seeds per task and label budget).\n\n" + markdown_tables(mine, sections=False)
    )
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}\n")


def write_model_cards(records: list[dict], out_dir: str | Path) -> list[Path]:
    """``OUT/model_cards/<model>.md`` for every model family."""
    folder = Path(out_dir) / "model_cards"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for family in dict.fromkeys(model_family(r) for r in records):
        path = folder / f"{slug(family)}.md"
        model_index_card(records, family).save(str(path))
        paths.append(path)
    return paths
