"""Whole hotline calls: fixed windows over a recording (the one definition `sentiv data build-calls`, the benchmark
and `sentiv predict-call` share), and the ``calls`` config built from a calls manifest and labelled time spans.

`build_calls_dataset` (``sentiv data build-calls``) reads

* a **calls manifest** (CSV, JSON Lines or XLSX, like build-speech's): ``call_id``, ``path`` (the whole recording,
  relative to ``audio_dir``) and ``caller_id``; optionally ``split``;
* an optional **annotation table**: ``call_id``, ``start``, ``end`` (seconds) and ``label`` (``;``-separated names
  for several labels at once). Spans of one call must not overlap (one span may carry several labels).

Each call is decoded once (FFmpeg through torchcodec, with build-speech's checks), downmixed to mono, resampled to
16 kHz and cut into segments: fixed windows (`segment_windows`, one config per ``segment_seconds``) or one segment
per annotated span. Each segment is stored as 16-bit FLAC bytes (24-bit when the recording has more than 16 bits).
Decoded audio is held for one call at a time and segments go to an Arrow file on disk, so memory follows the longest
call, not the dataset.

**Window labels** (`window_labels`): a span labels a window when they overlap by at least half the span or at least
half the window, ``overlap >= LABEL_OVERLAP * min(span length, window length)``. A short outburst inside a window
labels it; a long span labels every window it mostly covers; a span that only grazes a window's edge does not. A
window no span labels has no labels (``binary_label`` non-negative).

**Config names** (`calls_config_names`): the main config ``calls`` holds the 30 s windows when 30 is among the
lengths, else the first length given; every other length ``L`` is ``calls-<L>s`` (``calls-15s``, ``calls-7.5s``).
``--segment-seconds 15,30,45`` writes ``calls-15s``, ``calls`` and ``calls-45s``, with the same caller-disjoint
split, for the segment-length ablation. Each config's YAML entry under ``segments:`` records ``mode``,
``segment_seconds``, ``overlap``, ``label_rule`` and ``max_seconds`` (the longest segment, for the benchmark's
``max_seconds``); ``negative_labels:`` records the labels ``binary_label`` counts as negative.

Rejected manifest rows go to ``DIR/<config>/rejected.csv``; rejected annotation rows to
``DIR/<config>/spans.rejected.csv`` (neither is pushed). Reasons for a call: ``missing call id``, ``duplicate call
id``, ``missing caller id``, ``unknown split``, the audio reasons of build-speech (``missing audio file``, ``outside
audio dir``, ``undecodable audio``, ...), ``duplicate path``, ``no annotations`` (annotated mode) and ``rejected
annotations`` (a call with a bad span is not used: its windows' labels would be wrong). Reasons for a span:
``unknown call``, ``bad time``, ``out-of-range span`` (negative, ``start >= end``, or ``end`` past the recording),
``overlapping spans``, ``empty label``, ``unknown label`` (with ``labels``), ``too short`` (annotated mode) and
``call rejected`` (the span's call was rejected). Calls and spans each add up: accepted + rejected = input.

Layer: data. No torch at import.
"""

from __future__ import annotations

import io
import logging
import math
import os
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..labels import BINARY_LABELS, normalize_label_key, parse_label_aliases
from .audio import MIN_AUDIO_SAMPLES, to_mono
from .rejects import BuildSummary, RejectedRowsError, RejectLog
from .splits import SPLIT_NAMES, assign_splits, canonical_split_name
from .staging import STAGING_PREFIX, FolderStage, check_output_dir, write_failed_build_report

logger = logging.getLogger(__name__)

#: The hotline study's segment length.
DEFAULT_SEGMENT_SECONDS = 30.0
#: A tail window shorter than this fraction of ``segment_seconds`` is merged into the window before it.
MIN_TAIL_FRACTION = 0.5
#: A span labels a window when their overlap is at least this share of the shorter of the two.
LABEL_OVERLAP = 0.5
#: A span may end this many seconds past the decoded recording (annotation tools round); it is clipped to the end.
SPAN_END_TOLERANCE = 0.05
SAMPLING_RATE = 16000
CALLS_CONFIG = "calls"
SEGMENT_MODES = ("fixed", "annotated")
CALL_COLUMNS = ("call_id", "path", "caller_id")
OPTIONAL_CALL_COLUMNS = ("split",)
SPAN_COLUMNS = ("call_id", "start", "end", "label")
LABEL_RULE = (
    "a span labels a window when their overlap is >= 0.5 x min(span length, window length), i.e. at least half the "
    "span or half the window"
)
_SPAN_REPORT = "spans.rejected.csv"


def segment_windows(
    duration: float, segment_seconds: float = DEFAULT_SEGMENT_SECONDS, overlap: float = 0.0
) -> list[tuple[float, float]]:
    """Fixed windows ``(start, end)`` in seconds covering ``[0, duration]``.

    Windows start every ``segment_seconds - overlap`` seconds. The last window ends at ``duration``; when what is
    left after the previous window is shorter than half a window, it is not a window of its own but extends the
    previous one (so no window is shorter than ``segment_seconds / 2``, and none longer than 1.5 windows). A call
    shorter than one window is one window.

    Args:
        duration: length of the recording, in seconds (> 0).
        segment_seconds: window length (> 0).
        overlap: seconds shared by consecutive windows (0 <= overlap < segment_seconds).

    Example:
        >>> segment_windows(70.0, 30.0)
        [(0.0, 30.0), (30.0, 70.0)]
        >>> segment_windows(80.0, 30.0)
        [(0.0, 30.0), (30.0, 60.0), (60.0, 80.0)]
        >>> segment_windows(50.0, 30.0, overlap=10.0)
        [(0.0, 30.0), (20.0, 50.0)]
        >>> segment_windows(12.0, 30.0)
        [(0.0, 12.0)]
    """
    if not segment_seconds > 0:
        raise ValueError(f"segment_seconds must be > 0, got {segment_seconds!r}.")
    if not 0 <= overlap < segment_seconds:
        raise ValueError(f"overlap must be >= 0 and < segment_seconds ({segment_seconds:g}), got {overlap!r}.")
    if not (duration > 0 and math.isfinite(duration)):
        raise ValueError(f"duration must be a positive number of seconds, got {duration!r}.")
    hop = segment_seconds - overlap
    windows: list[tuple[float, float]] = []
    start = 0.0
    while True:
        end = start + segment_seconds
        rest = duration - end
        if rest <= 1e-9 or rest + overlap < MIN_TAIL_FRACTION * segment_seconds:
            windows.append((round(start, 6), round(duration, 6)))
            return windows
        windows.append((round(start, 6), round(end, 6)))
        start += hop


def window_labels(window: tuple[float, float], spans: Sequence[tuple[float, float, Sequence[str]]]) -> list[str]:
    """The labels a window takes from the spans it overlaps (the rule of the module docstring).

    A span labels the window when ``overlap >= LABEL_OVERLAP * min(span length, window length)``: at least half
    the span lies in the window, or the span covers at least half the window. Labels keep the spans' order, without
    repeats.

    Args:
        window: ``(start, end)`` in seconds.
        spans: ``(start, end, labels)`` triples in seconds.

    Example:
        >>> window_labels((0.0, 30.0), [(25.0, 40.0, ["anger"]), (10.0, 12.0, ["grief"])])
        ['grief']
        >>> window_labels((30.0, 60.0), [(25.0, 40.0, ["anger"])])
        ['anger']
        >>> window_labels((0.0, 30.0), [(0.0, 90.0, ["despair", "pain"])])
        ['despair', 'pain']
    """
    start, end = window
    labels: dict[str, None] = {}
    for span_start, span_end, names in spans:
        overlap = min(end, span_end) - max(start, span_start)
        if overlap > 0 and overlap >= LABEL_OVERLAP * min(span_end - span_start, end - start) - 1e-9:
            labels.update(dict.fromkeys(names))
    return list(labels)


def parse_segment_seconds(value: float | str | Sequence[float] | None) -> list[float]:
    """Segment lengths from ``30``, ``"15,30,45"`` or ``[15, 30]``; each > 0, no repeats, order kept.

    Example:
        >>> parse_segment_seconds("15, 30,45")
        [15.0, 30.0, 45.0]
    """
    if value is None:
        return [DEFAULT_SEGMENT_SECONDS]
    parts = value.split(",") if isinstance(value, str) else value if isinstance(value, Sequence) else [value]
    lengths: list[float] = []
    for part in parts:
        try:
            seconds = float(part)
        except (TypeError, ValueError):
            raise ValueError(
                f"--segment-seconds {value!r}: {part!r} is not a number of seconds; give e.g. 30 or 15,30,45."
            ) from None
        if not (seconds > 0 and math.isfinite(seconds)):
            raise ValueError(f"--segment-seconds {value!r}: every length must be > 0 seconds, got {part!r}.")
        if seconds not in lengths:
            lengths.append(seconds)
    if not lengths:
        raise ValueError("--segment-seconds is empty; give e.g. 30 or 15,30,45.")
    return lengths


def calls_config_names(lengths: Sequence[float]) -> dict[float, str]:
    """Config name per segment length: ``calls`` for 30 s when 30 is listed (else the first length), and
    ``calls-<L>s`` for every other length.

    Example:
        >>> calls_config_names([15.0, 30.0, 45.0])
        {15.0: 'calls-15s', 30.0: 'calls', 45.0: 'calls-45s'}
        >>> calls_config_names([4.0])
        {4.0: 'calls'}
    """
    main = DEFAULT_SEGMENT_SECONDS if DEFAULT_SEGMENT_SECONDS in lengths else lengths[0]
    return {length: CALLS_CONFIG if length == main else f"{CALLS_CONFIG}-{length:g}s" for length in lengths}


@dataclass
class _Span:
    row: int
    raw: dict
    call_id: str
    start: float
    end: float
    keys: list[str]


@dataclass
class _Call:
    row: int
    raw: dict
    call_id: str
    path: Path
    path_cell: str
    speaker_id: str  # the caller; named as build-speech's rows so its split helpers apply
    split: str | None
    spans: list[_Span] = field(default_factory=list)


@dataclass
class _Segment:
    config: str
    index: int
    start: float
    end: float
    flac: bytes
    keys: list[str]


@dataclass
class _Rejection:
    """Why a call is not used; ``span`` is the annotation row at fault, if one is, with its own ``span_reason``."""

    reason: str
    detail: str
    span: _Span | None = None
    span_reason: str = ""


@dataclass
class CallsBuildSummary:
    """What `build_calls_dataset` did; ``str(summary)`` is the report ``sentiv data build-calls`` prints.

    Args:
        calls: manifest rows in, calls accepted / rejected (with reasons), accepted calls per split.
        spans: annotation rows in, spans accepted / rejected; ``None`` without an annotation table.
        segments: per config, segments per split.
        label_counts: per config, segments per label.
        binary_counts: per config, segments per binary label.
        warnings: problems with the result that are not rejections.

    Example:
        >>> print(CallsBuildSummary(BuildSummary("calls", 3, 3, 0), None, {"calls": {"train": 8}}))
        calls: 3 input rows -> 3 accepted, 0 rejected
          segments: calls: train 8
    """

    calls: BuildSummary
    spans: BuildSummary | None
    segments: dict[str, dict[str, int]]
    label_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    binary_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = str(self.calls).splitlines()
        if self.spans is not None:
            lines += str(self.spans).splitlines()
        for config, sizes in self.segments.items():
            lines.append(f"  segments: {config}: " + ", ".join(f"{split} {n}" for split, n in sizes.items()))
            if self.label_counts.get(config):
                lines.append("    labels: " + ", ".join(f"{k} {n}" for k, n in self.label_counts[config].items()))
            if self.binary_counts.get(config):
                lines.append("    binary: " + ", ".join(f"{k} {n}" for k, n in self.binary_counts[config].items()))
        lines += [f"  warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)


def build_calls_dataset(
    manifest: str | os.PathLike,
    audio_dir: str | os.PathLike | None,
    out_dir: str | os.PathLike,
    *,
    annotations: str | os.PathLike | None = None,
    segments: str = "fixed",
    segment_seconds: float | str | Sequence[float] | None = None,
    overlap: float = 0.0,
    labels: Sequence[str] | str | None = None,
    negative_labels: Sequence[str] | str | None = None,
    label_aliases: Mapping[str, str] | Sequence[str] | None = None,
    allow_outside_audio_dir: bool = False,
    split_seed: int = 42,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    strict: bool = False,
    max_workers: int | None = None,
    description: str = "",
) -> CallsBuildSummary:
    """Cut whole call recordings into labelled segments and write the ``calls`` config(s) of a dataset folder.

    Columns of every config: ``id`` (``<call_id>-<segment_index:04d>``), ``audio`` (16 kHz mono FLAC, ``Audio``),
    ``labels`` (``Sequence(ClassLabel(names))``), ``binary_label`` (``ClassLabel(["non-negative", "negative"])``),
    ``call_id``, ``segment_index`` (int32, from 0 in time order), ``start``, ``end``, ``duration`` (float32 s) and
    ``speaker_id`` (the caller). Splits are caller-disjoint (generated, stratified on ``binary_label``, unless the
    manifest has ``split``) and the same in every config.

    Args:
        manifest: calls manifest with ``call_id``, ``path``, ``caller_id`` (+ optional ``split``); column names match
            case-insensitively.
        audio_dir: the folder ``path`` is relative to; ``None`` means the manifest's folder. Every file must lie
            inside it once symlinks and ``..`` are resolved, unless ``allow_outside_audio_dir``.
        out_dir: the dataset folder (shared with the other configs and its card).
        annotations: table of labelled spans (``call_id``, ``start``, ``end``, ``label``); without it every segment
            is unlabelled.
        segments: ``"fixed"`` windows or ``"annotated"`` (one segment per span; calls without spans are rejected).
        segment_seconds: fixed window length(s): a number, a list, or ``"15,30,45"`` (one config per length, named
            as `calls_config_names`); default 30.
        overlap: seconds shared by consecutive fixed windows.
        labels: the declared fine-grained label set (list or comma-separated); a span with another label is
            rejected as ``unknown label``. By default the names are taken from the accepted spans.
        negative_labels: the labels that make ``binary_label`` negative, as build-speech's ``--negative_labels``
            (default: every label except Enjoyment, Neutral, Surprise and None).
        label_aliases: ``{"raw": "label"}`` or ``["raw=label"]``, applied to span labels first.
        allow_outside_audio_dir: embed segments of files outside ``audio_dir`` instead of rejecting them.
        split_seed: seed of the generated split.
        fractions: train / validation / test shares of the generated split.
        strict: raise on any rejected call or span; the folder is left as it was and the rejected rows go to
            ``out_dir/calls.rejected.csv`` (and ``calls.spans.rejected.csv``).
        max_workers: threads that decode and encode calls (default: up to 4).
        description: Markdown put first in each config's section of the card (the demo's note).

    Returns:
        A `CallsBuildSummary` (printed by the CLI, only logged here).

    Raises:
        DataFileError: a table is missing or unreadable.
        ValueError: a required column is missing, a bad option (``segments``, ``segment_seconds``, ``overlap``,
            ``negative_labels`` naming a label no span has), or no call survives.
        RejectedRowsError: ``strict`` and something was rejected.
        UserError: ``out_dir`` is a file or not writable.

    Example:
        >>> summary = build_calls_dataset(  # doctest: +SKIP
        ...     "calls.csv", "recordings/", "sentiv-data", annotations="spans.csv", segment_seconds="15,30,45"
        ... )
        >>> print(summary)  # doctest: +SKIP
        calls: 105 input rows -> 105 accepted, 0 rejected
    """
    from .speech import _MultiLabelNames, _negative_keys, _resolve_columns
    from .tables import read_table

    if segments not in SEGMENT_MODES:
        raise ValueError(f"--segments {segments!r}: choose one of {list(SEGMENT_MODES)}.")
    if segments == "annotated":
        if annotations is None:
            raise ValueError("--segments annotated cuts one segment per span; pass the spans with --annotations.")
        if segment_seconds is not None or overlap:
            raise ValueError("--segment-seconds and --overlap apply to --segments fixed only; drop them.")
        lengths: list[float] = []
        names_by_length = {None: CALLS_CONFIG}
    else:
        lengths = parse_segment_seconds(segment_seconds)
        for length in lengths:
            segment_windows(length, length, overlap)  # checks overlap against every length
        names_by_length = calls_config_names(lengths)
    config_names = list(names_by_length.values())

    manifest = Path(manifest)
    out_dir = check_output_dir(out_dir)
    audio_root = Path(audio_dir) if audio_dir is not None else manifest.parent
    table = read_table(manifest)
    cols = _resolve_columns(list(table.columns), manifest, CALL_COLUMNS, OPTIONAL_CALL_COLUMNS, "A calls manifest")
    if "split" in cols and not any(_present(v) for v in table[cols["split"]]):
        logger.warning("The calls manifest's split column is empty everywhere; generating a split instead.")
        del cols["split"]
    calls_log = RejectLog(str(manifest))
    calls = _read_calls(table, cols, audio_root, allow_outside_audio_dir, calls_log)
    n_calls = len(table)

    ml_names = _MultiLabelNames(parse_label_aliases(label_aliases))
    declared = None
    if labels is not None:
        declared = [n.strip() for n in (labels.split(",") if isinstance(labels, str) else labels) if n.strip()]
        if not declared:
            raise ValueError("--labels is empty; name the fine-grained labels, comma-separated.")
    spans_log: RejectLog | None = None
    bad_rows: dict[str, list[int]] = {}
    n_spans = 0
    all_ids = {_clean(raw.get(cols["call_id"])) for raw in table.to_dict(orient="records")}
    if annotations is not None:
        annotations = Path(annotations)
        spans_table = read_table(annotations)
        span_cols = _resolve_columns(
            list(spans_table.columns), annotations, SPAN_COLUMNS, (), "An annotation table", "Annotation table"
        )
        spans_log = RejectLog(str(annotations))
        n_spans = len(spans_table)
        bad_rows = _read_spans(spans_table, span_cols, calls, all_ids, ml_names, declared, spans_log)

    canonical = ml_names.canonical()
    for name in declared or ():
        canonical.setdefault(ml_names.lookup(name), name.strip())
    negative_keys = _negative_keys(negative_labels, ml_names, canonical)

    # Calls with a bad span or (annotated mode) no span at all are not cut.
    usable: list[_Call] = []
    for call in calls.values():
        reason = _call_problem(call, bad_rows, segments)
        if reason is None:
            usable.append(call)
        else:
            _reject_call(call, *reason, calls_log, spans_log)

    kept: list[_Call] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    # Segments are written to disk call by call; the folder is hidden and never pushed, like a staging folder.
    with tempfile.TemporaryDirectory(prefix=f"{STAGING_PREFIX}calls-", dir=out_dir) as tmp:
        writers = _SegmentWriters(Path(tmp), config_names, negative_keys, canonical)
        results = _cut_many(usable, segments, lengths, names_by_length, overlap, max_workers)
        for call, result in zip(usable, results):
            if isinstance(result, _Rejection):
                if result.span is not None:
                    spans_log.add(result.span.row, result.span_reason, result.span.raw, detail=result.detail)
                    call.spans.remove(result.span)
                _reject_call(call, result.reason, result.detail, calls_log, spans_log)
                continue
            kept.append(call)
            writers.write(call, result)
        datasets_by_config = writers.finish()
        calls_log.entries.sort(key=lambda e: e[0])
        if spans_log is not None:
            spans_log.entries.sort(key=lambda e: e[0])
        rejected = len(calls_log) + (len(spans_log) if spans_log is not None else 0)
        if strict and rejected:
            reports = _write_failed_reports(out_dir, calls_log, spans_log)
            raise RejectedRowsError(
                f"--strict: {len(calls_log)} of {n_calls} calls and "
                f"{len(spans_log) if spans_log is not None else 0} of {n_spans} annotation rows were rejected "
                f"({_reasons(calls_log, spans_log)}); see {' and '.join(map(str, reports))}. Fix them or drop "
                "--strict."
            )
        if not kept:
            reports = _write_failed_reports(out_dir, calls_log, spans_log)
            raise ValueError(
                f"No usable call in {manifest}: all {n_calls} were rejected ({_reasons(calls_log, spans_log)}); "
                f"see {' and '.join(map(str, reports))}."
            )
        return _write_configs(
            out_dir,
            manifest,
            datasets_by_config,
            kept,
            calls_log,
            spans_log,
            n_calls,
            n_spans,
            segments=segments,
            names_by_length=names_by_length,
            overlap=overlap,
            negative_keys=negative_keys,
            negative_default=negative_labels is None,
            has_annotations=annotations is not None,
            split_seed=split_seed,
            fractions=fractions,
            description=description,
            declared=None if declared is None else [canonical[ml_names.lookup(n)] for n in declared],
        )


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and str(value).strip() != ""


def _clean(value: object) -> str | None:
    return unicodedata.normalize("NFC", str(value)).strip() if _present(value) else None


def _read_calls(
    table, cols: Mapping[str, str], audio_root: Path, allow_outside: bool, log: RejectLog
) -> dict[str, _Call]:  # noqa: ANN001  (a pandas.DataFrame)
    """The manifest's usable rows by call id; bad rows go to ``log`` (1-based data rows, header not counted)."""
    from .speech import _locate

    inside = None if allow_outside else Path(os.path.realpath(audio_root))
    calls: dict[str, _Call] = {}
    by_file: dict[str, int] = {}
    for i, raw in enumerate(table.to_dict(orient="records")):
        row_no, raw = i + 1, {str(k): v for k, v in raw.items()}
        call_id = _clean(raw[cols["call_id"]])
        if call_id is None:
            log.add(row_no, "missing call id", raw, detail="the call_id cell is empty; give every call an id")
            continue
        if call_id in calls:
            log.add(
                row_no, "duplicate call id", raw, detail=f"call {call_id!r} is already on row {calls[call_id].row}"
            )
            continue
        path_cell = raw[cols["path"]]
        if not _present(path_cell):
            log.add(row_no, "missing audio file", raw, detail=f"call {call_id!r}: the path cell is empty")
            continue
        path_cell = str(path_cell).strip()
        path = _locate(path_cell, audio_root)
        real = os.path.normcase(os.path.realpath(path))
        if inside is not None and not Path(real).is_relative_to(inside):
            log.add(
                row_no,
                "outside audio dir",
                raw,
                detail=f"call {call_id!r}: {path_cell} resolves to {real}, outside the audio folder {inside}; move "
                "the file into it, or pass --allow-outside-audio-dir",
            )
            continue
        if real in by_file:
            log.add(
                row_no,
                "duplicate path",
                raw,
                detail=f"call {call_id!r}: {path_cell} is already on row {by_file[real]}",
            )
            continue
        caller = _clean(raw[cols["caller_id"]])
        if caller is None:
            log.add(
                row_no,
                "missing caller id",
                raw,
                detail=f"call {call_id!r}: the caller_id cell is empty; splits are by caller, so every call needs one",
            )
            continue
        split = None
        if "split" in cols:
            split = canonical_split_name(raw[cols["split"]])
            if split is None:
                log.add(
                    row_no,
                    "unknown split",
                    raw,
                    detail=f"call {call_id!r}: split {raw[cols['split']]!r} is not one of {list(SPLIT_NAMES)}",
                )
                continue
        by_file[real] = row_no
        calls[call_id] = _Call(row_no, raw, call_id, path, path_cell, caller, split)
    return calls


def _read_spans(
    table,  # noqa: ANN001  (a pandas.DataFrame)
    cols: Mapping[str, str],
    calls: Mapping[str, _Call],
    all_ids: set[str | None],
    names,  # noqa: ANN001  (speech._MultiLabelNames)
    declared: Sequence[str] | None,
    log: RejectLog,
) -> dict[str, list[int]]:
    """Attach each valid span to its call; bad span rows go to ``log`` with a one-line reason naming the fix.

    Returns the rejected annotation rows of each call of ``calls`` (such a call is rejected as well)."""
    declared_keys = {names.lookup(n): n for n in declared} if declared is not None else None
    bad_rows: dict[str, list[int]] = {}

    def reject(row_no: int, reason: str, raw: dict, detail: str, call_id: str | None) -> None:
        log.add(row_no, reason, raw, detail=detail)
        if call_id in calls:
            bad_rows.setdefault(call_id, []).append(row_no)

    for i, raw in enumerate(table.to_dict(orient="records")):
        row_no, raw = i + 1, {str(k): v for k, v in raw.items()}
        call_id = _clean(raw[cols["call_id"]])
        if call_id not in all_ids or call_id is None:
            log.add(
                row_no,
                "unknown call",
                raw,
                detail=f"call_id {call_id!r} is not in the calls manifest; add the call there or fix the id",
            )
            continue
        times = []
        for column in ("start", "end"):
            cell = raw[cols[column]]
            try:
                times.append(float(cell))
            except (TypeError, ValueError):
                times.append(math.nan)
            if not math.isfinite(times[-1]):
                break
        if len(times) < 2 or not all(math.isfinite(t) for t in times):
            detail = f"call {call_id!r}: {column} {raw[cols[column]]!r} is not a number of seconds"
            reject(row_no, "bad time", raw, detail, call_id)
            continue
        start, end = times
        if start < 0 or start >= end:
            problem = (
                f"start {start:g} s is negative" if start < 0 else f"start {start:g} s is not before end {end:g} s"
            )
            reject(row_no, "out-of-range span", raw, f"call {call_id!r}: {problem}; fix the times", call_id)
            continue
        cell = raw[cols["label"]]
        if not _present(cell):
            reject(
                row_no, "empty label", raw, f"call {call_id!r}: the label cell is empty; name the label(s)", call_id
            )
            continue
        if declared_keys is not None:
            unknown = [p.strip() for p in str(cell).split(";") if p.strip() and names.lookup(p) not in declared_keys]
            if unknown:
                detail = (
                    f"call {call_id!r}: {', '.join(unknown)} not in --labels {list(declared)}; add it there or map it "
                    "with --label-alias RAW=LABEL"
                )
                reject(row_no, "unknown label", raw, detail, call_id)
                continue
        keys = names.parse(cell)
        if call_id in calls:
            calls[call_id].spans.append(_Span(row_no, raw, call_id, start, end, keys))
        else:  # a call of the manifest that was rejected there
            log.add(row_no, "call rejected", raw, detail=f"call {call_id!r} was rejected; see rejected.csv")
    for call in calls.values():
        call.spans.sort(key=lambda s: (s.start, s.end))
        bad: dict[int, str] = {}
        for prev, span in zip(call.spans, call.spans[1:]):
            if span.start < prev.end - 1e-9:
                detail = (
                    f"call {call.call_id!r}: rows {prev.row} ({prev.start:g}-{prev.end:g} s) and {span.row} "
                    f"({span.start:g}-{span.end:g} s) overlap; merge them into one span with ';'-separated labels or "
                    "fix the times"
                )
                bad.setdefault(prev.row, detail)
                bad.setdefault(span.row, detail)
        for span in call.spans:
            if span.row in bad:
                reject(span.row, "overlapping spans", span.raw, bad[span.row], call.call_id)
        call.spans = [s for s in call.spans if s.row not in bad]
    return bad_rows


def _call_problem(call: _Call, bad_rows: Mapping[str, list[int]], mode: str) -> tuple[str, str] | None:
    """Why a call cannot be cut before decoding it: a rejected span, or (annotated mode) no span at all."""
    rows = sorted(bad_rows.get(call.call_id, ()))
    if rows:
        return (
            "rejected annotations",
            f"call {call.call_id!r}: annotation row(s) {', '.join(map(str, rows))} were rejected (see "
            f"{_SPAN_REPORT}); fix them, since the call's labels would be wrong without them",
        )
    if mode == "annotated" and not call.spans:
        return "no annotations", f"call {call.call_id!r} has no annotated span; --segments annotated needs spans"
    return None


def _reject_call(call: _Call, reason: str, detail: str, calls_log: RejectLog, spans_log: RejectLog | None) -> None:
    calls_log.add(call.row, reason, call.raw, detail=detail)
    for span in call.spans:  # spans that were fine on their own are not used either
        assert spans_log is not None
        spans_log.add(span.row, "call rejected", span.raw, detail=f"call {call.call_id!r} was rejected ({reason})")
    call.spans = []


def _flac_subtype(path: Path) -> str:
    """The FLAC sample format of a call's segments: 24 bits for recordings with more than 16, else 16.

    Never 8 bits: FFmpeg (so torchcodec and ``datasets``) stops early in 8-bit FLAC that holds digital silence, and
    FLAC stores 8-bit material in a 16-bit stream at about the same size (it drops the unused low bits).
    """
    import soundfile

    try:
        subtype = soundfile.info(str(path)).subtype
    except Exception:  # formats libsndfile does not read (m4a, ...): FFmpeg decoded them; 16 bits is their norm
        subtype = ""
    return "PCM_24" if subtype in ("PCM_24", "PCM_32", "FLOAT", "DOUBLE") else "PCM_16"


def _encode_flac(samples: np.ndarray, subtype: str) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(samples, -1.0, 1.0), SAMPLING_RATE, format="FLAC", subtype=subtype)
    return buffer.getvalue()


def _cut_call(
    call: _Call,
    mode: str,
    lengths: Sequence[float],
    names_by_length: Mapping[float | None, str],
    overlap: float,
) -> list[_Segment] | _Rejection:
    """Decode one call, check its spans against its length, cut and encode its segments; or why it is rejected."""
    import torch

    from .speech import AudioDecodeError, decode_checked

    try:
        samples, info = decode_checked(call.path)
    except AudioDecodeError as err:
        return _Rejection(err.reason, f"call {call.call_id!r}: {call.path_cell}: {err.detail}")
    for span in call.spans:
        if span.end > info.duration + SPAN_END_TOLERANCE:
            detail = (
                f"call {call.call_id!r}: annotation row {span.row} ends at {span.end:g} s but the recording "
                f"{call.path_cell} is {info.duration:.3f} s long; fix the span's end"
            )
            return _Rejection("rejected annotations", detail, span, "out-of-range span")
    subtype = _flac_subtype(call.path)
    waveform = to_mono(samples.numpy())
    del samples
    if info.sample_rate != SAMPLING_RATE:
        import torchaudio.functional as F

        waveform = F.resample(torch.from_numpy(np.ascontiguousarray(waveform)), info.sample_rate, SAMPLING_RATE)
        waveform = waveform.numpy()
    duration = waveform.shape[-1] / SAMPLING_RATE
    spans = [(s.start, min(s.end, duration), s.keys) for s in call.spans]
    out: list[_Segment] = []
    if mode == "annotated":
        for index, (start, end, keys) in enumerate(spans):
            piece = waveform[round(start * SAMPLING_RATE) : round(end * SAMPLING_RATE)]
            if piece.size < MIN_AUDIO_SAMPLES:
                span = call.spans[index]
                detail = (
                    f"call {call.call_id!r}: annotation row {span.row} ({start:g}-{end:g} s) is under "
                    f"{MIN_AUDIO_SAMPLES * 1000 // SAMPLING_RATE} ms, too short for the speech encoders; widen it"
                )
                return _Rejection("rejected annotations", detail, span, "too short")
            out.append(_Segment(names_by_length[None], index, start, end, _encode_flac(piece, subtype), list(keys)))
        return out
    for length in lengths:
        for index, (start, end) in enumerate(segment_windows(duration, length, overlap)):
            piece = waveform[round(start * SAMPLING_RATE) : round(end * SAMPLING_RATE)]
            keys = window_labels((start, end), spans)
            out.append(_Segment(names_by_length[length], index, start, end, _encode_flac(piece, subtype), keys))
    return out


def _cut_many(
    calls: Sequence[_Call],
    mode: str,
    lengths: Sequence[float],
    names_by_length: Mapping[float | None, str],
    overlap: float,
    max_workers: int | None,
) -> Iterator[list[_Segment] | _Rejection]:
    """`_cut_call` over the calls in a thread pool (FFmpeg and libsndfile run outside the GIL), in order; only a
    few calls are in flight at once, so memory follows the longest calls, not the dataset."""
    from tqdm.auto import tqdm

    workers = max_workers or min(4, os.cpu_count() or 1)
    with (
        ThreadPoolExecutor(max_workers=workers) as pool,
        tqdm(total=len(calls), desc="Cutting calls", disable=len(calls) < 20) as bar,
    ):
        for begin in range(0, len(calls), 2 * workers):
            chunk = calls[begin : begin + 2 * workers]
            futures = [pool.submit(_cut_call, call, mode, lengths, names_by_length, overlap) for call in chunk]
            for future in futures:
                yield future.result()
                bar.update()


class _SegmentWriters:
    """One Arrow file per config in a temporary folder; segments are appended call by call."""

    def __init__(self, folder: Path, configs: Sequence[str], negative_keys: set[str], canonical: Mapping[str, str]):
        from datasets import Audio, ClassLabel, Features, Value
        from datasets import Sequence as SequenceFeature
        from datasets.arrow_writer import ArrowWriter

        self.negative_keys = negative_keys
        self.canonical = canonical
        self.features = Features(
            {
                "id": Value("string"),
                "audio": Audio(sampling_rate=SAMPLING_RATE, num_channels=1),
                "labels": SequenceFeature(Value("string")),  # names become a ClassLabel once the set is known
                "binary_label": ClassLabel(names=list(BINARY_LABELS)),
                "call_id": Value("string"),
                "segment_index": Value("int32"),
                "start": Value("float32"),
                "end": Value("float32"),
                "duration": Value("float32"),
                "speaker_id": Value("string"),
            }
        )
        self.paths = {config: folder / f"{config}.arrow" for config in configs}
        self.writers = {
            config: ArrowWriter(features=self.features, path=str(path), writer_batch_size=64)
            for config, path in self.paths.items()
        }

    def write(self, call: _Call, segments: Sequence[_Segment]) -> None:
        for segment in segments:
            names = [self.canonical[k] for k in segment.keys]
            binary = "negative" if any(k in self.negative_keys for k in segment.keys) else "non-negative"
            segment_id = f"{call.call_id}-{segment.index:04d}"
            example = {
                "id": segment_id,
                "audio": {"bytes": segment.flac, "path": f"{segment_id}.flac"},
                "labels": names,
                "binary_label": BINARY_LABELS.index(binary),
                "call_id": call.call_id,
                "segment_index": segment.index,
                "start": segment.start,
                "end": segment.end,
                "duration": segment.end - segment.start,
                "speaker_id": call.speaker_id,
            }
            self.writers[segment.config].write(self.features.encode_example(example))

    def finish(self) -> dict[str, object]:
        from datasets import Dataset

        out = {}
        for config, writer in self.writers.items():
            writer.finalize()
            writer.close()
            out[config] = Dataset.from_file(str(self.paths[config]))
        return out


def _reasons(calls_log: RejectLog, spans_log: RejectLog | None) -> str:
    parts = [f"calls: {calls_log.counts_by_reason()}"]
    if spans_log is not None:
        parts.append(f"spans: {spans_log.counts_by_reason()}")
    return "; ".join(parts)


def _write_failed_reports(out_dir: Path, calls_log: RejectLog, spans_log: RejectLog | None) -> list[Path]:
    reports = [write_failed_build_report(calls_log, out_dir, CALLS_CONFIG)]
    if spans_log is not None:
        reports.append(spans_log.write_csv(out_dir / f"{CALLS_CONFIG}.{_SPAN_REPORT}"))
    return reports


def _write_configs(
    out_dir: Path,
    manifest: Path,
    datasets_by_config: Mapping[str, object],
    kept: Sequence[_Call],
    calls_log: RejectLog,
    spans_log: RejectLog | None,
    n_calls: int,
    n_spans: int,
    *,
    segments: str,
    names_by_length: Mapping[float | None, str],
    overlap: float,
    negative_keys: set[str],
    negative_default: bool,
    has_annotations: bool,
    split_seed: int,
    fractions: Sequence[float],
    description: str,
    declared: Sequence[str] | None,
) -> CallsBuildSummary:
    """Name the label classes, split by caller and stage every config with its card entry and reject reports."""
    from datasets import ClassLabel
    from datasets import Sequence as SequenceFeature

    from .hub import stage_config
    from .speech import _one_class_warning, _warn_speaker_overlap

    main = datasets_by_config[CALLS_CONFIG]
    # Names come from the accepted segments of every config (a name only rejected spans had would be an empty
    # class), or are the declared --labels in their order, so that separate builds share class ids.
    names = (
        list(declared)
        if declared is not None
        else sorted(
            {n for ds in datasets_by_config.values() for row in ds.data.column("labels").to_pylist() for n in row}
        )
    )
    negative = [n for n in names if normalize_label_key(n) in negative_keys]
    binary_main = [BINARY_LABELS[i] for i in main.data.column("binary_label").to_pylist()]
    warnings = _one_class_warning(binary_main, names, negative, negative_default) if has_annotations else []
    if not has_annotations:
        warnings.append("no --annotations: every segment is unlabelled (binary_label non-negative)")

    if all(call.split is not None for call in kept):  # the manifest's split column
        _warn_speaker_overlap(kept, [call.split for call in kept])
        split_of_call = {call.call_id: call.split for call in kept}
    else:
        # Stratified on the main config's segments, whole callers at a time; every config shares it.
        callers = main.data.column("speaker_id").to_pylist()
        by_caller = dict(
            zip(callers, assign_splits(binary_main, groups=callers, fractions=fractions, seed=split_seed))
        )
        split_of_call = {call.call_id: by_caller.get(call.speaker_id, "train") for call in kept}

    summaries_segments: dict[str, dict[str, int]] = {}
    label_counts: dict[str, dict[str, int]] = {}
    binary_counts: dict[str, dict[str, int]] = {}
    length_of = {name: length for length, name in names_by_length.items()}
    with FolderStage(out_dir) as stage:
        for config, dataset in datasets_by_config.items():
            features = dataset.features.copy()
            features["labels"] = SequenceFeature(ClassLabel(names=names))
            dataset = dataset.cast(features)
            split_of = [split_of_call[c] for c in dataset.data.column("call_id").to_pylist()]
            by_split = {
                split: dataset.select([i for i, s in enumerate(split_of) if s == split])
                for split in SPLIT_NAMES
                if split in split_of
            }
            durations = dataset.data.column("duration").to_pylist()
            meta = {
                "mode": segments,
                "segment_seconds": length_of[config],
                "overlap": overlap if segments == "fixed" else None,
                "label_rule": LABEL_RULE if segments == "fixed" else "one segment per annotated span, with its labels",
                "max_seconds": round(max(durations), 3),
            }
            stage_config(
                stage,
                config,
                by_split,
                description=_config_description(description, manifest, meta, negative, negative_default),
                rejects=calls_log,
                negative_labels=negative,
                segments={k: v for k, v in meta.items() if v is not None},
            )
            if spans_log is not None:
                spans_log.write_csv(stage.config_dir(config) / _SPAN_REPORT)
            summaries_segments[config] = {s: len(d) for s, d in by_split.items()}
            counts = Counter(n for row in dataset.data.column("labels").to_pylist() for n in row)
            label_counts[config] = {names[i]: counts[i] for i in range(len(names)) if counts.get(i)}
            binary = Counter(dataset.data.column("binary_label").to_pylist())
            binary_counts[config] = {BINARY_LABELS[i]: binary[i] for i in range(len(BINARY_LABELS)) if binary.get(i)}
    (out_dir / f"{CALLS_CONFIG}.{_SPAN_REPORT}").unlink(missing_ok=True)

    splits_of_calls = [split_of_call[call.call_id] for call in kept]
    calls_summary = BuildSummary(
        CALLS_CONFIG,
        n_calls,
        len(kept),
        len(calls_log),
        calls_log.counts_by_reason(),
        {s: splits_of_calls.count(s) for s in SPLIT_NAMES if s in splits_of_calls},
        out_dir / CALLS_CONFIG / "rejected.csv",
    )
    spans_summary = None
    if spans_log is not None:
        used = sum(len(call.spans) for call in kept)
        spans_summary = BuildSummary(
            "spans",
            n_spans,
            used,
            len(spans_log),
            spans_log.counts_by_reason(),
            rejects_path=out_dir / CALLS_CONFIG / _SPAN_REPORT,
        )
    summary = CallsBuildSummary(
        calls_summary, spans_summary, summaries_segments, label_counts, binary_counts, warnings
    )
    for warning in warnings:
        logger.warning("%s", warning)
    logger.info("%s", summary)
    return summary


def _config_description(
    note: str, manifest: Path, meta: Mapping[str, object], negative: Sequence[str], default: bool
) -> str:
    from .speech import _binary_description

    if meta["mode"] == "fixed":
        cut = (
            f"fixed {meta['segment_seconds']:g} s windows"
            + (f" overlapping by {meta['overlap']:g} s" if meta["overlap"] else "")
            + " (a tail under half a window joins the window before it); a window's labels are those of the spans "
            "that overlap it by at least half the span or half the window"
        )
    else:
        cut = "one segment per annotated span, with the span's labels"
    text = (
        f"Segments of whole call recordings, built from `{manifest.name}` by `sentiv data build-calls`: {cut}. "
        f"The longest segment is {meta['max_seconds']:g} s. Audio is 16 kHz mono FLAC. Columns `call_id`, "
        "`segment_index`, `start` and `end` (seconds) place each segment in its call; `speaker_id` is the caller, "
        "and the splits are caller-disjoint. " + _binary_description(negative, default)
    )
    return f"{note.strip()}\n\n{text}" if note.strip() else text


__all__ = [
    "CALLS_CONFIG",
    "DEFAULT_SEGMENT_SECONDS",
    "LABEL_OVERLAP",
    "CallsBuildSummary",
    "build_calls_dataset",
    "calls_config_names",
    "parse_segment_seconds",
    "segment_windows",
    "window_labels",
]
