from __future__ import annotations

import datetime
import json
import math

import pandas as pd
import pytest
from openpyxl import Workbook

from sentiv_hf.data.tables import DataFileError, read_table


def _xlsx(path, rows, sheet_title="Sheet"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _cells(df):
    return [[None if isinstance(v, float) and math.isnan(v) else v for v in row] for row in df.values.tolist()]


def test_xlsx_is_read_as_strings(tmp_path):
    path = _xlsx(
        tmp_path / "train.xlsx",
        [[" Sentence ", "Emotion"], ["xin chào", 1], [None, "Anger"], ["NA", 2.5], [12, "Fear"], ["null", True]],
    )
    df = read_table(path)
    assert list(df.columns) == ["Sentence", "Emotion"]
    assert [str(dtype) for dtype in df.dtypes] == ["object", "object"]
    assert _cells(df) == [["xin chào", "1"], [None, "Anger"], ["NA", "2.5"], ["12", "Fear"], ["null", "True"]]


def test_csv_tsv_jsonl_json_parquet(tmp_path):
    (tmp_path / "a.csv").write_bytes("\ufefftext,label\nVui quá,01\n,Fear\nNA,null\n".encode())
    assert _cells(read_table(tmp_path / "a.csv")) == [["Vui quá", "01"], [None, "Fear"], ["NA", "null"]]
    assert list(read_table(tmp_path / "a.csv").columns) == ["text", "label"]  # the BOM is not part of the name

    (tmp_path / "a.tsv").write_text("text\tlabel\na, b\tAnger\n", encoding="utf-8")
    assert _cells(read_table(tmp_path / "a.tsv")) == [["a, b", "Anger"]]

    records = [{"text": "x", "label": 1}, {"text": None, "label": 2.0}, {"text": "z", "label": "Fear"}]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert _cells(read_table(tmp_path / "a.jsonl")) == [["x", "1"], [None, "2"], ["z", "Fear"]]
    (tmp_path / "a.json").write_text(json.dumps(records), encoding="utf-8")
    assert _cells(read_table(tmp_path / "a.json")) == [["x", "1"], [None, "2"], ["z", "Fear"]]

    pd.DataFrame({"text": ["p", "q"], "label": [3, 4]}).to_parquet(tmp_path / "a.parquet")
    df = read_table(tmp_path / "a.parquet")
    assert _cells(df) == [["p", "3"], ["q", "4"]]
    assert [str(dtype) for dtype in df.dtypes] == ["object", "object"]


def test_dates_become_strings(tmp_path):
    path = _xlsx(tmp_path / "d.xlsx", [["text", "when"], ["a", datetime.datetime(2024, 5, 1, 8, 30)]])
    assert _cells(read_table(path)) == [["a", "2024-05-01 08:30:00"]]


def test_named_sheet(tmp_path):
    path = _xlsx(tmp_path / "b.xlsx", [["text", "label"], ["a", "Fear"]], sheet_title="data")
    assert _cells(read_table(path, sheet_name="data")) == [["a", "Fear"]]
    with pytest.raises(DataFileError, match=r"has no sheet named 'other'; its sheets are \['data'\]"):
        read_table(path, sheet_name="other")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.xlsx"
    with pytest.raises(DataFileError, match=rf"^Data file not found: {path}\. Check the path"):
        read_table(path)


def test_corrupt_workbook(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(DataFileError) as info:
        read_table(path)
    message = str(info.value)
    assert message.startswith(f"Cannot read {path} as a .xlsx file: ")
    assert "Check that the file is not corrupt or truncated" in message


def test_truncated_workbook(tmp_path):
    good = _xlsx(tmp_path / "good.xlsx", [["text", "label"]] + [[f"câu {i}", "Fear"] for i in range(50)])
    bad = tmp_path / "truncated.xlsx"
    bad.write_bytes(good.read_bytes()[:400])
    with pytest.raises(DataFileError, match=rf"^Cannot read {bad} as a \.xlsx file"):
        read_table(bad)


def test_empty_sheet(tmp_path):
    path = _xlsx(tmp_path / "empty.xlsx", [])
    with pytest.raises(DataFileError, match=rf"^Data file {path} is empty: the sheet or file has no header row"):
        read_table(path)


def test_header_only(tmp_path):
    path = _xlsx(tmp_path / "header.xlsx", [["Sentence", "Emotion"]])
    with pytest.raises(DataFileError, match=rf"^Data file {path} has a header \(Sentence, Emotion\) but no data rows"):
        read_table(path)
    csv = tmp_path / "header.csv"
    csv.write_text("text,label\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"has a header \(text, label\) but no data rows"):
        read_table(csv)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataFileError, match=rf"^Data file {path} is empty \(0 bytes\)\.$"):
        read_table(path)


def test_unsupported_suffix_and_folder(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"the suffix '\.txt' is not one of \.xlsx, .*\.jsonl, \.json"):
        read_table(path)
    with pytest.raises(DataFileError, match=r"is a folder; pass the table file itself"):
        read_table(tmp_path)


def test_duplicate_columns(tmp_path):
    path = _xlsx(tmp_path / "dup.xlsx", [["text", " text", "label"], ["a", "b", "Fear"]])
    with pytest.raises(DataFileError, match=r"has duplicate column names \['text'\]"):
        read_table(path)


def test_non_utf8_csv(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\nVui quá,Fear\n".encode("utf-16"))
    with pytest.raises(DataFileError, match=rf"^(Cannot decode {path} as UTF-8|Cannot read {path} as a \.csv file)"):
        read_table(path)
