"""Validation of leaderboard submissions against the gold labels of the leaderboard's dataset.

`validate_submission` trusts nothing the submitter wrote:

* **Where the gold labels come from** is fixed by the leaderboard, never by the submission: the dataset is the one
  the maintainer passes, and each task's config, split, label column and headline metric come from
  `sentiv_hf.benchmark.submission.leaderboard_protocol`. An entry that claims anything else is an error.
* **Budgets** must be leaderboard budgets, and every run's training ids are drawn again exactly as the benchmark
  draws them (`BudgetFitter.fit_budget`, `tasks.run_hotline`), so a wrong ``n_train`` or ``train_ids_sha256`` (a
  100 % run relabelled as 1 %) is an error.
* **Predictions**: every gold id is predicted exactly once (a duplicated JSON key is caught while parsing), and every
  label is known.
* **Metrics** are recomputed with the package's metrics module; ``claimed_metrics`` are required, must include the
  headline metric, and each claim that does not match the recomputed value is an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sentiv_hf.data.loading import Split
from sentiv_hf.errors import UserError

from .config import DEFAULT_BUDGETS, BenchmarkConfig
from .fitting import BudgetFitter
from .learners import TrainSettings
from .submission import (
    UNRANKED_TASKS,
    TaskProtocol,
    leaderboard_configs,
    leaderboard_protocol,
    load_schema,
    read_submission,
)
from .tasks import ids_hash

CLAIM_TOLERANCE = 1e-3


@dataclass
class ValidationReport:
    """Outcome of `validate_submission`: errors (reject), warnings, and the recomputed metrics per run.

    Attributes:
        sha256: sha256 of the validated file's bytes (``None`` when a parsed dict was validated); `push_submission`
            uploads a file only when its bytes still have this hash.
    """

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recomputed: list[dict] = field(default_factory=list)
    sha256: str | None = None

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
                    f"{metric} {row['metrics'].get(metric, math.nan):.4f}"
                )
        return "\n".join(lines)


# --- the leaderboard's side: gold labels and training ids -----------------------------------------------------------


@dataclass(frozen=True)
class _Unnamed:
    """Stands in for a model where only the budget draw is needed (the fit memo keys on ``name``)."""

    name: str = "leaderboard"


class _Untrained:
    """What `_BudgetDrawer.fit_rows` returns: no model, zero logits, no selection."""

    model = None
    processor = None

    def __init__(self, num_labels: int) -> None:
        self.num_labels = num_labels
        self.selection: dict = {}

    def predict(self, split: Split) -> np.ndarray:
        return np.zeros((len(split), self.num_labels))


class _BudgetDrawer(BudgetFitter):
    """A `BudgetFitter` that draws budgets (and hotline folds) exactly as the benchmark does, but trains nothing.

    Reusing the fitter, rather than re-deriving the draw, keeps the leaderboard's training ids identical to the
    benchmark's: the same exclusion of multimodal transcripts, the same nested budgets, the same folds.
    """

    def __init__(self) -> None:
        super().__init__(TrainSettings(), provider=None)

    def fit_rows(self, model, modality, train: Split, idx, val, val_idx, **kwargs) -> _Untrained:
        return _Untrained(len(train.label_names))


class LeaderboardData:
    """The leaderboard's dataset: gold labels per task and the training ids of every (task, budget, seed).

    The submission validator checks runs against it, and the leaderboard's results builder reads gold labels from
    it, so both load the dataset the same way. Splits are loaded once per (config, label column).

    Example:
        >>> board = LeaderboardData("sentiv-data", None, leaderboard_configs())  # doctest: +SKIP
        >>> ids, labels, names, multi_label = board.gold(leaderboard_protocol("text", board.configs))  # doctest: +SKIP
    """

    def __init__(self, dataset: str | Path, revision: str | None, configs: dict[str, str]) -> None:
        self.dataset = str(dataset)
        self.revision = revision
        self.configs = configs
        self.hotline_folds = BenchmarkConfig().hotline_folds  # the protocol's fold count
        self._splits: dict[tuple[str, str], dict[str, Split]] = {}
        self._trained: dict[tuple[str, float, int], tuple[int, str]] = {}
        self._drawer = _BudgetDrawer()

    def splits(self, config: str, label_column: str = "label") -> dict[str, Split]:
        """The splits of one config of the leaderboard dataset, loaded once."""
        from sentiv_hf.data.loading import load_task_splits
        from sentiv_hf.hub_errors import hub_access

        key = (config, label_column)
        if key not in self._splits:
            with hub_access(f"dataset {self.dataset!r}"):
                self._splits[key] = load_task_splits(
                    self.dataset, config, revision=self.revision, label_column=label_column
                )
        return self._splits[key]

    def gold(self, protocol: TaskProtocol) -> tuple[list[str], np.ndarray, list[str], bool]:
        """``(ids, labels, label names, multi-label)`` of a task's evaluated split (``all``: every split pooled)."""
        splits = self.splits(protocol.config, protocol.label_column)
        names = ("train", "validation", "test") if protocol.split == "all" else (protocol.split,)
        parts = [splits[s] for s in names]
        ids = [i for p in parts for i in p.ids]
        return ids, np.concatenate([p.labels for p in parts]), parts[0].label_names, parts[0].multi_label

    def training(self, task: str, budget: float, seed: int, variant: str | None = None) -> tuple[int, str]:
        """``(n_train, train_ids_sha256)`` the benchmark records for a run of ``task`` at ``budget`` and ``seed``
        (hotline tasks: of ``variant``)."""
        key = (task, float(budget), int(seed), variant)
        if key not in self._trained:
            ids = self._training_ids(task, float(budget), int(seed), variant)
            self._trained[key] = (len(ids), ids_hash(ids))
        return self._trained[key]

    def _training_ids(self, task: str, budget: float, seed: int, variant: str | None = None) -> list[str]:
        """The training ids of one run, drawn with the same calls as the task in `sentiv_hf.benchmark.tasks`."""
        from . import tasks
        from .runner import RunSpec

        draw, c, model = self._drawer.fit_budget, self.configs, _Unnamed()
        if task in ("text", "speech"):  # tasks.run_supervised
            return draw(model, task, self.splits(c[task]), budget, seed).train_ids
        if task == "cross_modal":  # tasks.run_cross_modal
            test = self.splits(c["cross_modal"])["test"]
            return draw(model, "text", self.splits(c["text"]), budget, seed, exclude=[test]).train_ids
        if task == "multimodal":  # tasks.run_multimodal
            mm = self.splits(c["multimodal"])
            text = draw(model, "text", self.splits(c["text"]), budget, seed, **tasks.multimodal_text_exclusions(mm))
            speech = draw(model, "speech", self.splits(c["speech"]), budget, seed)
            return sorted(set(text.train_ids) | set(speech.train_ids))
        protocol = leaderboard_protocol(task, c)
        outcome = tasks.run_hotline(
            RunSpec(task, model.name, budget, seed),
            model,
            self.splits(protocol.config, protocol.label_column),
            self._drawer,
            n_folds=self.hotline_folds,
            metric=protocol.headline_metric,
            # the context variant labels the segment variant's ids (its calls are context): draw those
            variant="balanced" if variant == "balanced" else "segment",
        )
        return outcome.train_ids


# --- checks --------------------------------------------------------------------------------------------------------


def _as_document(submission: dict | str | Path, report: ValidationReport) -> dict:
    """The parsed submission; a file is read with `read_submission` (one-line `UserError`s for unreadable files)."""
    from .submission import parse_submission

    if isinstance(submission, dict):
        return submission
    if isinstance(submission, str) and submission.lstrip()[:1] in ("{", "["):
        return parse_submission(submission)
    document, report.sha256 = read_submission(submission)
    return document


def _check_schema(submission: dict, report: ValidationReport) -> bool:
    """Report the first schema errors; True when there are none."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    schema_errors = sorted(validator.iter_errors(submission), key=lambda e: list(e.absolute_path))
    for err in schema_errors[:20]:
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        report.errors.append(f"Schema: at {where}: {err.message}")
    return not schema_errors


def _check_metadata(entry: dict, protocol: TaskProtocol, where: str, report: ValidationReport) -> None:
    """Every field the leaderboard fixes must equal the fixed value; budgets must be leaderboard budgets."""
    fixed = {
        "dataset_config": protocol.config,
        "split": protocol.split,
        "label_column": protocol.label_column,
        "headline_metric": protocol.headline_metric,
    }
    for name, value in fixed.items():
        if entry[name] != value:
            report.errors.append(
                f"{where}: {name} is {entry[name]!r} but the leaderboard fixes {value!r} for task {entry['task']!r}; "
                "regenerate the submission with `sentiv benchmark` and the default task configs."
            )
    for budget in entry["budgets"]:
        if not any(math.isclose(budget, b) for b in DEFAULT_BUDGETS):
            report.errors.append(
                f"{where}: budget {budget:g} is not a leaderboard budget; use budgets from {list(DEFAULT_BUDGETS)}."
            )
    if sorted(entry["seeds"]) != list(range(len(entry["seeds"]))):
        report.warnings.append(
            f"{where}: seeds {entry['seeds']} are not 0..{len(entry['seeds']) - 1}; the leaderboard compares runs "
            "over seeds 0, 1, 2, ... (choosing seeds can inflate the mean)."
        )


def _check_grid(entry: dict, where: str, report: ValidationReport) -> None:
    """Every declared (budget, seed) has exactly one run, and no run is undeclared."""
    seen_runs = {(float(run["budget"]), int(run["seed"])) for run in entry["runs"]}
    expected = {(float(b), int(s)) for b in entry["budgets"] for s in entry["seeds"]}
    for b, s in sorted(expected - seen_runs):
        report.errors.append(f"{where}: no run for budget {b:g} seed {s} (budgets × seeds must all be present).")
    for b, s in sorted(seen_runs - expected):
        report.errors.append(f"{where}: run for budget {b:g} seed {s} is not in the declared budgets/seeds.")
    if len(entry["runs"]) != len(seen_runs):
        report.errors.append(f"{where}: some (budget, seed) runs appear more than once.")


def _check_training(
    run: dict, task: str, board: LeaderboardData, run_where: str, report: ValidationReport, variant: str | None = None
) -> None:
    """``n_train`` and ``train_ids_sha256`` must be those of the budget the leaderboard draws for the run."""
    try:
        n_train, digest = board.training(task, run["budget"], run["seed"], variant)
    except (FileNotFoundError, ValueError) as err:  # a config the draw needs lacks a split or column
        report.errors.append(f"{run_where}: cannot draw the training ids of this budget: {err}")
        return
    budget = f"{run['budget']:g} budget of seed {run['seed']}"
    if run["n_train"] != n_train:
        report.errors.append(
            f"{run_where}: n_train is {run['n_train']} but the leaderboard's {budget} has {n_train} training examples."
        )
    if run["train_ids_sha256"] != digest:
        report.errors.append(
            f"{run_where}: train_ids_sha256 is {run['train_ids_sha256']} but the leaderboard's {budget} hashes to "
            f"{digest}; the run did not train on this budget's ids."
        )


def _check_predictions(
    preds: dict,
    ids: list[str],
    gold_index: dict,
    names: list[str],
    split: str,
    run_where: str,
    report: ValidationReport,
) -> bool:
    """Every gold id predicted exactly once, no unknown id or label; True when the metrics can be recomputed."""
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
            f"{run_where}: {len(unknown_ids)} id(s) are not in the gold {split} split, e.g. {unknown_ids[:5]}."
        )
        problems += 1
    known = set(names)
    bad_labels = {
        label for value in preds.values() for label in (value if isinstance(value, list) else [value])
    } - known
    if bad_labels:
        report.errors.append(f"{run_where}: unknown label(s) {sorted(bad_labels)}; accepted labels are {names}.")
        problems += 1
    if problems:
        report.warnings.append(f"{run_where}: metrics not recomputed because of the errors above.")
    return not problems


def _recompute(preds: dict, ids: list[str], labels: np.ndarray, names: list[str], multi: bool) -> dict | None:
    """Metrics of the predictions against the gold labels; ``None`` for lists on a single-label task."""
    from sentiv_hf.metrics import compute_classification_metrics, compute_multilabel_metrics

    name_index = {n: k for k, n in enumerate(names)}
    ordered = [preds[i] for i in ids]
    if multi:
        matrix = np.zeros((len(ids), len(names)), dtype=np.float64)
        for row, value in enumerate(ordered):
            matrix[row, [name_index[n] for n in (value if isinstance(value, list) else [value])]] = 1.0
        return compute_multilabel_metrics(matrix, labels, label_names=names)
    if any(isinstance(v, list) for v in ordered):
        return None
    pred = np.asarray([name_index[v] for v in ordered])
    return compute_classification_metrics(pred, labels, label_names=names)


def _check_claims(
    claims: dict, metrics: dict, headline: str, tolerance: float, run_where: str, report: ValidationReport
) -> None:
    """The headline metric must be claimed, and every claim must match its recomputed value."""
    if headline not in claims:
        report.errors.append(
            f"{run_where}: claimed_metrics has no {headline!r} (the task's headline metric); add the value "
            "`sentiv benchmark` reported."
        )
    for key, claimed in claims.items():
        if key not in metrics or not np.isscalar(metrics[key]):
            report.warnings.append(f"{run_where}: claimed metric {key!r} is not computed by the leaderboard.")
            continue
        actual = float(metrics[key])
        if not abs(float(claimed) - actual) <= tolerance:
            report.errors.append(
                f"{run_where}: claimed {key} = {float(claimed):.4f} but the predictions give {actual:.4f}."
            )


def _check_entry(entry: dict, where: str, board: LeaderboardData, tolerance: float, report: ValidationReport) -> None:
    """All checks of one entry (a task row over budgets × seeds)."""
    protocol = leaderboard_protocol(entry["task"], board.configs)
    if protocol is None:
        report.errors.append(
            f"{where}: task {entry['task']!r} is not ranked on the leaderboard (its train and test data are chosen "
            f"per benchmark, so they cannot be checked); remove the entry. Unranked tasks: {list(UNRANKED_TASKS)}."
        )
        return
    _check_metadata(entry, protocol, where, report)
    _check_grid(entry, where, report)
    try:
        ids, labels, names, multi = board.gold(protocol)
    except (FileNotFoundError, ValueError) as err:  # the dataset lacks the task's split or label column
        report.errors.append(f"{where}: cannot load the gold labels from {board.dataset}: {err}")
        return
    gold_index = {i: k for k, i in enumerate(ids)}
    for run in entry["runs"]:
        run_where = f"{where} budget {run['budget']:g} seed {run['seed']}"
        _check_training(run, entry["task"], board, run_where, report, entry.get("variant"))
        preds = run["predictions"]
        if not _check_predictions(preds, ids, gold_index, names, protocol.split, run_where, report):
            continue
        metrics = _recompute(preds, ids, labels, names, multi)
        if metrics is None:
            report.errors.append(f"{run_where}: single-label task but some predictions are lists.")
            continue
        report.recomputed.append(
            {
                "task": entry["task"],
                "name": entry["name"],
                "budget": run["budget"],
                "seed": run["seed"],
                "headline_metric": protocol.headline_metric,
                "metrics": {k: v for k, v in metrics.items() if np.isscalar(v)},
            }
        )
        _check_claims(run["claimed_metrics"], metrics, protocol.headline_metric, tolerance, run_where, report)


def validate_submission(
    submission: dict | str | Path,
    dataset: str | Path,
    *,
    revision: str | None = None,
    task_configs: Mapping[str, str] | None = None,
    tolerance: float = CLAIM_TOLERANCE,
) -> ValidationReport:
    """Validate a submission against the gold labels of the leaderboard's dataset and recompute its metrics.

    Args:
        submission: the parsed submission, its JSON text, or a path to the file (parsing catches duplicated ids).
        dataset: the leaderboard's dataset folder or Hub id: the only place gold labels are read from.
        revision: Hub revision of ``dataset``.
        task_configs: the leaderboard maintainer's ``{task: config}`` overrides of `DEFAULT_TASK_CONFIGS`, for a
            dataset laid out differently; a submission's own ``dataset_config`` is only compared, never used.
        tolerance: largest accepted absolute difference between a claimed and a recomputed metric.

    Returns:
        A `ValidationReport`; ``report.ok`` is False when the submission must be rejected.

    Raises:
        UserError: one line, when the file cannot be read as a submission (missing, over `MAX_SUBMISSION_BYTES`, not
            UTF-8, not JSON, nested too deep), or the leaderboard dataset cannot be loaded.

    Example:
        >>> report = validate_submission("sentiv-demo-output/submission.json", demo_path())  # doctest: +SKIP
        >>> report.ok, report.errors  # doctest: +SKIP
        (True, [])
    """
    report = ValidationReport()
    submission = _as_document(submission, report)
    try:
        if not _check_schema(submission, report):
            return report
    except RecursionError:  # JSON text nested just under the parser's limit
        raise UserError("The submission is nested too deeply to be a submission; regenerate it.") from None
    board = LeaderboardData(dataset, revision, leaderboard_configs(task_configs))
    for e_idx, entry in enumerate(submission["entries"]):
        _check_entry(entry, f"entries[{e_idx}] ({entry['task']}, {entry['name']})", board, tolerance, report)
    return report


__all__ = ["CLAIM_TOLERANCE", "LeaderboardData", "ValidationReport", "validate_submission"]
