"""``sentiv predict-call`` and the ``sentiv-call`` pipeline on synthetic calls decoded by FFmpeg (tiny models)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import soundfile as sf
import torch
from transformers import pipeline

from sentiv_hf.commands.predict_call import main
from sentiv_hf.data.calls import segment_windows
from sentiv_hf.labels import SPEECH_LABELS
from sentiv_hf.models import SentiVContextModel
from sentiv_hf.models.call_pipeline import call_negativity, covered_seconds, summarize_call
from sentiv_hf.models.tiny import tiny_speech_feature_extractor, tiny_speech_model

RATE = 16000
BINARY = {0: "non-negative", 1: "negative"}


def synthetic_call(seconds: float, seed: int = 0) -> np.ndarray:
    """Runs of 45 s of noise, a low hum and a high tone, so that windows differ and so do their scores."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    kind = (t // 45).astype(int) % 3
    tone = np.sin(2 * np.pi * np.where(kind == 1, 120, 2500) * t)
    wave = np.where(kind == 0, 0.5 * rng.standard_normal(t.size), tone)
    return (0.3 * wave + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


def error_line(capsys) -> str:
    """The command's one-line error (progress bars aside), with no traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("sentiv ")]
    assert len(lines) == 1, err
    return lines[0]


def save_speech(folder, *, encoder="hubert", seed=1, **kwargs):
    model = tiny_speech_model(encoder=encoder, seed=seed, **kwargs)
    with torch.no_grad():  # a random tiny head scores every window alike; a steeper one tells windows apart
        model.classifier.weight.mul_(300.0)
    model.save_pretrained(folder)
    tiny_speech_feature_extractor(encoder).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("calls")
    wave = synthetic_call(600.0)
    sf.write(root / "call.wav", wave, RATE, subtype="PCM_16")
    sf.write(root / "call.flac", wave, RATE, subtype="PCM_16")
    sf.write(root / "short.wav", synthetic_call(120.0, seed=1), RATE, subtype="PCM_16")
    return {
        "root": root,
        "emotion": save_speech(root / "emotion", num_labels=6),
        "binary": save_speech(root / "binary", num_labels=2, head="binary", id2label=BINARY),
    }


@pytest.fixture(scope="module")
def emotion_run(files):
    """The command on the 10-minute FLAC call with the 6-emotion checkpoint, threshold 0.5, into out/."""
    out = files["root"] / "out"
    assert main([str(files["root"] / "call.flac"), "--model", str(files["emotion"]), "--output_dir", str(out)]) == 0
    with (out / "call.segments.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    summary = json.loads((out / "call.summary.json").read_text(encoding="utf-8"))
    return out, rows, summary


def test_ten_minute_call_segments_csv(emotion_run):
    out, rows, _ = emotion_run
    windows = segment_windows(600.0, 30.0, 0.0)
    assert len(rows) == len(windows) == 20
    assert list(rows[0]) == [
        "segment_index",
        "start",
        "end",
        *(f"score_{name}" for name in SPEECH_LABELS),
        "labels",
        "negativity",
    ]
    assert [(float(r["start"]), float(r["end"])) for r in rows] == windows
    assert [int(r["segment_index"]) for r in rows] == list(range(20))
    scores = np.array([[float(r[f"score_{name}"]) for name in SPEECH_LABELS] for r in rows])
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-5)
    assert [r["labels"] for r in rows] == [SPEECH_LABELS[i] for i in scores.argmax(axis=1)]
    by_hand = scores[:, [0, 2, 4]].sum(axis=1)  # Anger, Fear, Sadness
    np.testing.assert_allclose([float(r["negativity"]) for r in rows], by_hand, atol=3e-6)
    assert len({r["labels"] for r in rows}) > 1, "the steep tiny head should predict more than one label"


def test_ten_minute_call_summary_matches_the_csv(emotion_run):
    _, rows, summary = emotion_run
    negativity = np.array([float(r["negativity"]) for r in rows])
    lengths = np.array([float(r["end"]) - float(r["start"]) for r in rows])
    assert summary["file"] == "call.flac"
    assert 0 < summary["negative_share"] < 1
    assert summary["duration"] == pytest.approx(600.0)
    assert summary["n_segments"] == 20
    assert summary["negative_share"] == pytest.approx(lengths[negativity >= 0.5].sum() / 600.0)
    peak = int(np.argmax(negativity))
    assert summary["peak_segment"]["segment_index"] == peak
    assert (summary["peak_segment"]["start"], summary["peak_segment"]["end"]) == (30.0 * peak, 30.0 * peak + 30)
    assert summary["peak_segment"]["score"] == pytest.approx(negativity[peak], abs=1e-6)
    for name in SPEECH_LABELS:
        by_hand = lengths[[r["labels"] == name for r in rows]].sum() / 600.0
        assert summary["label_shares"][name] == pytest.approx(by_hand)
    assert sum(summary["label_shares"].values()) == pytest.approx(1.0)
    assert (summary["segment_seconds"], summary["overlap"], summary["context"]) == (30.0, 0.0, False)
    assert summary["model_type"] == "sentiv-speech" and summary["threshold"] == 0.5


def test_ten_minute_call_timeline_png(emotion_run):
    from matplotlib.image import imread

    out, _, _ = emotion_run
    path = out / "call.timeline.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.shape[:2] == (600, 1200)
    assert image[..., :3].std() > 0.05  # something is drawn
    assert not list(out.glob(".*"))  # no temporary file left behind


def test_pipeline_on_the_wav_equals_the_command_csv_of_the_flac(files, emotion_run):
    """The same 16-bit samples in two containers, decoded by FFmpeg: the pipeline's records are the command's CSV."""
    _, rows, summary = emotion_run
    calls = pipeline("sentiv-call", model=str(files["emotion"]), device="cpu")
    result = calls(str(files["root"] / "call.wav"), batch_size=4)
    assert len(result["segments"]) == len(rows)
    for segment, row in zip(result["segments"], rows):
        assert (segment["start"], segment["end"]) == (float(row["start"]), float(row["end"]))
        for label, score in segment["scores"].items():
            assert score == pytest.approx(float(row[f"score_{label}"]), abs=2e-5)
        assert ";".join(segment["labels"]) == row["labels"]
        assert segment["negativity"] == pytest.approx(float(row["negativity"]), abs=2e-5)
    assert result["summary"]["negative_share"] == pytest.approx(summary["negative_share"])
    assert result["summary"]["label_shares"] == pytest.approx(summary["label_shares"])
    assert result["summary"]["peak_segment"] == pytest.approx(summary["peak_segment"], abs=2e-5)


def test_binary_threshold_and_overlap(files, tmp_path):
    """Binary head: negativity is P(negative); a threshold between the scores splits the call; overlapping
    windows count their shared time once."""
    calls = pipeline("sentiv-call", model=str(files["binary"]), device="cpu")
    plain = calls(str(files["root"] / "short.wav"), segment_seconds=20)
    negativity = np.array([s["negativity"] for s in plain["segments"]])
    assert len(negativity) == 6 and negativity.max() - negativity.min() > 0.05
    threshold = float(np.median(negativity))
    code = main(
        [str(files["root"] / "short.wav"), "--model", str(files["binary"]), "--output_dir", str(tmp_path)]
        + ["--segment-seconds", "20", "--overlap", "10", "--threshold", str(threshold), "--batch_size", "2"]
    )
    assert code == 0
    with (tmp_path / "short.segments.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    windows = segment_windows(120.0, 20.0, 10.0)
    assert [(float(r["start"]), float(r["end"])) for r in rows] == windows and len(rows) == 11
    assert list(rows[0])[3:] == ["score_non-negative", "score_negative", "labels", "negativity"]
    negative = [(float(r["start"]), float(r["end"])) for r in rows if float(r["negativity"]) >= threshold]
    assert [r["labels"] for r in rows] == [
        "negative" if float(r["negativity"]) >= threshold else "non-negative" for r in rows
    ]
    summary = json.loads((tmp_path / "short.summary.json").read_text(encoding="utf-8"))
    assert 0 < summary["negative_share"] < 1
    assert summary["negative_share"] == pytest.approx(covered_seconds(negative) / 120.0, abs=1e-6)
    assert summary["label_shares"]["negative"] == pytest.approx(summary["negative_share"])
    assert summary["negativity"] == "probability of 'negative'"


def test_context_checkpoint_equals_the_context_model_over_embed_segments(files, tmp_path):
    speech = tiny_speech_model(num_labels=2, head="binary", id2label=BINARY)
    model = SentiVContextModel.from_segment_model(
        speech, d_model=32, num_heads=2, dim_feedforward=64, head="binary", segment_seconds=20.0, causal=True
    )
    model.save_pretrained(tmp_path / "context")
    extractor = tiny_speech_feature_extractor()
    extractor.save_pretrained(tmp_path / "context")
    call = files["root"] / "short.wav"
    assert main([str(call), "--model", str(tmp_path / "context"), "--output_dir", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "short.summary.json").read_text(encoding="utf-8"))
    assert (summary["segment_seconds"], summary["context"], summary["causal"]) == (20.0, True, True)
    with (tmp_path / "out" / "short.segments.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # By hand: each window through the feature extractor and embed_segments, stacked, then the context head.
    wave, _ = sf.read(call, dtype="float32")
    windows = segment_windows(120.0, 20.0)
    features = [
        model.embed_segments(**extractor(wave[int(s * RATE) : int(e * RATE)], sampling_rate=RATE, return_tensors="pt"))
        for s, e in windows
    ]
    with torch.no_grad():
        expected = model(torch.cat(features)[None]).logits[0].softmax(-1)[:, 1].numpy()
    assert len(rows) == len(windows) == 6
    np.testing.assert_allclose([float(r["negativity"]) for r in rows], expected, atol=1e-5)


def test_whisper_windows(files, tmp_path, capsys):
    whisper = save_speech(tmp_path / "whisper", encoder="whisper", num_labels=6)
    call = tmp_path / "ten.wav"
    sf.write(call, synthetic_call(10.0), RATE)
    # The tiny Whisper's input is 2 s; 1 s windows (the last up to 1.5 s) fit.
    assert main([str(call), "--model", str(whisper), "--segment-seconds", "1"]) == 0
    assert json.loads((tmp_path / "ten.summary.json").read_text(encoding="utf-8"))["n_segments"] == 10
    capsys.readouterr()
    assert main([str(call), "--model", str(whisper), "--segment-seconds", "3"]) == 2
    err = error_line(capsys)
    assert "a 4 s window is longer than the Whisper encoder's 2 s input" in err  # 0-3, 3-6, 6-10 s
    assert "--segment-seconds 1.33333 or less" in err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "Call recording not found: {path}"),
        (lambda p: p.write_bytes(b"this is not audio at all" * 50), "{path}"),
        (lambda p: p.write_bytes(b""), "{path}: zero-length audio: the file is empty (0 bytes)"),
        (lambda p: sf.write(p, synthetic_call(0.01), RATE), "the clip is too short: 160 samples"),
        (lambda p: sf.write(p, np.zeros(0, dtype=np.float32), RATE), "the recording is empty (0 s of audio)"),
    ],
    ids=["missing", "undecodable", "empty-file", "too-short", "no-samples"],
)
def test_bad_calls_are_one_line_errors(files, tmp_path, capsys, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    assert main([str(path), "--model", str(files["emotion"])]) == 2
    err = error_line(capsys)
    assert err.startswith("sentiv predict-call: ")
    assert message.format(path=path) in err
    assert not list(tmp_path.glob("bad.*.*"))  # nothing written


def test_bad_flags_and_checkpoints_are_one_line_errors(files, tmp_path, capsys):
    call = str(files["root"] / "short.wav")
    assert main([call, "--model", str(files["emotion"]), "--segment-seconds", "10", "--overlap", "10"]) == 2
    assert "--segment-seconds / --overlap: overlap must be >= 0 and < segment_seconds (10)" in error_line(capsys)
    assert main([call, call, "--model", str(files["emotion"])]) == 2
    assert "would both write short.summary.json" in error_line(capsys)
    from sentiv_hf.training.inference import load_for_inference

    context = SentiVContextModel.from_segment_model(tiny_speech_model(), d_model=32, num_heads=2)
    context.save_pretrained(tmp_path / "context")
    tiny_speech_feature_extractor().save_pretrained(tmp_path / "context")
    with pytest.raises(Exception, match="run it with `sentiv predict-call CALL.wav --model"):
        load_for_inference(str(tmp_path / "context"))
    with pytest.raises(ValueError, match="sentiv-call needs a SentiV speech classifier"):
        from sentiv_hf.models.call_pipeline import SentiVCallPipeline

        SentiVCallPipeline(model=context.segment_model.encoder, feature_extractor=tiny_speech_feature_extractor())


@pytest.mark.parametrize(
    ("names", "head", "probabilities", "expected"),
    [
        (["non-negative", "negative"], "binary", [[0.3, 0.7]], [0.7]),
        (["negative", "non-negative"], "single_label", [[0.6, 0.4]], [0.6]),
        (list(SPEECH_LABELS), "single_label", [[0.1, 0.2, 0.15, 0.3, 0.2, 0.05]], [0.45]),
        (["Sadness", "Despair", "Neutral"], "multi_label", [[0.2, 0.7, 0.9]], [0.7]),
        (["LABEL_0", "LABEL_1", "LABEL_2"], "single_label", [[0.2, 0.3, 0.5]], None),
    ],
    ids=["binary", "binary-names", "emotions", "hotline-multilabel", "unknown"],
)
def test_call_negativity_definition(names, head, probabilities, expected):
    got = call_negativity(np.array(probabilities), names, head)
    if expected is None:
        assert got is None
    else:
        np.testing.assert_allclose(got, expected)


def test_summary_without_negativity_peaks_on_the_most_confident_segment():
    result = summarize_call(
        np.array([[0.5, 0.3, 0.2], [0.1, 0.8, 0.1], [0.4, 0.4, 0.2]]),
        [(0.0, 30.0), (20.0, 50.0), (40.0, 70.0)],
        duration=70.0,
        label_names=["a", "b", "c"],
        head="single_label",
    )
    summary = result["summary"]
    assert summary["negative_share"] is None and summary["negativity"] is None
    assert summary["peak_segment"] == {
        "segment_index": 1,
        "start": 20.0,
        "end": 50.0,
        "score": 0.8,
        "score_name": "b",
    }
    assert summary["label_shares"] == pytest.approx({"a": 60.0 / 70, "b": 30.0 / 70, "c": 0.0})
    assert [s["labels"] for s in result["segments"]] == [["a"], ["b"], ["a"]]
