"""Build the ``text`` config of a SentiV dataset folder from a release table (``train.xlsx``, CSV, Parquet, JSONL).

What happens to each input row, in this order (the first failing check is the row's rejection reason):

1. The text is NFC-normalised (Vietnamese diacritics come both composed and decomposed), every run of whitespace
   (tabs, newlines, non-breaking spaces, zero-width spaces) becomes one space, and the ends are stripped (see
   `normalize_text`). The normalised text is what is de-duplicated and written. ``empty text``: nothing left, e.g. a
   text of spaces or zero-width characters only.
2. The label is mapped onto the 7 text labels (case-insensitive, ``--label-alias``). ``missing label`` /
   ``unknown label`` (the detail names the value and the accepted labels).
3. With a ``split`` column: the value must be train/validation/test (aliases: training, val, valid, dev, testing,
   eval). ``unknown split`` otherwise.
4. Duplicates of the normalised text (so ``"tôi  vui"`` and ``"tôi vui"`` are duplicates): when every copy has the
   same label, the first copy is kept and the others are rejected as ``duplicate text`` (same split) or ``text in
   two splits``; when the copies disagree on the label, **all** copies are rejected as ``conflicting labels`` (there
   is no way to tell which label is right).

Rows are numbered from 1 = the first data row (in a spreadsheet with a header, that is sheet row 2). That number is
the ``row`` of ``DIR/text/rejected.csv`` and the ``id`` of an accepted row (``text-000001``), so ids stay stable
when a rebuild rejects other rows. Accepted + rejected always equals the input rows.

The folder is written atomically (`sentiv_hf.data.staging`): a build that fails leaves the previous ``text`` config,
its ``rejected.csv`` and the card as they were.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..labels import TEXT_LABELS, LabelMapper, UnknownLabelError, parse_label_aliases
from .rejects import BuildSummary, RejectedRowsError, RejectLog
from .splits import SPLIT_ALIASES, SPLIT_NAMES, assign_splits, canonical_split_name
from .staging import FolderStage, check_output_dir, write_failed_build_report
from .tables import DataFileError, read_table

if TYPE_CHECKING:  # imported in the functions, see build_text_dataset
    import pandas as pd

logger = logging.getLogger(__name__)

CONFIG_NAME = "text"
TEXT_COLUMN_NAMES = ("text", "sentence", "sentences", "comment", "content", "review", "post", "message", "utterance")
LABEL_COLUMN_NAMES = ("label", "labels", "emotion", "emotions", "sentiment", "class", "category")
SPLIT_COLUMN_NAMES = ("split",)


def _column_key(name: object) -> str:
    return " ".join(str(name).split()).casefold()


def resolve_column(columns: Sequence[str], wanted: str | None, candidates: Iterable[str], role: str, flag: str) -> str:
    """Find the ``role`` column: ``wanted`` if given (case-insensitive), else the single column named like one of
    ``candidates``. Errors name the columns found and the flag that overrides the choice.

    Example:
        >>> resolve_column(["Sentence", "Emotion"], None, TEXT_COLUMN_NAMES, "text", "--text-column")
        'Sentence'
    """
    found = ", ".join(repr(c) for c in columns)
    if wanted is not None:
        matches = [c for c in columns if c == wanted] or [c for c in columns if _column_key(c) == _column_key(wanted)]
        if len(matches) != 1:
            problem = "is not among" if not matches else "matches several of"
            raise DataFileError(f"The {role} column {wanted!r} {problem} the columns found: {found}.")
        return matches[0]
    keys = set(candidates)
    matches = [c for c in columns if _column_key(c) in keys]
    if not matches:
        raise DataFileError(
            f"No {role} column found: expected one named like {', '.join(candidates)} (any case); "
            f"the columns found are {found}. Choose one with {flag} NAME."
        )
    if len(matches) > 1:
        raise DataFileError(
            f"Ambiguous {role} column: {', '.join(repr(c) for c in matches)} could all be the {role}; "
            f"the columns found are {found}. Choose one with {flag} NAME."
        )
    return matches[0]


#: Zero-width non-joiner and joiner: kept inside a text (they shape emoji and some scripts), stripped at its ends.
_EDGE_CHARACTERS = " \u200c\u200d"


def normalize_text(value: object) -> str:
    """NFC-normalise a text, turn every run of whitespace into one space and strip the ends; missing becomes ``""``.

    Whitespace is any Unicode space (tabs, newlines, non-breaking and thin spaces) and the zero-width space and
    byte-order mark (U+200B, U+FEFF); the zero-width (non-)joiners U+200C/U+200D are stripped at the ends. So a text
    that holds only such characters becomes ``""`` (an empty text), and texts that differ only in spacing become
    equal (duplicates).

    Example:
        >>> normalize_text(" t\\u00f4i \\t\\u00a0vui\\u200b ")
        'tôi vui'
        >>> normalize_text("\\u200b\\u200d\\ufeff"), normalize_text(None)
        ('', '')
    """
    if not isinstance(value, str):
        if value is None or value != value:  # None or NaN: an empty cell
            return ""
        value = str(value)
    text = unicodedata.normalize("NFC", value).strip()
    # Most texts have single ASCII spaces only, which two C-level checks confirm; every other space, tab, newline
    # and zero-width character is not printable. Splitting every text would triple the time of this step.
    if "  " in text or not text.isprintable():
        # The zero-width space and byte-order mark are invisible word separators, but not str.split() whitespace.
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
        text = " ".join(text.split()).strip(_EDGE_CHARACTERS)
    return text


def normalize_texts(values: Iterable[object]) -> np.ndarray:
    """`normalize_text` of every value; returns an object array of ``str``.

    Example:
        >>> normalize_texts(["  Vui qu\\u00e1 ", "Vui  qua\\u0301", None]).tolist()
        ['Vui quá', 'Vui quá', '']
    """
    out = np.empty(len(values), dtype=object)  # type: ignore[arg-type]
    out[:] = [normalize_text(v) for v in values]
    return out


def _factorize(raw: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Codes per row and the distinct values, with missing values as the distinct value ``None``."""
    import pandas as pd

    codes, uniques = pd.factorize(raw.to_numpy(dtype=object), use_na_sentinel=True)
    values = list(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(values), codes)
        values.append(None)
    return codes, values


def _object_array(items: list) -> np.ndarray:
    # A 1-D object array whatever the items are: the trailing None stops numpy from nesting equal-length sequences.
    return np.array([*items, None], dtype=object)[:-1]


def _map_labels(raw: pd.Series, mapper: LabelMapper) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map raw labels through ``mapper`` once per distinct value; returns (canonical, reason, detail) per row."""
    codes, values = _factorize(raw)
    canonical, reasons, details = [], [], []
    for value in values:
        try:
            canonical.append(mapper(value))
            reasons.append(None)
            details.append(None)
        except UnknownLabelError as err:
            canonical.append(None)
            reasons.append("missing label" if value is None or not str(value).strip() else "unknown label")
            details.append(str(err))
    return _object_array(canonical)[codes], _object_array(reasons)[codes], _object_array(details)[codes]


def _map_splits(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Canonical split per row (``None`` when unknown) and the detail of each unknown one."""
    codes, values = _factorize(raw)
    aliases = ", ".join(k for k in SPLIT_ALIASES if k not in SPLIT_NAMES)
    splits, details = [], []
    for value in values:
        split = canonical_split_name(value)
        splits.append(split)
        if split is not None:
            details.append(None)
        elif isinstance(value, str) and value.strip():
            details.append(f"split value {value!r} is not one of train, validation, test (aliases: {aliases})")
        else:
            details.append("empty split value")
    return _object_array(splits)[codes], _object_array(details)[codes]


def _mark_duplicates(
    texts: np.ndarray,
    labels: np.ndarray,
    splits: np.ndarray | None,
    ok: np.ndarray,
    reason: np.ndarray,
    detail: np.ndarray,
) -> None:
    """Fill ``reason``/``detail`` for duplicate texts among the rows still ``ok`` (row numbers are index + 1).

    Hashing finds the duplicated rows in C; only those (a small share of a real corpus) are grouped in Python.
    """
    import pandas as pd

    candidates = np.flatnonzero(ok)
    # dtype=object: letting pandas infer its Arrow string dtype would copy every text first.
    duplicated = pd.Series(texts[candidates], dtype=object).duplicated(keep=False).to_numpy()
    groups: dict[str, list[int]] = {}
    for i in candidates[duplicated].tolist():
        groups.setdefault(texts[i], []).append(i)
    for members in groups.values():
        by_label: dict[str, list[int]] = {}
        for i in members:
            by_label.setdefault(labels[i], []).append(i + 1)
        if len(by_label) > 1:
            # No way to tell which label is right, so every copy goes: "Anger (rows 3, 9) vs Fear (row 5)".
            message = " vs ".join(
                f"{label} (row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))})"
                for label, rows in sorted(by_label.items())
            )
            reason[members] = "conflicting labels"
            detail[members] = message
            continue
        first = members[0]
        for i in members[1:]:
            if splits is None or splits[i] == splits[first]:
                reason[i], detail[i] = "duplicate text", f"same text as row {first + 1}"
            else:
                reason[i] = "text in two splits"
                detail[i] = f"same text as row {first + 1} in split {splits[first]}"


def build_text_dataset(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    label_aliases: Mapping[str, str] | Iterable[str] | None = None,
    split_seed: int = 42,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    strict: bool = False,
) -> BuildSummary:
    """Build ``out_dir/text/{train,validation,test}-*.parquet``, ``out_dir/text/rejected.csv`` and the card.

    Args:
        path: the source table (``.xlsx``/``.xls``, ``.csv``/``.tsv``, ``.parquet``, ``.jsonl``/``.json``).
        out_dir: the dataset folder; other configs already in it are kept.
        text_column: the text column (default: auto-detected from text, sentence, comment, content, ...).
        label_column: the label column (default: auto-detected from label, emotion, sentiment, ...).
        label_aliases: ``{"Other": "Neutral"}`` or ``["Other=Neutral"]``; matched case-insensitively.
        split_seed: the seed of the generated stratified split (ignored when the table has a ``split`` column).
        fractions: train/validation/test shares of the generated split.
        strict: raise `RejectedRowsError` when any row is rejected; nothing in ``out_dir/text`` changes, and the
            rejected rows are written to ``out_dir/text.rejected.csv``.

    Returns:
        The `BuildSummary` (counts per reason, split and label); ``print`` it for the report.

    Raises:
        DataFileError: missing/unreadable/empty file, a missing or ambiguous column, or every row rejected.
        RejectedRowsError: ``strict`` and some rows were rejected.
        UserError: ``out_dir`` is a file or is not writable.

    Example:
        >>> summary = build_text_dataset("train.xlsx", "out", label_aliases=["Other=Neutral"])  # doctest: +SKIP
        >>> print(summary)  # doctest: +SKIP
        text: 265011 input rows -> 264120 accepted, 891 rejected
    """
    path = Path(path)
    out_dir = check_output_dir(out_dir)  # before the (long) read, not after it
    mapper = LabelMapper.for_space("text", aliases=parse_label_aliases(label_aliases))
    # python-calamine parses a workbook in Rust without holding the GIL (1-2 s for 265k rows), so the imports of
    # pandas, pyarrow and datasets (about as long) run meanwhile, here, rather than before or after it.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-table") as pool:
        reading = pool.submit(read_table, path)
        import pandas as pd

        from .hub import stage_config

        df = reading.result()
    columns = list(df.columns)
    text_col = resolve_column(columns, text_column, TEXT_COLUMN_NAMES, "text", "--text-column")
    label_col = resolve_column(columns, label_column, LABEL_COLUMN_NAMES, "label", "--label-column")
    if text_col == label_col:
        raise DataFileError(f"{path}: the text and label columns are both {text_col!r}; pass distinct columns.")
    split_cols = [c for c in columns if _column_key(c) in SPLIT_COLUMN_NAMES and c not in (text_col, label_col)]
    split_col = split_cols[0] if len(split_cols) == 1 else None
    if len(split_cols) > 1:
        raise DataFileError(f"{path}: several split columns {split_cols}; keep one.")

    n = len(df)
    texts = normalize_texts(df[text_col].to_numpy(dtype=object))
    labels, reason, detail = _map_labels(df[label_col], mapper)

    empty = texts == ""
    reason[empty] = "empty text"
    detail[empty] = None

    splits = None
    if split_col is not None:
        splits, split_detail = _map_splits(df[split_col])
        bad_split = (splits == None) & (reason == None)  # noqa: E711  (element-wise on object arrays)
        reason[bad_split] = "unknown split"
        detail[bad_split] = split_detail[bad_split]

    _mark_duplicates(texts, labels, splits, reason == None, reason, detail)  # noqa: E711

    rejected_idx = np.flatnonzero(reason != None)  # noqa: E711
    log = RejectLog(str(path))
    if len(rejected_idx):
        raw_rows = df.iloc[rejected_idx].to_dict("records")
        for i, raw in zip(rejected_idx.tolist(), raw_rows):
            log.add(i + 1, reason[i], raw, detail=detail[i])

    # A failed build writes its report beside the config, never into it: the previous build stays as it was.
    if strict and len(log):
        report = write_failed_build_report(log, out_dir, CONFIG_NAME)
        raise RejectedRowsError(
            f"--strict: {len(log)} of {n} rows of {path} were rejected ({_reason_text(log.counts_by_reason())}); "
            f"see {report}. The first: {log.messages()[0].rstrip('.')}."
        )

    accepted = np.flatnonzero(reason == None)  # noqa: E711
    if len(accepted) == 0:
        report = write_failed_build_report(log, out_dir, CONFIG_NAME)
        raise DataFileError(
            f"All {n} rows of {path} were rejected ({_reason_text(log.counts_by_reason())}); see {report}. "
            f"The first: {log.messages()[0].rstrip('.')}."
        )
    kept_labels = labels[accepted]
    if splits is None:
        kept_splits = np.array(assign_splits(kept_labels.tolist(), fractions=fractions, seed=split_seed), dtype=object)
    else:
        kept_splits = splits[accepted]

    label_codes, label_values = _factorize(pd.Series(kept_labels, dtype=object))
    label_ids = np.array([TEXT_LABELS.index(v) for v in label_values], dtype=np.int64)[label_codes]
    datasets_by_split = _to_datasets(accepted, texts[accepted], label_ids, kept_splits)
    with FolderStage(out_dir) as stage:
        stage_config(
            stage,
            CONFIG_NAME,
            datasets_by_split,
            description=_description(path, text_col, label_col, split_col),
            rejects=log,
        )
    rejects_path = out_dir / CONFIG_NAME / "rejected.csv"

    counts = np.bincount(label_ids, minlength=len(TEXT_LABELS))
    summary = BuildSummary(
        config=CONFIG_NAME,
        input_rows=n,
        accepted=len(accepted),
        rejected=len(log),
        by_reason=log.counts_by_reason(),
        split_sizes={s: len(datasets_by_split[s]) for s in SPLIT_NAMES},
        rejects_path=rejects_path,
        label_counts={name: int(counts[i]) for i, name in enumerate(TEXT_LABELS)},
    )
    logger.info("%s", summary)
    return summary


def _reason_text(by_reason: Mapping[str, int]) -> str:
    return ", ".join(f"{reason}: {count}" for reason, count in by_reason.items())


def _to_datasets(indices: np.ndarray, texts: np.ndarray, label_ids: np.ndarray, splits: np.ndarray) -> dict:
    import datasets
    import pyarrow as pa
    import pyarrow.compute as pc
    from datasets.fingerprint import generate_random_fingerprint

    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "text": datasets.Value("string"),
            "label": datasets.ClassLabel(names=list(TEXT_LABELS)),
        }
    )
    out = {}
    for split in SPLIT_NAMES:
        mask = splits == split
        # "text-000042": built by Arrow in C++, a Python f-string per row costs 0.1-0.3 s on 265k rows.
        numbers = pc.utf8_lpad(pa.array(indices[mask] + 1).cast(pa.string()), width=6, padding="0")
        ids = pc.binary_join_element_wise("text-", numbers, "")
        table = pa.table(
            [ids, pa.array(texts[mask], pa.string()), pa.array(label_ids[mask], pa.int64())],
            schema=features.arrow_schema,
        )
        # A random fingerprint, as datasets gives unhashable data: hashing the table would take longer than
        # building it, and these in-memory datasets are only written out.
        out[split] = datasets.Dataset(
            table, info=datasets.DatasetInfo(features=features), fingerprint=generate_random_fingerprint()
        )
    return out


def _description(path: Path, text_col: str, label_col: str, split_col: str | None) -> str:
    split_note = (
        f"Splits come from the source's `{split_col}` column."
        if split_col
        else "Splits are stratified by label and seeded (see `sentiv data build-text --split-seed`)."
    )
    return (
        f"Built from `{path.name}` (text column `{text_col}`, label column `{label_col}`) by "
        "`sentiv data build-text`. "
        "Texts are NFC-normalised with whitespace collapsed to single spaces; empty texts, unknown labels and "
        f"duplicates are removed, and no text occurs in two splits. {split_note} `id` is `text-` + the 1-based data "
        "row of the source."
    )


__all__ = [
    "LABEL_COLUMN_NAMES",
    "TEXT_COLUMN_NAMES",
    "build_text_dataset",
    "normalize_text",
    "normalize_texts",
    "resolve_column",
]
