from __future__ import annotations

import csv
import json
import unicodedata

import pandas as pd
import pytest
from openpyxl import Workbook

from sentiv_hf.data.rejects import RejectedRowsError
from sentiv_hf.data.tables import DataFileError
from sentiv_hf.data.text import build_text_dataset, normalize_texts
from sentiv_hf.labels import TEXT_LABELS

from ..utils import last_json_line, run_python_without_sentiv_hf

COMPOSED = unicodedata.normalize("NFC", "Tôi buồn quá")
DECOMPOSED = unicodedata.normalize("NFD", "Tôi buồn quá")
PHRASES = ["Hôm nay", "Thật là", "Bạn ơi", "Trời ơi", "Sao mà", "Cái phim", "Quán này", "Cô giáo", "Mẹ nói", "Đi học"]


def _base_rows() -> list[list[object]]:
    """70 distinct rows, 10 per text label; one Sadness text is composed NFC, one Neutral row is labelled 'Other'."""
    rows = []
    for k, label in enumerate(TEXT_LABELS):
        for i, phrase in enumerate(PHRASES):
            text = f"{phrase} {label.lower()} số {i}"
            raw_label = [label, label.upper(), f"  {label.lower()} "][i % 3]
            if label == "Sadness" and i == 0:
                text = COMPOSED
            if label == "Neutral" and i == 9:
                text, raw_label = "Bình thường thôi", "Other"
            rows.append([text, raw_label, f"note {k}-{i}"])
    return rows


EXTRA_ROWS = [
    ["   ", "Anger", "blank"],  # 71: empty text
    [None, "Fear", "missing"],  # 72: empty text
    ["Hôm nay trời đẹp", "Joy", "unknown"],  # 73: unknown label
    ["Một câu không nhãn", None, "no label"],  # 74: missing label
    ["Hôm nay anger số 0", "anger", "copy of row 1"],  # 75: duplicate of row 1
    [DECOMPOSED, "sadness", "NFD copy of row 51"],  # 76: NFC duplicate of row 51
    ["Không biết nói gì", "Neutral", "conflict"],  # 77: conflicting labels
    ["Không biết nói gì", "Surprise", "conflict"],  # 78: conflicting labels
]


def _write_xlsx(path, header, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def release(tmp_path):
    return _write_xlsx(tmp_path / "train.xlsx", ["Sentence", "Emotion", "Ghi chú"], _base_rows() + EXTRA_ROWS)


def _rejects(out):
    with (out / "text" / "rejected.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _split_frame(out, split):
    return pd.read_parquet(out / "text" / f"{split}-00000-of-00001.parquet")


def test_build_with_alias(release, tmp_path):
    out = tmp_path / "ds"
    summary = build_text_dataset(release, out, label_aliases=["Other=Neutral"])
    assert summary.input_rows == 78
    assert summary.accepted == 70
    assert summary.rejected == 8
    assert summary.by_reason == {
        "empty text": 2,
        "duplicate text": 2,
        "conflicting labels": 2,
        "unknown label": 1,
        "missing label": 1,
    }
    assert summary.split_sizes == {"train": 56, "validation": 7, "test": 7}
    assert summary.label_counts == {name: 10 for name in TEXT_LABELS}
    assert str(summary).splitlines()[0] == "text: 78 input rows -> 70 accepted, 8 rejected"

    rejects = _rejects(out)
    assert [(r["row"], r["reason"].split(":")[0]) for r in rejects] == [
        ("71", "empty text"),
        ("72", "empty text"),
        ("73", "unknown label"),
        ("74", "missing label"),
        ("75", "duplicate text"),
        ("76", "duplicate text"),
        ("77", "conflicting labels"),
        ("78", "conflicting labels"),
    ]
    by_row = {r["row"]: r for r in rejects}
    assert by_row["73"]["reason"] == (
        "unknown label: Unknown label 'Joy'; accepted labels are ['Anger', 'Disgust', 'Enjoyment', 'Fear', 'Neutral', "
        "'Sadness', 'Surprise'] (case-insensitive). Map other values with --label-alias Joy=<label>."
    )
    assert by_row["74"]["reason"].startswith("missing label: Empty label; accepted labels are ['Anger'")
    assert by_row["75"]["reason"] == "duplicate text: same text as row 1"
    assert by_row["76"]["reason"] == "duplicate text: same text as row 51"
    assert by_row["77"]["reason"] == "conflicting labels: Neutral (row 77) vs Surprise (row 78)"
    assert json.loads(by_row["76"]["raw"]) == {
        "Sentence": DECOMPOSED,
        "Emotion": "sadness",
        "Ghi chú": "NFD copy of row 51",
    }
    assert json.loads(by_row["72"]["raw"])["Sentence"] is None
    assert {r["source"] for r in rejects} == {str(release)}

    frames = pd.concat([_split_frame(out, s) for s in ("train", "validation", "test")])
    assert len(frames) == 70 and frames["text"].is_unique
    texts = dict(zip(frames["id"], frames["text"]))
    assert texts["text-000001"] == "Hôm nay anger số 0"
    assert texts["text-000051"] == COMPOSED and unicodedata.is_normalized("NFC", texts["text-000051"])
    assert texts["text-000050"] == "Bình thường thôi"
    labels = dict(zip(frames["id"], frames["label"]))
    assert labels["text-000050"] == TEXT_LABELS.index("Neutral")
    assert labels["text-000012"] == TEXT_LABELS.index("Disgust")  # "DISGUST" matched case-insensitively
    for split in ("validation", "test"):  # stratified: one row per label in each
        assert sorted(_split_frame(out, split)["label"]) == list(range(7))


def test_unknown_label_without_alias(release, tmp_path):
    summary = build_text_dataset(release, tmp_path / "ds")
    assert (summary.accepted, summary.rejected) == (69, 9)
    assert summary.by_reason["unknown label"] == 2
    assert summary.label_counts["Neutral"] == 9
    assert summary.split_sizes == {"train": 55, "validation": 7, "test": 7}
    reasons = {r["row"]: r["reason"] for r in _rejects(tmp_path / "ds")}
    assert reasons["50"].startswith("unknown label: Unknown label 'Other'; accepted labels are")


def test_alias_mapping_form(release, tmp_path):
    summary = build_text_dataset(release, tmp_path / "ds", label_aliases={"OTHER": "neutral"})
    assert summary.accepted == 70


def test_explicit_columns(tmp_path):
    rows = [[f"câu {i}", label, "x"] for i, label in enumerate(TEXT_LABELS * 2)]
    path = _write_xlsx(tmp_path / "vi.xlsx", ["noi_dung", "cam_xuc", "nguon"], rows)
    with pytest.raises(DataFileError) as info:
        build_text_dataset(path, tmp_path / "ds")
    assert str(info.value) == (
        "No text column found: expected one named like text, sentence, sentences, comment, content, review, post, "
        "message, utterance (any case); the columns found are 'noi_dung', 'cam_xuc', 'nguon'. "
        "Choose one with --text-column NAME."
    )
    summary = build_text_dataset(path, tmp_path / "ds", text_column="NOI_DUNG", label_column="cam_xuc")
    assert (summary.input_rows, summary.accepted, summary.rejected) == (14, 14, 0)
    with pytest.raises(DataFileError, match=r"^The label column 'nhan' is not among the columns found: 'noi_dung'"):
        build_text_dataset(path, tmp_path / "ds", text_column="noi_dung", label_column="nhan")


def test_missing_label_column(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Comment,score\nhay,1\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        build_text_dataset(path, tmp_path / "ds")
    assert str(info.value).startswith("No label column found: expected one named like label, labels, emotion")
    assert "the columns found are 'Comment', 'score'. Choose one with --label-column NAME." in str(info.value)


def test_ambiguous_column(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("text,Sentence,label\na,b,Fear\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        build_text_dataset(path, tmp_path / "ds")
    assert str(info.value) == (
        "Ambiguous text column: 'text', 'Sentence' could all be the text; the columns found are 'text', "
        "'Sentence', 'label'. Choose one with --text-column NAME."
    )
    assert build_text_dataset(path, tmp_path / "ds", text_column="Sentence").accepted == 1


def test_existing_split_column(tmp_path):
    path = tmp_path / "split.csv"
    path.write_text(
        "text,label,Split\n"
        "a1,Anger,train\n"
        "a2,Anger,val\n"
        "a3,Anger,dev\n"
        "a4,Fear,TEST\n"
        "a5,Fear,bogus\n"
        "a6,Fear,\n"
        "a1,anger,test\n"
        "a2,Anger,valid\n"
        "a7,Fear,train\n",
        encoding="utf-8",
    )
    out = tmp_path / "ds"
    summary = build_text_dataset(path, out)
    assert (summary.input_rows, summary.accepted, summary.rejected) == (9, 5, 4)
    assert summary.split_sizes == {"train": 2, "validation": 2, "test": 1}
    assert summary.by_reason == {"unknown split": 2, "text in two splits": 1, "duplicate text": 1}
    reasons = {r["row"]: r["reason"] for r in _rejects(out)}
    assert reasons["5"] == (
        "unknown split: split value 'bogus' is not one of train, validation, test "
        "(aliases: training, valid, val, dev, eval, testing)"
    )
    assert reasons["6"] == "unknown split: empty split value"
    assert reasons["7"] == "text in two splits: same text as row 1 in split train"
    assert reasons["8"] == "duplicate text: same text as row 2"
    assert sorted(_split_frame(out, "validation")["text"]) == ["a2", "a3"]
    assert sorted(_split_frame(out, "train")["text"]) == ["a1", "a7"]


def test_strict_raises_and_writes_no_dataset(release, tmp_path):
    out = tmp_path / "ds"
    with pytest.raises(RejectedRowsError) as info:
        build_text_dataset(release, out, strict=True, label_aliases=["Other=Neutral"])
    assert str(info.value).startswith(
        f"--strict: 8 of 78 rows of {release} were rejected (empty text: 2, duplicate text: 2, conflicting labels: 2, "
        "unknown label: 1, missing label: 1); see "
    )
    assert str(info.value).endswith("The first: row 71: empty text.")
    assert f"see {out / 'text.rejected.csv'}." in str(info.value)
    with (out / "text.rejected.csv").open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 8
    assert not (out / "text").exists()
    assert not (out / "README.md").exists()


def test_strict_passes_on_clean_input(tmp_path):
    path = tmp_path / "clean.jsonl"
    path.write_text("\n".join(json.dumps({"content": f"câu {i}", "emotion": "Fear"}) for i in range(5)), "utf-8")
    summary = build_text_dataset(path, tmp_path / "ds", strict=True)
    assert (summary.accepted, summary.rejected) == (5, 0)
    assert _rejects(tmp_path / "ds") == []


def test_split_is_seeded(release, tmp_path):
    def ids(out, seed):
        build_text_dataset(release, out, label_aliases=["Other=Neutral"], split_seed=seed)
        return {s: sorted(_split_frame(out, s)["id"]) for s in ("train", "validation", "test")}

    first = ids(tmp_path / "a", 42)
    assert ids(tmp_path / "b", 42) == first
    assert ids(tmp_path / "c", 7) != first


def test_normalize_texts():
    assert normalize_texts([" Vui qu\u00e1 ", "Vui qua\u0301", None, float("nan"), 12]).tolist() == [
        "Vui quá",
        "Vui quá",
        "",
        "",
        "12",
    ]


LOADER = r"""
import json, sys

import datasets

ds = datasets.load_dataset(sys.argv[1], "text")
print(json.dumps({
    "names": ds["train"].features["label"].names,
    "feature": type(ds["train"].features["label"]).__name__,
    "sizes": {name: len(split) for name, split in ds.items()},
    "row": ds["train"].sort("id")[0],
    "sentiv_loaded": any(m.startswith("sentiv_hf") for m in sys.modules),
}))
"""


def test_load_dataset_without_sentiv_hf(release, tmp_path):
    out = tmp_path / "ds"
    build_text_dataset(release, out, label_aliases=["Other=Neutral"])
    proc = run_python_without_sentiv_hf(LOADER, out, cwd=tmp_path, env={"HF_HOME": str(tmp_path / "hf")})
    result = last_json_line(proc)
    assert result["feature"] == "ClassLabel"
    assert result["names"] == list(TEXT_LABELS)
    assert result["sizes"] == {"train": 56, "validation": 7, "test": 7}
    assert result["sentiv_loaded"] is False
    assert set(result["row"]) == {"id", "text", "label"}
    assert result["row"]["id"].startswith("text-0000")
