"""Read the tabular files of a release (spreadsheets, CSV/TSV, Parquet, JSON Lines) into pandas, all as strings.

Every cell comes back as a Python ``str`` in an ``object`` column, or as a missing value (``NaN``; test with
``pandas.isna``). Reading as strings keeps labels such as ``"1"`` or ``"01"`` exactly as written, and keeps
texts such as ``"NA"`` or ``"null"`` as text: only truly empty cells are missing.
"""

from __future__ import annotations

import datetime
import logging
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported in the functions: see read_table
    import pandas as pd

logger = logging.getLogger(__name__)

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
SUPPORTED_SUFFIXES = (*SPREADSHEET_SUFFIXES, ".csv", ".tsv", ".parquet", ".jsonl", ".json")

# Only the empty cell is missing: pandas' default NA strings ("NA", "null", "None", ...) are real texts here.
_NA_OPTIONS = {"keep_default_na": False, "na_values": [""]}


class DataFileError(ValueError):
    """A data file that is missing, unreadable or empty; the message names the file and says how to fix it."""


def read_table(path: str | os.PathLike, *, sheet_name: str | int = 0) -> pd.DataFrame:
    """Read a table file into a DataFrame of strings (``object`` dtype; empty cells are ``NaN``).

    Args:
        path: a ``.xlsx``/``.xls``/``.xlsm``/``.xlsb``/``.ods`` workbook (read with python-calamine), ``.csv``,
            ``.tsv``, ``.parquet``, ``.jsonl`` (JSON Lines) or ``.json`` (a list of records, or JSON Lines).
        sheet_name: the sheet of a workbook to read (name or 0-based index); the first sheet by default.

    Returns:
        The table with its header row as column names (stripped of surrounding whitespace), and row ``i`` of the
        frame being data row ``i + 1`` of the file (row ``i + 2`` of a spreadsheet, counting the header).

    pandas is imported when the parse of a workbook (in Rust, without the GIL) is done, so a caller can import
    its own heavy modules in another thread meanwhile (see `sentiv_hf.data.text.build_text_dataset`).

    Raises:
        DataFileError: when the file does not exist, has an unsupported suffix, cannot be parsed (corrupt
            workbook, bad encoding, malformed JSON), or holds no data rows.

    Example:
        >>> df = read_table("train.xlsx")  # doctest: +SKIP
        >>> df.columns.tolist()  # doctest: +SKIP
        ['Sentence', 'Emotion']
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"Data file not found: {path}. Check the path (it is resolved from {Path.cwd()}).")
    if path.is_dir():
        raise DataFileError(
            f"{path} is a folder; pass the table file itself (one of {', '.join(SUPPORTED_SUFFIXES)})."
        )
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataFileError(
            f"Unsupported table file {path}: the suffix {path.suffix or '(none)'!r} is not one of "
            f"{', '.join(SUPPORTED_SUFFIXES)}. Convert it to .xlsx, .csv or .jsonl."
        )
    if path.stat().st_size == 0:
        raise DataFileError(f"Data file {path} is empty (0 bytes).")
    try:
        if suffix in SPREADSHEET_SUFFIXES:
            df = _read_spreadsheet(path, sheet_name)
        elif suffix in (".csv", ".tsv"):
            df = _read_delimited(path, "\t" if suffix == ".tsv" else ",")
        elif suffix == ".parquet":
            import pandas as pd

            df = pd.read_parquet(path)
        else:
            df = _read_json(path)
    except DataFileError:
        raise
    except UnicodeDecodeError as err:
        raise DataFileError(
            f"Cannot decode {path} as UTF-8 ({err.reason} at byte {err.start}); re-save it as UTF-8."
        ) from err
    except Exception as err:  # parsers raise many unrelated types (CalamineError, ArrowInvalid, ParserError, ...)
        raise DataFileError(
            f"Cannot read {path} as a {suffix} file: {type(err).__name__}: {err}. "
            "Check that the file is not corrupt or truncated, and that its suffix matches its format."
        ) from err
    return _finalise(df, path)


def _read_spreadsheet(path: Path, sheet_name: str | int) -> pd.DataFrame:
    # python-calamine directly, not pandas.read_excel(engine="calamine"): pandas converts every cell in Python and
    # re-parses the rows with its Python parser: about twice as slow on a 265k-row sheet (2.1 s against 1.1 s).
    # pandas is imported after the parse (get_sheet_by_*), which runs in Rust without the GIL.
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    names = list(workbook.sheet_names)
    if isinstance(sheet_name, int):
        if not 0 <= sheet_name < len(names):
            raise DataFileError(f"{path} has {len(names)} sheet(s) {names}; sheet index {sheet_name} does not exist.")
        sheet = workbook.get_sheet_by_index(sheet_name)
    else:
        if sheet_name not in names:
            raise DataFileError(f"{path} has no sheet named {sheet_name!r}; its sheets are {names}.")
        sheet = workbook.get_sheet_by_name(sheet_name)
    import pandas as pd

    rows = sheet.to_python()
    if not rows:
        return pd.DataFrame()
    header = [str(c).strip() if c not in ("", None) else f"Unnamed: {i}" for i, c in enumerate(rows[0])]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise DataFileError(f"{path} has duplicate column names {duplicated}; rename them so each is unique.")
    columns = {}
    for i, name in enumerate(header):
        values = np.empty(len(rows) - 1, dtype=object)
        values[:] = [row[i] for row in rows[1:]]
        values[values == ""] = math.nan  # calamine returns "" for an empty cell
        columns[name] = values
    return pd.DataFrame(columns, columns=header, dtype=object)


def _read_delimited(path: Path, sep: str) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig", **_NA_OPTIONS)
    except pd.errors.EmptyDataError as err:
        raise DataFileError(f"Data file {path} is empty: no header row and no data.") from err


def _read_json(path: Path) -> pd.DataFrame:
    import pandas as pd

    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
    # A ``.json`` file may hold a list of records or be JSON Lines under the wrong suffix; sniff its first byte.
    lines = path.suffix.lower() == ".jsonl" or not head.startswith(b"[")
    return pd.read_json(path, lines=lines, dtype=False, encoding="utf-8")


def _scalar_to_str(value: object) -> object:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # JSON/Parquet often store the label 1 as 1.0
    if isinstance(value, (int, float, bool, datetime.date, datetime.time, datetime.timedelta)):
        return str(value)
    return value  # lists, dicts, bytes: leave to the caller


def _column_as_strings(column: pd.Series) -> pd.Series:
    import pandas as pd

    values = column.to_numpy(dtype=object, na_value=math.nan, copy=True)
    # infer_dtype scans in C; only columns that are not all strings (numbers, bools, dates) need the Python map.
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return pd.Series(values, index=column.index, dtype=object)
    present = ~pd.isna(values)
    values[present] = [_scalar_to_str(v) for v in values[present]]
    return pd.Series(values, index=column.index, dtype=object)


def _finalise(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    if df.shape[1] == 0:
        raise DataFileError(f"Data file {path} is empty: the sheet or file has no header row and no data.")
    df.columns = [str(c).strip() for c in df.columns]
    duplicated = sorted(set(df.columns[df.columns.duplicated()]))
    if duplicated:
        raise DataFileError(
            f"Data file {path} has duplicate column names {duplicated}; rename them so each is unique."
        )
    if len(df) == 0:
        raise DataFileError(f"Data file {path} has a header ({', '.join(df.columns)}) but no data rows.")
    df = df.reset_index(drop=True)
    for name in df.columns:
        df[name] = _column_as_strings(df[name])
    logger.debug("Read %d rows x %d columns from %s", len(df), df.shape[1], path)
    return df


__all__ = ["DataFileError", "SUPPORTED_SUFFIXES", "read_table"]
