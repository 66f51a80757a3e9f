"""The resumable results store: ``OUTPUT_DIR/results.jsonl``, one JSON line per finished run.

Each line is written with a single ``os.write`` of the complete line followed by ``fsync``, so a run killed at any
point leaves either the whole line or a trailing fragment without a newline. Loading ignores such a fragment and the
next append trims it first, so the file never holds duplicated or half-written lines.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class ResultsStore:
    """Append-only JSON Lines store keyed by ``record["run_key"]``.

    Args:
        path: the ``results.jsonl`` file; its folder is created on the first append.

    Example:
        >>> store = ResultsStore("out/results.jsonl")  # doctest: +SKIP
        >>> if "text|tiny|0.1|0" not in store.finished_keys():  # doctest: +SKIP
        ...     store.append({"run_key": "text|tiny|0.1|0", "metrics": {"macro_f1": 0.5}})
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def _complete_bytes(self) -> tuple[bytes, int]:
        """Return the file's complete lines and the length of the trailing partial line (0 when none)."""
        if not self.path.exists():
            return b"", 0
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        return data[:end], len(data) - end

    def __iter__(self) -> Iterator[dict[str, Any]]:
        complete, partial = self._complete_bytes()
        if partial:
            logger.warning(
                "%s ends with a partial line (%d bytes) from an interrupted run; ignoring it.", self.path, partial
            )
        for number, line in enumerate(complete.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as err:
                # A complete line is written in one os.write, so this only happens if someone edited the file.
                logger.warning("Skipping unreadable line %d of %s: %s", number, self.path, err)

    def load(self) -> list[dict[str, Any]]:
        """All complete records, in file order, keeping the first record of any repeated run key."""
        seen: set[str] = set()
        records = []
        for record in self:
            key = record.get("run_key")
            if key in seen:
                continue
            seen.add(key)
            records.append(record)
        return records

    def finished_keys(self) -> set[str]:
        """Run keys of every finished run."""
        return {r["run_key"] for r in self if "run_key" in r}

    def _trim_partial_line(self) -> None:
        complete, partial = self._complete_bytes()
        if partial:
            logger.warning("Trimming a %d-byte partial line left by an interrupted run from %s.", partial, self.path)
            os.truncate(self.path, len(complete))

    def append(self, record: Mapping[str, Any]) -> None:
        """Append one finished run atomically (one ``os.write`` of the whole line, then ``fsync``)."""
        if "run_key" not in record:
            raise ValueError("A results record needs a 'run_key' field so that re-runs can skip it.")
        line = (json.dumps(record, ensure_ascii=False, sort_keys=True, default=_json_default) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._trim_partial_line()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, line)
            if written != len(line):  # pragma: no cover - only on a full disk
                raise OSError(f"Short write to {self.path}: {written} of {len(line)} bytes; the disk may be full.")
            os.fsync(fd)
        finally:
            os.close(fd)


def _json_default(value: Any) -> Any:
    """Serialise numpy scalars/arrays and paths that end up in configs and metrics."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serialisable")
