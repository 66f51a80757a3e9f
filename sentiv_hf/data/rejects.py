"""Bookkeeping of a dataset build: the rows it rejected (and why), and the summary it prints.

Every builder feeds one `RejectLog` per config and ends with a `BuildSummary`, which refuses to exist when the
counts do not add up (accepted + rejected must equal the input rows), so a silent drop is a bug caught at once.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REJECT_COLUMNS = ("source", "row", "reason", "raw")


class RejectedRowsError(ValueError):
    """Raised by a builder in strict mode when any row was rejected; the message gives the counts and the report."""


def _json_safe(value: object) -> object:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return str(value)


@dataclass
class RejectLog:
    """The rejected rows of one build, written to ``<out>/<config>/rejected.csv``.

    Args:
        source: the input the rows come from (a file path), written in the ``source`` column.

    Each entry has the source ``row`` (the builder documents its numbering, e.g. the 1-based data row of a table, or
    the audio file), a ``reason`` (a short category such as ``"unknown label"``, used for the counts) with an
    optional ``detail`` message, and the ``raw`` values of the row as JSON.

    Example:
        >>> log = RejectLog("train.xlsx")
        >>> log.add(3, "empty text", {"Sentence": None, "Emotion": "Fear"})
        >>> log.add(7, "unknown label", {"Sentence": "hi", "Emotion": "Joy"}, detail="Unknown label 'Joy'")
        >>> len(log), log.counts_by_reason()
        (2, {'empty text': 1, 'unknown label': 1})
    """

    source: str
    entries: list[tuple[object, str, str, str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.source = str(self.source)

    def add(self, row: object, reason: str, raw: Mapping | None = None, *, detail: str | None = None) -> None:
        """Record one rejected row; ``reason`` is counted, ``detail`` (when given) is appended in the CSV."""
        raw_json = json.dumps(_json_safe(dict(raw or {})), ensure_ascii=False)
        self.entries.append((row, reason, detail or "", raw_json))

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        # An empty log is still a log: ``if log:`` must not be confused with ``if log is not None``.
        return True

    def counts_by_reason(self) -> dict[str, int]:
        """Number of rejected rows per reason, most frequent first."""
        return dict(Counter(reason for _, reason, _, _ in self.entries).most_common())

    def messages(self) -> list[str]:
        """One human-readable line per rejected row, e.g. ``"row 3: empty text"``."""
        return [f"row {row}: {reason}{': ' + detail if detail else ''}" for row, reason, detail, _ in self.entries]

    def write_csv(self, path: str | os.PathLike) -> Path:
        """Write ``source,row,reason,raw`` rows (UTF-8, header always present, even with no rejection).

        The file is written next to ``path`` and renamed over it, so a reader never sees half a report.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        from .staging import atomic_path  # staging imports this module

        with atomic_path(path) as partial, partial.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(REJECT_COLUMNS)
            for row, reason, detail, raw in self.entries:
                writer.writerow((self.source, row, f"{reason}: {detail}" if detail else reason, raw))
        return path


@dataclass
class BuildSummary:
    """What one config build did; ``str(summary)`` is the report the CLI prints.

    Args:
        config: the config name (``text``, ``speech``, ``multimodal``).
        input_rows: rows read from the input.
        accepted: rows written to the dataset.
        rejected: rows written to ``rejected.csv``.
        by_reason: rejected rows per reason.
        split_sizes: accepted rows per split.
        rejects_path: where the rejected rows were written, if anywhere.
        label_counts: accepted rows per label, if known.
        warnings: problems with the result that are not rejections (e.g. a label class with no rows); each is
            printed as a ``warning:`` line.

    Raises:
        ValueError: when ``accepted + rejected != input_rows``, when the reasons do not sum to ``rejected``, or
            when the split sizes do not sum to ``accepted``.

    Example:
        >>> print(BuildSummary("text", 10, 9, 1, {"empty text": 1}, {"train": 7, "validation": 1, "test": 1}))
        text: 10 input rows -> 9 accepted, 1 rejected
          rejected: empty text 1
          splits: train 7, validation 1, test 1
    """

    config: str
    input_rows: int
    accepted: int
    rejected: int
    by_reason: dict[str, int] = field(default_factory=dict)
    split_sizes: dict[str, int] = field(default_factory=dict)
    rejects_path: Path | None = None
    label_counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.accepted + self.rejected != self.input_rows:
            raise ValueError(
                f"{self.config}: counts do not add up: {self.accepted} accepted + {self.rejected} rejected "
                f"!= {self.input_rows} input rows."
            )
        if self.by_reason and sum(self.by_reason.values()) != self.rejected:
            raise ValueError(f"{self.config}: reasons {self.by_reason} do not sum to {self.rejected} rejected rows.")
        if self.split_sizes and sum(self.split_sizes.values()) != self.accepted:
            raise ValueError(f"{self.config}: splits {self.split_sizes} do not sum to {self.accepted} accepted rows.")

    def to_dict(self) -> dict[str, object]:
        return {
            "config": self.config,
            "input_rows": self.input_rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "by_reason": dict(self.by_reason),
            "split_sizes": dict(self.split_sizes),
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
            "label_counts": dict(self.label_counts),
            "warnings": list(self.warnings),
        }

    def __str__(self) -> str:
        lines = [f"{self.config}: {self.input_rows} input rows -> {self.accepted} accepted, {self.rejected} rejected"]
        if self.by_reason:
            lines.append("  rejected: " + ", ".join(f"{reason} {n}" for reason, n in self.by_reason.items()))
        if self.split_sizes:
            lines.append("  splits: " + ", ".join(f"{name} {n}" for name, n in self.split_sizes.items()))
        if self.label_counts:
            lines.append("  labels: " + ", ".join(f"{name} {n}" for name, n in self.label_counts.items()))
        if self.rejects_path and self.rejected:
            lines.append(f"  rejected rows written to {self.rejects_path}")
        lines += [f"  warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)


__all__ = ["BuildSummary", "REJECT_COLUMNS", "RejectLog", "RejectedRowsError"]
