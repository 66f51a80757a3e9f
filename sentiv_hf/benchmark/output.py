"""The output folder of one benchmark: one process at a time, one dataset per folder.

* `OutputLock`: an OS-level lock on ``OUTPUT_DIR/.lock`` (``filelock``, i.e. ``fcntl.flock`` on Unix), held for a
  whole ``sentiv benchmark`` run. Two processes on one folder would both run every pending run and append it twice;
  the second one now stops at once. The kernel drops the lock when its holder exits, however it exits (a kill
  included), so no stale lock is ever left behind.
* `check_dataset_manifest`: ``OUTPUT_DIR/dataset.json`` records which dataset (source, revision and the fingerprint
  of each config read) the folder's results come from. A run on another dataset, or on the same dataset after its
  data changed, is refused instead of mixing both into one ``results.jsonl``, table and submission.
* `dataset_name` / `default_output_dir`: how a dataset is named in reports and cards (never an absolute local path)
  and the folder ``sentiv benchmark --dataset D`` writes to when no ``--output_dir`` is given.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

from sentiv_hf.data.loading import dataset_name
from sentiv_hf.data.staging import write_text_atomic
from sentiv_hf.errors import UserError
from sentiv_hf.naming import slug

logger = logging.getLogger(__name__)

LOCK_NAME = ".lock"
MANIFEST_NAME = "dataset.json"


def _demo_folder() -> Path:
    from sentiv_hf.data import demo_path

    return Path(demo_path()).resolve()


def dataset_source(dataset: str | None) -> str:
    """What identifies a dataset's location: the absolute folder (``None``: the bundled demo corpus) or the Hub id.

    Example:
        >>> dataset_source("org/sentiv")
        'org/sentiv'
    """
    if dataset is None:
        return str(_demo_folder())
    path = Path(dataset)
    return str(path.resolve()) if path.is_dir() else str(dataset)


def default_output_dir(dataset: str) -> str:
    """The output folder of ``sentiv benchmark --dataset DATASET`` without ``--output_dir``: one per dataset, so that
    a run on another dataset never writes into the demo's ``sentiv-demo-output``.

    Example:
        >>> default_output_dir("org/SentiV v2")
        'sentiv-benchmark-org_SentiV_v2'
    """
    return f"sentiv-benchmark-{slug(dataset_name(dataset))}"


# --- one process per folder -----------------------------------------------------------------------------------------


class OutputLock:
    """The exclusive lock of an output folder, re-entrant within one process.

    Args:
        folder: the output folder (created if missing); the lock file is ``folder/.lock``.

    Raises:
        `UserError` on entry when another process holds the lock: one line naming the folder, the holder (its pid,
        host, start time and command, when it wrote them) and the fix.

    Example:
        >>> with OutputLock("sentiv-demo-output"):  # doctest: +SKIP
        ...     records = runner.run()
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        from filelock import FileLock

        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        # timeout=0: never wait; a busy folder is reported at once.
        self._lock = FileLock(str(self.path), timeout=0)

    @property
    def is_locked(self) -> bool:
        """Whether this process holds the lock."""
        return self._lock.is_locked

    def acquire(self) -> None:
        from filelock import Timeout

        self.folder.mkdir(parents=True, exist_ok=True)
        first = not self._lock.is_locked
        try:
            self._lock.acquire()
        except Timeout:
            raise UserError(
                f"Output folder {self.folder} is in use by another `sentiv benchmark` ({self.holder()}); wait for "
                "it to finish, or pass another --output_dir."
            ) from None
        if first:
            self._write_holder()

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()

    def _write_holder(self) -> None:
        """Write who holds the lock into the lock file (the flock is on the file, not its content)."""
        from sentiv_hf.hub_errors import scrub_secrets

        started = _dt.datetime.now().isoformat(timespec="seconds")
        command = scrub_secrets(" ".join([Path(sys.argv[0]).name, *sys.argv[1:]])) if sys.argv else "python"
        try:
            self.path.write_text(
                f"pid {os.getpid()} on {socket.gethostname()} since {started}: {command}\n", encoding="utf-8"
            )
        except OSError:  # the holder text is informational only
            pass

    def holder(self) -> str:
        """Who holds the lock, as its holder wrote it, or ``holder unknown``."""
        try:
            text = self.path.read_text(encoding="utf-8").strip().splitlines()
        except OSError:
            text = []
        return text[0] if text else "holder unknown"


# --- one dataset per folder ------------------------------------------------------------------------------------------


def _describe(manifest: dict[str, Any]) -> str:
    revision = manifest.get("revision")
    return f"'{manifest['name']}'" + (f" at revision {revision}" if revision else "")


def _legacy_manifest(folder: Path) -> dict[str, Any] | None:
    """The dataset of a folder written before manifests existed, from its first results line (``None``: no results)."""
    from .store import ResultsStore

    for record in ResultsStore(folder / "results.jsonl"):
        config = record.get("config", {})
        path = config.get("dataset")  # None: the bundled demo corpus
        return {
            "source": dataset_source(path),
            "name": dataset_name(path),
            "revision": config.get("dataset_revision"),
            "fingerprints": {},
        }
    return None


def check_dataset_manifest(folder: str | os.PathLike, manifest: dict[str, Any]) -> None:
    """Refuse to add results of another dataset to ``folder``; record the dataset in ``folder/dataset.json``.

    Args:
        folder: the output folder.
        manifest: ``{"source", "name", "revision", "fingerprints": {config: fingerprint}}`` of the dataset about to
            be run (`dataset_source`, `dataset_name`, and a hash of each config's split fingerprints).

    Raises:
        `UserError` (one line, naming both datasets and the fix) when the folder holds results of another source or
        revision, or of a config whose data has changed since. Configs the folder has not seen yet are added.

    Example:
        >>> check_dataset_manifest("out", {"source": "org/a", "name": "org/a", "revision": None,
        ...                                "fingerprints": {"text": "3f2a"}})  # doctest: +SKIP
    """
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if path.is_file():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise UserError(f"Cannot read {path} ({err}); delete it to let the next run rewrite it.") from None
    else:
        stored = _legacy_manifest(folder)
    fix = f"use one --output_dir per dataset, e.g. --output_dir {default_output_dir(manifest['source'])}"
    if stored is not None:
        if (stored["source"], stored.get("revision")) != (manifest["source"], manifest.get("revision")):
            raise UserError(
                f"{folder} holds benchmark results of dataset {_describe(stored)}, not {_describe(manifest)}: {fix}."
            )
        old = stored.get("fingerprints", {})
        changed = sorted(c for c, fp in manifest["fingerprints"].items() if c in old and old[c] != fp)
        if changed:
            raise UserError(
                f"{folder} holds benchmark results of dataset {_describe(stored)} whose config(s) {changed} have "
                f"changed since (other files or rows): {fix}, or delete {folder} to start over."
            )
        manifest = {**manifest, "fingerprints": {**old, **manifest["fingerprints"]}}
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")


__all__ = [
    "LOCK_NAME",
    "MANIFEST_NAME",
    "OutputLock",
    "check_dataset_manifest",
    "dataset_source",
    "default_output_dir",
]
