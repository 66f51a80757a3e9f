"""Leaderboard submissions: build them from benchmark results, write them, and parse them back.

A submission (see ``submission_schema.json``) holds per-seed test predictions keyed by example id plus the metrics
the submitter claims. `build_submission` makes one per model family from results records; `write_submissions`
writes them under ``OUTPUT_DIR/submissions/``; `parse_submission` reads one back and keeps track of duplicated keys (a
prediction given twice for one id), which `sentiv_hf.benchmark.validation` rejects.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from .report import slug
from .tasks import HOTLINE_LABEL_COLUMN

SCHEMA_PATH = Path(__file__).resolve().parent / "submission_schema.json"
SCHEMA_VERSION = "1.0"
CLAIMED_SINGLE = ("accuracy", "macro_f1", "weighted_f1")
CLAIMED_MULTI = ("macro_f1", "weighted_f1", "micro_f1", "samples_f1", "subset_accuracy")


def load_schema() -> dict:
    """The submission JSON Schema shipped with the package.

    Example:
        >>> load_schema()["type"]
        'object'
    """
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


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
                        **({"checkpoint": r["checkpoint"]} if r.get("checkpoint") else {}),
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
    """``OUTPUT_DIR/submissions/<model>.json`` per model family, and ``OUTPUT_DIR/submission.json``.

    ``submission.json`` is the first non-baseline family's file.
    """
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


__all__ = [
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "build_submission",
    "load_schema",
    "model_family",
    "parse_submission",
    "write_submissions",
]
