"""`sentiv data build-calls` (`sentiv_hf.data.calls`): windows and their labels, caller-disjoint splits, rejects that
add up, one-line errors, annotated segments, several segment lengths, atomic rebuilds, and the bundled demo calls."""

from __future__ import annotations

import csv
import io

import datasets
import numpy as np
import pytest
import soundfile as sf
from huggingface_hub import DatasetCard

from sentiv_hf.commands.data import main
from sentiv_hf.data import demo_path
from sentiv_hf.data.calls import (
    build_calls_dataset,
    calls_config_names,
    parse_segment_seconds,
    segment_windows,
    window_labels,
)

COLUMNS = [
    "id",
    "audio",
    "labels",
    "binary_label",
    "call_id",
    "segment_index",
    "start",
    "end",
    "duration",
    "speaker_id",
]
NEGATIVE = "Despair,Anger,Pain"
# The three calls of the fixture: (call_id, seconds, sample rate, channels, caller).
CALLS = [("c1", 14.0, 16000, 1, "alice"), ("c2", 10.0, 8000, 2, "bob"), ("c3", 7.0, 16000, 1, "carol")]
SPANS = [("c1", 0, 2, "Despair"), ("c1", 4, 9, "Anger;Pain"), ("c2", 5.5, 6.5, "pain"), ("c3", 0, 7, "Thanks")]


def _wav(path, seconds, rate=16000, channels=1, seed=0):
    noise = 0.1 * np.random.default_rng(seed).standard_normal((int(seconds * rate), channels))
    sf.write(path, noise[:, 0] if channels == 1 else noise, rate, subtype="PCM_16")


def _table(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("calls-raw")
    audio = root / "audio"
    audio.mkdir()
    for seed, (call_id, seconds, rate, channels, _) in enumerate(CALLS):
        _wav(audio / f"{call_id}.wav", seconds, rate, channels, seed)
    for call_id in ("c5", "c6", "c7", "c8", "c9"):
        _wav(audio / f"{call_id}.wav", 5.0)
    manifest = _table(root / "calls.csv", ["call_id", "path", "caller_id"], [(c, f"{c}.wav", s) for c, *_, s in CALLS])
    spans = _table(root / "spans.csv", ["call_id", "start", "end", "label"], SPANS)
    bad_manifest = _table(
        root / "bad_calls.csv",
        ["Call_ID", "Path", "Caller_ID"],  # column names match case-insensitively
        [(c, f"{c}.wav", s) for c, *_, s in CALLS]
        + [
            ("c4", "missing.wav", "dave"),
            ("c1", "c1.wav", "alice"),
            ("c5", "c5.wav", ""),
            ("c6", "c6.wav", "erin"),
            ("c7", "c7.wav", "frank"),
            ("c8", "c8.wav", "gina"),
            ("c9", "c9.wav", "hal"),
        ],
    )
    bad_spans = _table(
        root / "bad_spans.csv",
        ["call_id", "start", "end", "label"],
        SPANS
        + [
            ("c6", 1, 9, "Pain"),  # past the 5 s recording
            ("c6", 0, 1, "Anger"),  # fine, but its call is rejected
            ("c7", 0, 3, "Anger"),
            ("c7", 2, 4, "Pain"),  # overlaps the row above
            ("c8", 0, 1, "Joy"),  # not in --labels
            ("zz", 0, 1, "Pain"),  # no such call
            ("c9", -1, 2, "Pain"),
            ("c9", 3, 2, "Pain"),
            ("c9", "abc", 2, "Pain"),
            ("c9", 0, 1, ""),
            ("c4", 0, 1, "Pain"),  # its recording is missing
        ],
    )
    return {"root": root, "audio": audio, "manifest": manifest, "spans": spans, "bad": (bad_manifest, bad_spans)}


@pytest.fixture(scope="module")
def built(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("calls-out") / "ds"
    summary = build_calls_dataset(
        raw["manifest"], raw["audio"], out, annotations=raw["spans"], segment_seconds=6, negative_labels=NEGATIVE
    )
    return out, summary, datasets.load_dataset(str(out), "calls", cache_dir=str(out.parent / "cache"))


def _rows(dataset_dict):
    rows = [row for split in dataset_dict.values() for row in split.remove_columns("audio")]
    names = next(iter(dataset_dict.values())).features["labels"].feature.names
    return {
        r["id"]: ([names[i] for i in r["labels"]], r["binary_label"], r["start"], r["end"], r["speaker_id"])
        for r in rows
    }


def test_segment_windows_and_label_rule():
    assert segment_windows(14.0, 6.0) == [(0.0, 6.0), (6.0, 14.0)]
    assert segment_windows(10.0, 6.0) == [(0.0, 6.0), (6.0, 10.0)]
    assert segment_windows(7.0, 6.0) == [(0.0, 7.0)]
    assert segment_windows(50.0, 30.0, overlap=10.0) == [(0.0, 30.0), (20.0, 50.0)]
    # At least half the span or half the window: a 2 s span half in a window labels it; a graze does not.
    assert window_labels((0.0, 6.0), [(5.0, 7.0, ["a"])]) == ["a"]
    assert window_labels((0.0, 6.0), [(5.1, 7.0, ["a"])]) == []
    assert window_labels((0.0, 6.0), [(0.0, 60.0, ["a", "b"]), (1.0, 2.0, ["b", "c"])]) == ["a", "b", "c"]
    assert window_labels((0.0, 6.0), [(3.5, 60.0, ["a"])]) == []  # 2.5 s of a 6 s window, of a 56.5 s span
    assert window_labels((0.0, 6.0), [(3.0, 60.0, ["a"])]) == ["a"]  # half the window
    assert parse_segment_seconds("15, 30,45,30") == [15.0, 30.0, 45.0]
    assert calls_config_names([15.0, 30.0, 45.0]) == {15.0: "calls-15s", 30.0: "calls", 45.0: "calls-45s"}
    assert calls_config_names([4.0, 7.5]) == {4.0: "calls", 7.5: "calls-7.5s"}
    with pytest.raises(ValueError, match=r"--segment-seconds '15,x': 'x' is not a number of seconds"):
        parse_segment_seconds("15,x")


def test_build_counts_windows_and_labels(built):
    out, summary, dataset = built
    assert str(summary).splitlines()[:3] == [
        "calls: 3 input rows -> 3 accepted, 0 rejected",
        "  splits: train 1, validation 1, test 1",
        "spans: 4 input rows -> 4 accepted, 0 rejected",
    ]
    first = next(iter(dataset.values()))
    assert first.column_names == COLUMNS
    features = first.features
    assert features["labels"].feature.names == ["Anger", "Despair", "Pain", "Thanks"]  # "pain" spelled as "Pain"
    assert features["binary_label"].names == ["non-negative", "negative"]
    assert features["audio"].sampling_rate == 16000
    assert {k: features[k].dtype for k in ("segment_index", "start", "end", "duration")} == {
        "segment_index": "int32",
        "start": "float32",
        "end": "float32",
        "duration": "float32",
    }
    assert _rows(dataset) == {
        "c1-0000": (["Despair"], 1, 0.0, 6.0, "alice"),
        "c1-0001": (["Anger", "Pain"], 1, 6.0, 14.0, "alice"),  # 3 s of the 5 s span: more than half of it
        "c2-0000": (["Pain"], 1, 0.0, 6.0, "bob"),  # a 1 s span split evenly labels both windows
        "c2-0001": (["Pain"], 1, 6.0, 10.0, "bob"),
        "c3-0000": (["Thanks"], 0, 0.0, 7.0, "carol"),  # Thanks is not in --negative_labels
    }
    # Segments are 16 kHz mono whatever the recording (c2 is 8 kHz stereo), cut at the window bounds.
    for split in dataset.values():
        for row in split:
            samples = row["audio"].get_all_samples()
            assert samples.sample_rate == 16000 and samples.data.shape[0] == 1
            assert samples.data.shape[1] == round((row["end"] - row["start"]) * 16000)
    card = DatasetCard.load(out / "README.md").data
    assert card["negative_labels"] == {"calls": ["Anger", "Despair", "Pain"]}
    assert card["segments"]["calls"] == {
        "mode": "fixed",
        "segment_seconds": 6.0,
        "overlap": 0.0,
        "label_rule": card["segments"]["calls"]["label_rule"],
        "max_seconds": 8.0,
    }
    assert "half the span or half the window" in card["segments"]["calls"]["label_rule"]
    assert (out / "calls" / "rejected.csv").read_text().splitlines() == ["source,row,reason,raw"]


def test_splits_are_caller_disjoint(built):
    _, _, dataset = built
    callers = {split: set(ds["speaker_id"]) for split, ds in dataset.items()}
    assert sorted(dataset) == ["test", "train", "validation"]
    assert all(callers.values())
    names = list(callers)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not callers[a] & callers[b], (a, b)
    calls = {split: set(ds["call_id"]) for split, ds in dataset.items()}
    assert sum(len(c) for c in calls.values()) == len(set().union(*calls.values())) == 3


def test_rejects_add_up_with_one_line_reasons(raw, tmp_path):
    bad_manifest, bad_spans = raw["bad"]
    summary = build_calls_dataset(
        bad_manifest,
        raw["audio"],
        tmp_path / "ds",
        annotations=bad_spans,
        segment_seconds=6,
        labels="Anger,Despair,Pain,Thanks",
        negative_labels=NEGATIVE,
    )
    assert (summary.calls.input_rows, summary.calls.accepted, summary.calls.rejected) == (10, 3, 7)
    assert summary.calls.by_reason == {
        "rejected annotations": 4,
        "duplicate call id": 1,
        "missing caller id": 1,
        "missing audio file": 1,
    }
    assert (summary.spans.input_rows, summary.spans.accepted, summary.spans.rejected) == (15, 4, 11)
    assert summary.spans.by_reason == {
        "out-of-range span": 3,
        "overlapping spans": 2,
        "call rejected": 2,
        "unknown label": 1,
        "unknown call": 1,
        "bad time": 1,
        "empty label": 1,
    }
    with (tmp_path / "ds" / "calls" / "spans.rejected.csv").open(encoding="utf-8") as handle:
        spans = {int(r["row"]): r["reason"] for r in csv.DictReader(handle)}
    assert all("\n" not in reason for reason in spans.values())
    past_end = "call 'c6': annotation row 5 ends at 9 s but the recording c6.wav is 5.000 s long; fix the span's end"
    assert spans[5] == f"out-of-range span: {past_end}"
    assert spans[6] == "call rejected: call 'c6' was rejected (rejected annotations)"
    assert (
        spans[7]
        == spans[8]
        == (
            "overlapping spans: call 'c7': rows 7 (0-3 s) and 8 (2-4 s) overlap; merge them into one span with "
            "';'-separated labels or fix the times"
        )
    )
    assert spans[9].startswith("unknown label: call 'c8': Joy not in --labels ['Anger', 'Despair', 'Pain', 'Thanks']")
    assert spans[10] == ("unknown call: call_id 'zz' is not in the calls manifest; add the call there or fix the id")
    assert spans[11] == "out-of-range span: call 'c9': start -1 s is negative; fix the times"
    assert spans[12] == "out-of-range span: call 'c9': start 3 s is not before end 2 s; fix the times"
    assert spans[13] == "bad time: call 'c9': start 'abc' is not a number of seconds"
    assert spans[14] == "empty label: call 'c9': the label cell is empty; name the label(s)"
    assert spans[15] == "call rejected: call 'c4' was rejected (missing audio file)"
    with (tmp_path / "ds" / "calls" / "rejected.csv").open(encoding="utf-8") as handle:
        calls = {int(r["row"]): r["reason"] for r in csv.DictReader(handle)}
    assert calls[4] == "missing audio file: call 'c4': missing.wav: no such file"
    assert calls[5] == "duplicate call id: call 'c1' is already on row 1"
    assert calls[6].startswith("missing caller id: call 'c5': the caller_id cell is empty")
    assert calls[7] == f"rejected annotations: {past_end}"
    assert calls[8].startswith("rejected annotations: call 'c7': annotation row(s) 7, 8 were rejected")
    assert calls[10].startswith("rejected annotations: call 'c9': annotation row(s) 11, 12, 13, 14 were rejected")
    # The accepted calls are cut exactly as without the bad rows.
    dataset = datasets.load_dataset(str(tmp_path / "ds"), "calls", cache_dir=str(tmp_path / "cache"))
    assert sorted(_rows(dataset)) == ["c1-0000", "c1-0001", "c2-0000", "c2-0001", "c3-0000"]


def test_cli_strict_is_one_line_and_rebuild_is_atomic(raw, tmp_path, capsys):
    out = tmp_path / "ds"
    args = ["build-calls", str(raw["manifest"]), "--audio-dir", str(raw["audio"]), "--output_dir", str(out)]
    args += ["--annotations", str(raw["spans"]), "--segment-seconds", "6", "--negative_labels", NEGATIVE]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == "calls: 3 input rows -> 3 accepted, 0 rejected"
    assert "  segments: calls: train 2, validation 2, test 1" in printed.splitlines()
    before = {p.name: p.read_bytes() for p in (out / "calls").iterdir()}
    card = (out / "README.md").read_text()

    bad_manifest, bad_spans = raw["bad"]
    bad = ["build-calls", str(bad_manifest), "--audio-dir", str(raw["audio"]), "--output_dir", str(out)]
    bad += ["--annotations", str(bad_spans), "--segment-seconds", "6", "--strict"]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(
        "sentiv data build-calls: error: --strict: 6 of 10 calls and 10 of 15 annotation rows were rejected"
    )
    # The failed build left the previous config and card as they were, and reported beside them.
    assert {p.name: p.read_bytes() for p in (out / "calls").iterdir()} == before
    assert (out / "README.md").read_text() == card
    assert (out / "calls.rejected.csv").is_file() and (out / "calls.spans.rejected.csv").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert datasets.load_dataset(str(out), "calls", cache_dir=str(tmp_path / "cache"))["train"].num_rows > 0

    assert main(args) == 0  # a good rebuild clears the failed build's reports
    assert not (out / "calls.rejected.csv").exists() and not (out / "calls.spans.rejected.csv").exists()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"segments": "windows"}, "--segments 'windows': choose one of ['fixed', 'annotated']."),
        ({"segments": "annotated"}, "--segments annotated cuts one segment per span; pass the spans with"),
        ({"overlap": 6.0}, "overlap must be >= 0 and < segment_seconds (6), got 6.0."),
        ({"segment_seconds": "0"}, "--segment-seconds '0': every length must be > 0 seconds"),
        ({"negative_labels": "Joy"}, "--negative_labels Joy: not among the manifest's labels"),
    ],
)
def test_bad_options_are_one_line_errors(raw, tmp_path, kwargs, message):
    options = {"annotations": raw["spans"], "segment_seconds": 6, **kwargs}
    if kwargs.get("segments") == "annotated":
        options = {"segments": "annotated"}
    with pytest.raises(ValueError) as info:
        build_calls_dataset(raw["manifest"], raw["audio"], tmp_path / "ds", **options)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_manifest_column_names_the_columns(raw, tmp_path):
    manifest = _table(tmp_path / "calls.csv", ["call_id", "file"], [("c1", "c1.wav")])
    with pytest.raises(ValueError, match=r"lacks the required column\(s\) \['path', 'caller_id'\]; it has"):
        build_calls_dataset(manifest, raw["audio"], tmp_path / "ds")


def test_annotated_segments(raw, tmp_path):
    out = tmp_path / "ds"
    summary = build_calls_dataset(
        raw["manifest"], raw["audio"], out, annotations=raw["spans"], segments="annotated", negative_labels=NEGATIVE
    )
    assert list(summary.segments) == ["calls"]
    dataset = datasets.load_dataset(str(out), "calls", cache_dir=str(tmp_path / "cache"))
    assert _rows(dataset) == {
        "c1-0000": (["Despair"], 1, 0.0, 2.0, "alice"),
        "c1-0001": (["Anger", "Pain"], 1, 4.0, 9.0, "alice"),
        "c2-0000": (["Pain"], 1, 5.5, 6.5, "bob"),
        "c3-0000": (["Thanks"], 0, 0.0, 7.0, "carol"),
    }
    segments = DatasetCard.load(out / "README.md").data["segments"]["calls"]
    assert segments == {"mode": "annotated", "label_rule": segments["label_rule"], "max_seconds": 7.0}


def test_several_segment_lengths_share_the_split(raw, tmp_path):
    out = tmp_path / "ds"
    summary = build_calls_dataset(
        raw["manifest"], raw["audio"], out, annotations=raw["spans"], segment_seconds="3,6", negative_labels=NEGATIVE
    )
    assert list(summary.segments) == ["calls", "calls-6s"]  # the first length is `calls` when 30 is not listed
    card = DatasetCard.load(out / "README.md").data
    assert [c["config_name"] for c in card["configs"]] == ["calls", "calls-6s"]
    assert {name: (s["segment_seconds"], s["max_seconds"]) for name, s in card["segments"].items()} == {
        "calls": (3.0, 4.0),
        "calls-6s": (6.0, 8.0),
    }
    cache = str(tmp_path / "cache")
    three, six = (datasets.load_dataset(str(out), name, cache_dir=cache) for name in ("calls", "calls-6s"))
    assert sum(len(s) for s in three.values()) == 5 + 3 + 2  # c1: 5 windows of 3 s, c2: 3, c3: 2
    for split in six:
        assert set(three[split]["speaker_id"]) == set(six[split]["speaker_id"])
    assert _rows(three)["c1-0004"] == ([], 0, 12.0, 14.0, "alice")


def test_demo_calls_config():
    root = demo_path()
    size = sum(f.stat().st_size for f in (root / "calls").rglob("*") if f.is_file())
    assert size <= 5 * 1024 * 1024, f"demo calls config is {size / 2**20:.2f} MB"
    card = DatasetCard.load(root / "README.md").data
    assert card["segments"]["calls"]["segment_seconds"] == 4.0
    assert card["segments"]["calls"]["max_seconds"] <= 6.0
    negative = card["negative_labels"]["calls"]
    dataset = datasets.load_dataset(str(root), "calls")
    assert list(dataset) == ["train", "validation", "test"]
    first = dataset["train"]
    assert first.column_names == COLUMNS
    names = first.features["labels"].feature.names
    assert set(negative) < set(names) and len(names) >= 8
    rows = [r for split in dataset.values() for r in split.remove_columns("audio")]
    callers = {r["speaker_id"] for r in rows}
    assert len(callers) == 12 and len(rows) >= 120
    assert max(len(r["labels"]) for r in rows) == 2  # some segments have two labels
    per_split = {split: set(ds["speaker_id"]) for split, ds in dataset.items()}
    assert not per_split["train"] & per_split["test"] and not per_split["train"] & per_split["validation"]
    assert {r["binary_label"] for r in rows} == {0, 1}
    assert len({r["call_id"] for r in rows}) >= 24
    audio = io.BytesIO(first.cast_column("audio", datasets.Audio(decode=False))[0]["audio"]["bytes"])
    info = sf.info(audio)
    assert (info.samplerate, info.channels, info.subtype, info.duration) == (16000, 1, "PCM_16", 4.0)
