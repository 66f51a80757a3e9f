"""Leaderboard submissions: build them from benchmark results, write them, and read them back safely.

A submission (see ``submission_schema.json``) holds per-seed test predictions keyed by example id plus the metrics
the submitter claims. `build_submission` makes one per model family from results records; `write_submissions`
writes them under ``OUTPUT_DIR/submissions/`` (plus a copy of the main one as ``OUTPUT_DIR/submission.json``);
`read_submission` reads a file back with one-line errors for anything that is not a reasonable JSON document, and
`parse_submission` keeps track of duplicated keys (a prediction given twice for one id), which
`sentiv_hf.benchmark.validation` rejects.

`leaderboard_protocol` is the one table of what the leaderboard fixes per task (dataset config, split, label column,
headline metric): the validator checks every entry against it instead of trusting the entry's own metadata.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentiv_hf.data.loading import dataset_name
from sentiv_hf.data.staging import write_text_atomic
from sentiv_hf.errors import UserError
from sentiv_hf.naming import slug, strip_local_paths

from .config import DEFAULT_TASK_CONFIGS
from .tasks import HOTLINE_LABEL_COLUMN, headline_metric

SCHEMA_PATH = Path(__file__).resolve().parent / "submission_schema.json"
SCHEMA_VERSION = "1.0"
CLAIMED_SINGLE = ("accuracy", "macro_f1", "weighted_f1")
CLAIMED_MULTI = ("macro_f1", "weighted_f1", "micro_f1", "samples_f1", "subset_accuracy")
#: Largest submission file read, checked before reading. The largest real SentiV file is a fusion family: 3 fusion
#: strategies x 6 budgets x 3 seeds = 54 runs. Even if its test split were as large as the text test split
#: (~26.5k rows), at <= 40 bytes per written prediction (``"text-000001": "Enjoyment",`` plus indentation) that is
#: 54 x 26.5k x 40 B ~ 57 MB; a text family (text + cross_modal, 36 runs) is ~38 MB. 128 MiB leaves twice that
#: margin while bounding what parsing may cost (about 30x the file size in memory).
MAX_SUBMISSION_BYTES = 128 * 1024 * 1024
#: Tasks whose gold labels the leaderboard cannot fix: ``cross_dataset`` trains and tests on configs (or datasets)
#: each benchmark chooses, so neither its test labels nor its training ids can be checked against one dataset.
UNRANKED_TASKS = ("cross_dataset",)
_CONFIG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def load_schema() -> dict:
    """The submission JSON Schema shipped with the package.

    Example:
        >>> load_schema()["type"]
        'object'
    """
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# --- what the leaderboard fixes per task ---------------------------------------------------------------------------


def task_split(task: str) -> str:
    """The split a task's predictions cover: ``all`` for the cross-validated hotline tasks, ``test`` otherwise."""
    return "all" if task in HOTLINE_LABEL_COLUMN else "test"


def task_label_column(task: str) -> str:
    """The gold label column of a task: ``binary_label`` / ``labels`` for the hotline tasks, ``label`` otherwise."""
    return HOTLINE_LABEL_COLUMN.get(task, "label")


@dataclass(frozen=True)
class TaskProtocol:
    """What the leaderboard fixes for one task: where its gold labels are and how it is ranked."""

    config: str
    split: str
    label_column: str
    headline_metric: str


def leaderboard_configs(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The dataset config of every ranked task: `DEFAULT_TASK_CONFIGS`, with a leaderboard maintainer's overrides.

    Args:
        overrides: ``{task: config}`` for a leaderboard dataset laid out differently (e.g. hotline data in a
            ``hotline`` config). Only the maintainer sets these; a submission never does.

    Raises `UserError` for an unknown task or a config that is not a plain name (a path would let the gold labels
    come from another folder).

    Example:
        >>> leaderboard_configs({"hotline_binary": "hotline"})["hotline_binary"]
        'hotline'
    """
    configs = dict(DEFAULT_TASK_CONFIGS)
    for task, config in (overrides or {}).items():
        if task not in DEFAULT_TASK_CONFIGS:
            raise UserError(
                f"Cannot set the config of task {task!r}: the ranked tasks are {sorted(DEFAULT_TASK_CONFIGS)}."
            )
        if not _CONFIG_NAME.match(config) or ".." in config:
            raise UserError(
                f"Config {config!r} for task {task!r} is not a plain config name (like 'text' or 'speech')."
            )
        configs[task] = config
    return configs


def leaderboard_protocol(task: str, overrides: Mapping[str, str] | None = None) -> TaskProtocol | None:
    """The fixed protocol of a ranked task, or ``None`` for a task the leaderboard does not rank (`UNRANKED_TASKS`).

    The headline metric comes from `sentiv_hf.benchmark.tasks.headline_metric`, the one the benchmark ranks by.

    Example:
        >>> leaderboard_protocol("text")
        TaskProtocol(config='text', split='test', label_column='label', headline_metric='macro_f1')
    """
    configs = leaderboard_configs(overrides)
    if task not in configs:
        return None
    return TaskProtocol(configs[task], task_split(task), task_label_column(task), headline_metric(task))


# --- building and writing ------------------------------------------------------------------------------------------


def model_family(record: dict) -> str:
    """The submission a record belongs to: its model, or for fusion rows the fused pair (``tiny (average)`` → tiny),
    and for hotline variant rows their model (``tiny (context)`` → tiny)."""
    suffixed = record.get("fusion") or record.get("variant") not in (None, "segment")
    return record["model"].rsplit(" (", 1)[0] if suffixed else record["model"]


def _claimed_keys(task: str, headline: str) -> tuple[str, ...]:
    """The metrics a run claims: the task kind's standard set plus its headline metric."""
    keys = CLAIMED_MULTI if task == "hotline_multilabel" else CLAIMED_SINGLE
    return keys if headline in keys else (*keys, headline)


def _entry(task: str, name: str, recs: list[dict]) -> dict:
    """One submission entry (a table row) from the results records of one task and model."""
    recs = sorted(recs, key=lambda r: (r["budget"], r["seed"]))
    headline = recs[0].get("headline_metric", headline_metric(task))
    keys = _claimed_keys(task, headline)
    return {
        "task": task,
        "name": strip_local_paths(name),
        "dataset_config": recs[0]["dataset"]["config"],
        "split": task_split(task),
        "label_column": task_label_column(task),
        "headline_metric": headline,
        **({"variant": recs[0]["variant"]} if recs[0].get("variant") else {}),
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
                # relative to the benchmark output (models/<run>), never a local absolute path
                **({"checkpoint": r["checkpoint"]} if r.get("checkpoint") else {}),
            }
            for r in recs
        ],
    }


def build_submission(records: list[dict], family: str) -> dict:
    """A submission with every task row of one model family, from results records.

    Names and the dataset are written without local absolute paths (`public_name`, `output.dataset_name`).

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
    entries = [_entry(task, name, recs) for (task, name), recs in rows.items()]
    fused = next((r for recs in rows.values() for r in recs if r.get("fusion")), {})
    components = {k: strip_local_paths(fused[k]) for k in ("text_model", "speech_model") if fused.get(k)}
    model = {"id": strip_local_paths(family), "revision": first.get("model_revision")}
    if components:
        model["components"] = components
    return {
        "schema_version": SCHEMA_VERSION,
        "model": model,
        "dataset": {"id": dataset_name(first["dataset"]["path"]), "revision": first["dataset"].get("revision")},
        "generated_by": f"sentiv benchmark {first.get('versions', {}).get('sentiv-hf', '')}".strip(),
        "entries": entries,
    }


def write_submissions(records: list[dict], out_dir: str | Path) -> list[Path]:
    """Write one submission file per model family and return every path written.

    Files: ``OUTPUT_DIR/submissions/<model>.json`` for each model family in ``records`` (baselines included), and
    ``OUTPUT_DIR/submission.json``, a copy of the first non-baseline family's file (the one ``sentiv submit`` is
    usually given). The returned list starts with ``submission.json``, followed by the per-family files in the order
    the families first appear in ``records``. Each file is written atomically.

    Example:
        >>> paths = write_submissions(store.load(), "sentiv-demo-output")  # doctest: +SKIP
        >>> [p.name for p in paths]  # doctest: +SKIP
        ['submission.json', 'tiny.json', 'baseline_tfidf-logreg.json', 'baseline_mfcc-logreg.json']
    """
    out = Path(out_dir)
    (out / "submissions").mkdir(parents=True, exist_ok=True)
    families = list(dict.fromkeys(model_family(r) for r in records))
    texts = {f: json.dumps(build_submission(records, f), ensure_ascii=False, indent=1) for f in families}
    written = []
    for family, text in texts.items():
        path = out / "submissions" / f"{slug(family)}.json"
        write_text_atomic(path, text)
        written.append(path)
    primary = next((f for f in families if not f.startswith("baseline")), families[0])
    main = out / "submission.json"
    write_text_atomic(main, texts[primary])
    return [main, *written]


# --- reading and parsing -------------------------------------------------------------------------------------------


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
    """Parse submission JSON, keeping track of duplicated keys (a prediction given twice for one id).

    Raises ``json.JSONDecodeError`` for text that is not JSON and ``RecursionError`` for JSON nested deeper than
    Python's recursion limit; `read_submission` turns both into one-line `UserError`s.
    """
    return json.loads(text, object_pairs_hook=_pairs_hook)


_REGENERATE = "regenerate it with `sentiv benchmark` (it writes OUTPUT_DIR/submission.json)"


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.1f} MiB" if n_bytes >= 2**20 else f"{n_bytes:,} bytes"


def read_submission_bytes(path: str | Path) -> bytes:
    """The bytes of a submission file, refused with a one-line `UserError` when it is missing, not a file, or over
    `MAX_SUBMISSION_BYTES` (checked before anything is read)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise UserError(f"Cannot read submission file {path}: {error.strerror or error}.") from None
    if not path.is_file():
        raise UserError(f"Submission {path} is not a file; pass the submission JSON file.")
    if size > MAX_SUBMISSION_BYTES:
        raise UserError(
            f"Submission {path} is {_size(size)}, over the {_size(MAX_SUBMISSION_BYTES)} limit; "
            f"a real SentiV submission is far smaller: submit one model family per file and {_REGENERATE}."
        )
    return path.read_bytes()


def decode_submission(data: bytes, path: str | Path) -> dict:
    """Parse the bytes of submission file ``path``; a one-line `UserError` when they are not UTF-8, not JSON, or
    nested too deep."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UserError(
            f"Submission {path} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            f"save it as UTF-8 JSON or {_REGENERATE}."
        ) from None
    try:
        return parse_submission(text)
    except json.JSONDecodeError as error:
        raise UserError(f"Submission {path} is not valid JSON ({error}); fix it or {_REGENERATE}.") from None
    except RecursionError:
        raise UserError(
            f"Submission {path} is nested too deeply to be a submission (a real one is at most 7 levels deep); "
            f"{_REGENERATE}."
        ) from None


def read_submission(path: str | Path) -> tuple[dict, str]:
    """Read and parse a submission file; return ``(submission, sha256 of its bytes)``.

    The size is checked before anything is read (`MAX_SUBMISSION_BYTES`), and a missing file, a file that is not
    UTF-8, not JSON, or nested too deep each raise a one-line `UserError` that names the file and the fix. The schema
    and the gold labels are checked later, by `validate_submission`.

    Example:
        >>> submission, digest = read_submission("sentiv-demo-output/submission.json")  # doctest: +SKIP
    """
    data = read_submission_bytes(path)
    return decode_submission(data, path), hashlib.sha256(data).hexdigest()


__all__ = [
    "MAX_SUBMISSION_BYTES",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "UNRANKED_TASKS",
    "TaskProtocol",
    "build_submission",
    "leaderboard_configs",
    "leaderboard_protocol",
    "load_schema",
    "model_family",
    "parse_submission",
    "decode_submission",
    "read_submission",
    "read_submission_bytes",
    "write_submissions",
]
