from __future__ import annotations

import csv
import json

import pytest

from sentiv_hf.data.rejects import BuildSummary, RejectedRowsError, RejectLog


def test_reject_log_counts_and_csv(tmp_path):
    log = RejectLog("train.xlsx")
    assert len(log) == 0 and log.counts_by_reason() == {}
    log.add(3, "empty text", {"Sentence": None, "Emotion": "Fear"})
    log.add(7, "unknown label", {"Sentence": "Vui quá", "Emotion": "Joy", "score": float("nan")}, detail="bad 'Joy'")
    log.add(9, "unknown label", {"Sentence": "x", "Emotion": 5})
    assert len(log) == 3
    assert log.counts_by_reason() == {"unknown label": 2, "empty text": 1}
    assert log.messages() == ["row 3: empty text", "row 7: unknown label: bad 'Joy'", "row 9: unknown label"]

    path = log.write_csv(tmp_path / "text" / "rejected.csv")
    assert path == tmp_path / "text" / "rejected.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["source", "row", "reason", "raw"]
    assert [(r["source"], r["row"], r["reason"]) for r in rows] == [
        ("train.xlsx", "3", "empty text"),
        ("train.xlsx", "7", "unknown label: bad 'Joy'"),
        ("train.xlsx", "9", "unknown label"),
    ]
    assert json.loads(rows[1]["raw"]) == {"Sentence": "Vui quá", "Emotion": "Joy", "score": None}
    assert json.loads(rows[2]["raw"]) == {"Sentence": "x", "Emotion": 5}


def test_empty_log_writes_header_only(tmp_path):
    log = RejectLog(tmp_path / "m.csv")
    assert log  # an empty log is still truthy
    path = log.write_csv(tmp_path / "rejected.csv")
    assert path.read_text(encoding="utf-8").splitlines() == ["source,row,reason,raw"]


def test_build_summary_report():
    summary = BuildSummary(
        "text", 10, 7, 3, {"empty text": 2, "duplicate text": 1}, {"train": 5, "validation": 1, "test": 1}
    )
    assert str(summary) == (
        "text: 10 input rows -> 7 accepted, 3 rejected\n"
        "  rejected: empty text 2, duplicate text 1\n"
        "  splits: train 5, validation 1, test 1"
    )
    assert summary.to_dict()["split_sizes"] == {"train": 5, "validation": 1, "test": 1}


def test_build_summary_with_labels_and_path(tmp_path):
    summary = BuildSummary(
        "speech", 2, 1, 1, {"missing file": 1}, {"train": 1}, tmp_path / "r.csv", label_counts={"Anger": 1}
    )
    assert str(summary).splitlines()[-2:] == ["  labels: Anger 1", f"  rejected rows written to {tmp_path / 'r.csv'}"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(input_rows=10, accepted=8, rejected=1),
            r"counts do not add up: 8 accepted \+ 1 rejected != 10 input rows",
        ),
        (dict(input_rows=10, accepted=8, rejected=2, by_reason={"x": 1}), r"reasons \{'x': 1\} do not sum to 2"),
        (dict(input_rows=3, accepted=3, rejected=0, split_sizes={"train": 2}), r"do not sum to 3 accepted rows"),
    ],
)
def test_build_summary_checks_counts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BuildSummary("text", **kwargs)


def test_rejected_rows_error_is_value_error():
    assert issubclass(RejectedRowsError, ValueError)
