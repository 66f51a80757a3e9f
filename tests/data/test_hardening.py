"""Issue 9 (hardening), data side: each test feeds the bad input or fault of one point and checks the fix."""

from __future__ import annotations

import csv
import json
import os
import struct
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import datasets
import numpy as np
import pytest
import soundfile as sf
import yaml
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

import sentiv_hf.data.staging
from sentiv_hf.commands.data import main as data_main
from sentiv_hf.data import demo_path
from sentiv_hf.data.audio import MIN_AUDIO_SAMPLES
from sentiv_hf.data.loading import load_dataset_dict
from sentiv_hf.data.rejects import RejectedRowsError
from sentiv_hf.data.speech import build_speech_dataset
from sentiv_hf.data.tables import DataFileError
from sentiv_hf.data.text import build_text_dataset
from sentiv_hf.errors import UserError
from sentiv_hf.labels import TEXT_LABELS

RNG = np.random.default_rng(9)


# ----------------------------------------------------------------------------------------------------------- helpers
def _wav(path: Path, samples: int | np.ndarray, rate: int = 16000, subtype: str | None = None) -> Path:
    data = samples if isinstance(samples, np.ndarray) else (0.1 * RNG.standard_normal(samples)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, rate, subtype=subtype)
    return path


def _manifest(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _rejects(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _text_source(path: Path, texts: list[str], label_of=lambda i: TEXT_LABELS[i % 7]) -> Path:
    path.write_text(
        "\n".join(json.dumps({"text": t, "label": label_of(i)}, ensure_ascii=False) for i, t in enumerate(texts)),
        encoding="utf-8",
    )
    return path


def _load_texts(folder: Path, cache: Path) -> list[str]:
    loaded = datasets.load_dataset(str(folder), "text", cache_dir=str(cache))
    return sorted(t for split in loaded.values() for t in split["text"])


def _one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith(f"sentiv data {command}: error: "), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


# ----------------------------------------------------------------------------------------------------- 9.5 secrets
def test_push_error_echoing_a_bearer_header_prints_no_token(tmp_path, monkeypatch, capsys):
    """Issue 9.5: a server that echoes the Authorization header must not get the token printed."""
    token = "hf_EchoedByTheServer0123456789"
    out = tmp_path / "ds"
    source = _text_source(tmp_path / "t.jsonl", [f"câu {i}" for i in range(14)])
    assert data_main(["build-text", str(source), "--output_dir", str(out)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("HF_TOKEN", token)

    def echo(self, *args, **kwargs):
        raise HfHubHTTPError(
            f"401 Client Error: Unauthorized. Request headers: {{'Authorization': 'Bearer {token}'}}",
            response=SimpleNamespace(status_code=401, headers={}, request=None),
        )

    monkeypatch.setattr(HfApi, "create_repo", lambda self, *a, **k: "https://huggingface.co/datasets/org/sentiv")
    monkeypatch.setattr(HfApi, "upload_folder", echo)
    assert data_main(["push", str(out), "--repo-id", "org/sentiv"]) == 2
    err = _one_line_error(capsys, "push")
    assert "The Hub refused the push to dataset repo 'org/sentiv' (HTTP 401)" in err
    assert "Bearer ***" in err
    assert token not in err and "hf_" not in err


def test_push_error_with_an_unknown_token_shape_is_scrubbed_too(tmp_path, monkeypatch):
    """Issue 9.5: a token that only the stored login knows (not passed in code) is scrubbed from the message."""
    from sentiv_hf.data.hub import HubPushError, push_dataset_folder, write_config

    out = tmp_path / "ds"
    features = datasets.Features({"id": datasets.Value("string"), "label": datasets.ClassLabel(names=["a"])})
    write_config(out, "text", {"train": datasets.Dataset.from_dict({"id": ["x"], "label": [0]}, features=features)})
    stored = "sToredLoginTokenWithoutPrefix42"
    monkeypatch.setattr("huggingface_hub.get_token", lambda: stored)

    def refuse(self, *args, **kwargs):
        raise HfHubHTTPError(
            f"403 Forbidden (token={stored})", response=SimpleNamespace(status_code=403, headers={}, request=None)
        )

    monkeypatch.setattr(HfApi, "create_repo", refuse)
    with pytest.raises(HubPushError) as info:
        push_dataset_folder(out, "org/sentiv")
    assert stored not in str(info.value)
    assert str(info.value).startswith(
        "The Hub refused the push to dataset repo 'org/sentiv' (HTTP 403): 403 Forbidden (token=***)"
    )
    assert isinstance(info.value, UserError)


# ------------------------------------------------------------------------------------------ 9.6 outside --audio-dir
@pytest.fixture
def outside_layout(tmp_path):
    """An audio folder with one good clip, and three rows that lead out of it: absolute, ``..`` and a symlink."""
    audio = tmp_path / "audio"
    _wav(audio / "good.wav", 4000)
    _wav(audio / "good2.wav", 4000)
    secret = _wav(tmp_path / "private" / "secret.wav", 4000)
    (audio / "link.wav").symlink_to(secret)
    rows = [
        {"path": "good.wav", "label": "Fear", "split": "train"},
        {"path": str(audio / "good2.wav"), "label": "Fear", "split": "test"},  # absolute, but inside: fine
        {"path": str(secret), "label": "Anger", "split": "train"},
        {"path": "../private/secret.wav", "label": "Anger", "split": "train"},
        {"path": "link.wav", "label": "Anger", "split": "train"},
    ]
    return audio, _manifest(tmp_path / "m.csv", rows)


def test_paths_outside_audio_dir_are_rejected(outside_layout, tmp_path):
    """Issue 9.6: absolute, ``..`` and symlinked paths outside --audio-dir are rejected with the row and the fix."""
    audio, manifest = outside_layout
    (summary,) = build_speech_dataset(manifest, audio, tmp_path / "ds")
    assert (summary.input_rows, summary.accepted, summary.rejected) == (5, 2, 3)
    assert summary.by_reason == {"outside audio dir": 3}
    rejected = _rejects(tmp_path / "ds" / "speech" / "rejected.csv")
    assert [r["row"] for r in rejected] == ["3", "4", "5"]
    secret = os.path.realpath(tmp_path / "private" / "secret.wav")
    for row in rejected:
        assert row["reason"].startswith("outside audio dir: ")
        assert f"resolves to {secret}, outside the audio folder {os.path.realpath(audio)}" in row["reason"]
        assert row["reason"].endswith("or pass --allow-outside-audio-dir to embed files from anywhere")
    loaded = datasets.load_dataset(str(tmp_path / "ds"), "speech", cache_dir=str(tmp_path / "cache"))
    assert sorted(i for split in loaded.values() for i in split["id"]) == ["speech-000001", "speech-000002"]


def test_paths_outside_audio_dir_are_accepted_with_the_flag(outside_layout, tmp_path, capsys):
    """Issue 9.6: ``--allow-outside-audio-dir`` accepts them (the same file listed thrice is then a duplicate)."""
    audio, manifest = outside_layout
    argv = ["build-speech", str(manifest), "--audio-dir", str(audio), "--output_dir", str(tmp_path / "ds")]
    assert data_main([*argv, "--allow-outside-audio-dir"]) == 0
    out = capsys.readouterr().out
    # The absolute path, "../" and the symlink are one file: the first row is kept, the two others are duplicates.
    assert out.splitlines()[:2] == ["speech: 5 input rows -> 3 accepted, 2 rejected", "  rejected: duplicate path 2"]


# --------------------------------------------------------------------------------------------- 9.7 atomic rebuilds
@pytest.fixture
def built(tmp_path):
    """A text config built from 14 rows (one rejected), to be rebuilt badly."""
    out = tmp_path / "ds"
    texts = [f"câu cũ {i}" for i in range(14)] + ["câu cũ 0"]
    summary = build_text_dataset(_text_source(tmp_path / "old.jsonl", texts), out)
    assert (summary.accepted, summary.rejected) == (14, 1)
    state = {
        "texts": _load_texts(out, tmp_path / "cache0"),
        "rejected": (out / "text" / "rejected.csv").read_bytes(),
        "shards": sorted(p.name for p in (out / "text").iterdir()),
        "readme": (out / "README.md").read_bytes(),
    }
    new = _text_source(tmp_path / "new.jsonl", [f"câu mới {i}" for i in range(21)] + ["", "lạ"], lambda i: "Fear")
    return SimpleNamespace(out=out, state=state, new=new, tmp=tmp_path)


def _assert_intact(built, cache: str) -> None:
    out = built.out
    assert _load_texts(out, built.tmp / cache) == built.state["texts"]
    assert (out / "text" / "rejected.csv").read_bytes() == built.state["rejected"]
    assert sorted(p.name for p in (out / "text").iterdir()) == built.state["shards"]
    assert (out / "README.md").read_bytes() == built.state["readme"]
    assert not [p.name for p in out.iterdir() if p.name.startswith(".sentiv-")]


def test_rebuild_with_read_only_readme_leaves_the_folder(built, capsys):
    """Issue 9.7: a read-only README.md stops the rebuild before anything changes, with a one-line error."""
    readme = built.out / "README.md"
    readme.chmod(0o444)
    try:
        assert data_main(["build-text", str(built.new), "--output_dir", str(built.out)]) == 2
        err = _one_line_error(capsys, "build-text")
        assert err.endswith(f"{readme} is read-only, so the dataset card cannot be updated. Make it writable "
                            f"(chmod u+w {readme}) or choose another --output_dir.")  # fmt: skip
    finally:
        readme.chmod(0o644)
    _assert_intact(built, "c1")


def test_rebuild_with_every_row_rejected_leaves_the_folder(built, tmp_path):
    """Issue 9.7: all rows rejected: the old config stays; the report goes to text.rejected.csv beside it."""
    bad = _text_source(tmp_path / "bad.jsonl", ["a", "b", "c"], lambda i: "Joy")
    with pytest.raises(DataFileError, match=r"^All 3 rows of .* were rejected \(unknown label: 3\); see .*"):
        build_text_dataset(bad, built.out)
    _assert_intact(built, "c2")
    assert [r["row"] for r in _rejects(built.out / "text.rejected.csv")] == ["1", "2", "3"]


def test_rebuild_failing_strict_leaves_the_folder_and_a_later_build_clears_the_report(built):
    """Issue 9.7: --strict with rejected rows changes nothing; the next good build removes the stale report."""
    with pytest.raises(RejectedRowsError, match=r"see .*/ds/text\.rejected\.csv\. The first: row 22: empty text\.$"):
        build_text_dataset(built.new, built.out, strict=True)
    _assert_intact(built, "c3")
    assert [r["row"] for r in _rejects(built.out / "text.rejected.csv")] == ["22"]
    summary = build_text_dataset(built.new, built.out)
    assert (summary.accepted, summary.rejected) == (22, 1)
    assert not (built.out / "text.rejected.csv").exists()
    assert len(_load_texts(built.out, built.tmp / "c3b")) == 22


def test_rebuild_failing_mid_write_leaves_the_folder(built, monkeypatch):
    """Issue 9.7: an exception while the second shard is written (disk full) leaves the old folder."""
    calls = []
    original = datasets.Dataset.to_parquet

    def flaky(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(datasets.Dataset, "to_parquet", flaky)
    with pytest.raises(OSError, match="No space left on device"):
        build_text_dataset(built.new, built.out)
    assert len(calls) == 2
    _assert_intact(built, "c4")


def test_rebuild_failing_while_swapping_in_rolls_back(built, monkeypatch):
    """Issue 9.7: a failure at the last step (replacing README.md) puts the old config folder back."""
    original = os.replace

    def refuse_readme(src, dst, *args, **kwargs):
        if Path(dst).name == "README.md":
            raise PermissionError(13, "Permission denied", str(dst))
        return original(src, dst, *args, **kwargs)

    monkeypatch.setattr(sentiv_hf.data.staging.os, "replace", refuse_readme)
    with pytest.raises(PermissionError):
        build_text_dataset(built.new, built.out)
    _assert_intact(built, "c5")


def test_speech_rebuild_swaps_speech_and_multimodal_together(tmp_path, monkeypatch):
    """Issue 9.7: when the multimodal config fails, the speech config of the same build is not swapped in either."""
    audio = tmp_path / "audio"
    rows = []
    for i in range(6):
        _wav(audio / f"a{i}.wav", 1600)
        rows.append({"path": f"a{i}.wav", "label": "Fear", "split": "train", "transcript": f"câu {i}"})
    out = tmp_path / "ds"
    build_speech_dataset(_manifest(tmp_path / "m.csv", rows), audio, out)
    before = {c: sorted(p.read_bytes() for p in (out / c).iterdir()) for c in ("speech", "multimodal")}

    def broken(*args, **kwargs):
        raise RuntimeError("multimodal failed")

    monkeypatch.setattr(sentiv_hf.data.speech, "_stage_multimodal", broken)
    with pytest.raises(RuntimeError, match="multimodal failed"):
        build_speech_dataset(_manifest(tmp_path / "m2.csv", rows[:3]), audio, out)
    assert {c: sorted(p.read_bytes() for p in (out / c).iterdir()) for c in ("speech", "multimodal")} == before
    assert len(datasets.load_dataset(str(out), "speech", cache_dir=str(tmp_path / "cache"))["train"]) == 6


def test_output_dir_that_is_a_file(tmp_path, capsys):
    """Issue 9.7: --output_dir naming a file is a one-line error with the fix, not an OSError."""
    source = _text_source(tmp_path / "t.jsonl", ["a", "b"])
    target = tmp_path / "taken.txt"
    target.write_text("not a folder")
    for out, problem in ((target, "is a file"), (target / "ds", f"cannot be created: {target} is a file")):
        assert data_main(["build-text", str(source), "--output_dir", str(out)]) == 2
        err = _one_line_error(capsys, "build-text")
        assert err.endswith(
            f"The output folder {out} {problem}. Pass a folder path as --output_dir (it is created if missing)."
        )
    assert target.read_text() == "not a folder"


def test_output_dir_that_is_read_only(tmp_path, capsys):
    """Issue 9.7: a read-only --output_dir is a one-line error with the fix, not an OSError."""
    source = _text_source(tmp_path / "t.jsonl", ["a", "b"])
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert data_main(["build-text", str(source), "--output_dir", str(locked)]) == 2
        err = _one_line_error(capsys, "build-text")
        assert err.endswith(
            f"The output folder {locked} is not writable. Make it writable (chmod u+w {locked}) or choose another "
            "--output_dir."
        )
        assert data_main(["build-text", str(source), "--output_dir", str(locked / "sub")]) == 2
        assert f"The parent folder of {locked / 'sub'}, {locked} is not writable." in _one_line_error(
            capsys, "build-text"
        )
    finally:
        locked.chmod(0o755)
    assert list(locked.iterdir()) == []


# ------------------------------------------------------------------------------------ 9.13 negative labels (data)
@pytest.fixture
def service_calls(tmp_path):
    """A multi-label manifest whose labels are call types, not emotions: Thanks, Inquiry, Complaint."""
    audio = tmp_path / "audio"
    cells = ["Thanks", "Inquiry", "Complaint", "complaint;Inquiry", "Thanks", "Inquiry", "COMPLAINT", "Thanks"]
    rows = []
    for i, cell in enumerate(cells):
        _wav(audio / f"c{i}.wav", 1600)
        rows.append({"path": f"c{i}.wav", "label": cell, "split": ("train", "test")[i % 2]})
    return audio, _manifest(tmp_path / "calls.csv", rows)


def _card(out: Path) -> dict:
    return yaml.safe_load((out / "README.md").read_text(encoding="utf-8").split("---")[1])


def test_non_emotion_labels_default_to_one_class_with_a_warning(service_calls, tmp_path, capsys):
    """Issue 9.13: the default mapping makes every call negative: the build warns with the counts and the fix."""
    audio, manifest = service_calls
    out = tmp_path / "ds"
    assert data_main(["build-speech", str(manifest), "--audio-dir", str(audio), "--output_dir", str(out),
                      "--multi-label"]) == 0  # fmt: skip
    printed = capsys.readouterr().out.splitlines()
    assert printed[-2] == (
        "  warning: binary_label has 8 negative and 0 non-negative rows, so the binary task has one class (by "
        "default every label except Enjoyment, Neutral, Surprise and None counts as negative); the labels are "
        "Complaint, Inquiry, Thanks: name the negative ones with --negative_labels A,B"
    )
    assert _card(out)["negative_labels"] == {"speech": ["Complaint", "Inquiry", "Thanks"]}


@pytest.mark.parametrize("flag", ["--negative_labels", "--negative-labels"])
def test_negative_labels_choose_the_binary_mapping_and_are_recorded(service_calls, tmp_path, capsys, flag):
    """Issue 9.13: ``--negative_labels complaint`` makes only Complaint rows negative; the card records it."""
    audio, manifest = service_calls
    out = tmp_path / "ds"
    argv = ["build-speech", str(manifest), "--audio-dir", str(audio), "--output_dir", str(out), "--multi-label"]
    assert data_main([*argv, flag, " complaint "]) == 0
    assert "warning" not in capsys.readouterr().out
    assert _card(out)["negative_labels"] == {"speech": ["Complaint"]}
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "(chosen with `--negative_labels`): `Complaint`; otherwise `non-negative`" in readme
    loaded = datasets.load_dataset(str(out), "speech", cache_dir=str(tmp_path / "cache"))
    binary = {
        row["id"]: loaded["train"].features["binary_label"].names[row["binary_label"]]
        for split in loaded.values()
        for row in split.remove_columns("audio")
    }
    negative_rows = {3, 4, 7}  # Complaint, complaint;Inquiry, COMPLAINT
    assert binary == {f"speech-{i:06d}": "negative" if i in negative_rows else "non-negative" for i in range(1, 9)}


def test_negative_labels_unknown_name_lists_the_labels_found(service_calls, tmp_path, capsys):
    """Issue 9.13: an unknown name in --negative_labels is an error that lists the labels found; nothing is written."""
    audio, manifest = service_calls
    out = tmp_path / "ds"
    argv = ["build-speech", str(manifest), "--audio-dir", str(audio), "--output_dir", str(out), "--multi-label"]
    assert data_main([*argv, "--negative_labels", "Complaint,Angry"]) == 2
    err = _one_line_error(capsys, "build-speech")
    assert err.endswith(
        "--negative_labels Angry: not among the manifest's labels ['Complaint', 'Inquiry', 'Thanks']; name the "
        "negative ones, comma-separated (any case)."
    )
    assert not out.exists()
    assert data_main([*argv[:-1], "--negative_labels", "Complaint"]) == 2
    assert _one_line_error(capsys, "build-speech").endswith(
        "--negative_labels applies to multi-label manifests only; add --multi-label or drop it."
    )


# ------------------------------------------------------------------------------------------------ 9.14 audio checks
def _truncated_wav(path: Path) -> Path:
    """A WAV whose header states 1.5 s (24,000 samples) but whose file stops at 1,000 bytes."""
    full = _wav(path.with_name("full.wav"), 24000, subtype="PCM_16")
    path.write_bytes(full.read_bytes()[:1000])
    full.unlink()
    size = struct.unpack("<I", path.read_bytes()[40:44])[0]
    assert size == 48000  # the data chunk still claims 24,000 16-bit samples
    return path


def test_bad_audio_is_rejected_with_its_reason(tmp_path):
    """Issue 9.14: NaN/inf samples, a truncated WAV and clips under MIN_AUDIO_SAMPLES are rejected, not crashed on."""
    audio = tmp_path / "audio"
    nan = np.zeros(16000, dtype=np.float32)
    nan[100] = np.nan
    inf = np.zeros(16000, dtype=np.float32)
    inf[5] = np.inf
    files = {
        "good.wav": _wav(audio / "good.wav", 8000),
        "nan.wav": _wav(audio / "nan.wav", nan, subtype="FLOAT"),
        "inf.wav": _wav(audio / "inf.wav", inf, subtype="FLOAT"),
        "trunc.wav": _truncated_wav(audio / "trunc.wav"),
        "one.wav": _wav(audio / "one.wav", 1),
        "hundred.wav": _wav(audio / "hundred.wav", 100),
        "short.wav": _wav(audio / "short.wav", MIN_AUDIO_SAMPLES - 1),
        "minimum.wav": _wav(audio / "minimum.wav", MIN_AUDIO_SAMPLES),
        "minimum8k.wav": _wav(audio / "minimum8k.wav", MIN_AUDIO_SAMPLES // 2, rate=8000),
    }
    rows = [{"path": name, "label": "Sadness", "split": "train"} for name in files]
    (summary,) = build_speech_dataset(_manifest(tmp_path / "m.csv", rows), audio, tmp_path / "ds")
    assert (summary.input_rows, summary.accepted, summary.rejected) == (9, 3, 6)
    assert summary.by_reason == {"too short": 3, "non-finite samples": 2, "truncated audio": 1}
    reasons = {r["row"]: r["reason"] for r in _rejects(tmp_path / "ds" / "speech" / "rejected.csv")}
    assert reasons["2"] == (
        f"non-finite samples: {files['nan.wav']}: 1 of 16000 samples are NaN or infinite; re-export the file"
    )
    assert reasons["3"].startswith("non-finite samples: ") and "1 of 16000 samples" in reasons["3"]
    assert reasons["4"] == (
        f"truncated audio: {files['trunc.wav']}: the WAV header states 1.500 s but the file holds 0.030 s; it was "
        "cut short (copy or export it again)"
    )
    assert reasons["5"] == (
        f"too short: {files['one.wav']}: 0.06 ms (1 samples at 16000 Hz); the speech encoders need at least 400 "
        "samples at 16 kHz (25 ms)"
    )
    assert reasons["6"].startswith(f"too short: {files['hundred.wav']}: 6.25 ms (100 samples at 16000 Hz)")
    assert reasons["7"].startswith(f"too short: {files['short.wav']}: 24.94 ms (399 samples at 16000 Hz)")
    loaded = datasets.load_dataset(str(tmp_path / "ds"), "speech", cache_dir=str(tmp_path / "cache"))
    assert sorted(loaded["train"]["id"]) == ["speech-000001", "speech-000008", "speech-000009"]


def test_min_audio_samples_is_one_frame_of_the_wav2vec2_feature_encoder():
    """Issue 9.14: MIN_AUDIO_SAMPLES is exactly the input a wav2vec2/HuBERT conv stack needs for one frame."""
    import torch
    from transformers import HubertConfig, HubertModel

    config = HubertConfig(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, conv_dim=(8,) * 7
    )
    model = HubertModel(config).eval()
    lengths = model._get_feat_extract_output_lengths(torch.tensor([MIN_AUDIO_SAMPLES - 1, MIN_AUDIO_SAMPLES]))
    assert lengths.tolist() == [0, 1]
    with torch.no_grad():
        assert model(torch.zeros(1, MIN_AUDIO_SAMPLES)).last_hidden_state.shape == (1, 1, 16)
        with pytest.raises(RuntimeError):
            model(torch.zeros(1, 100))


@pytest.mark.parametrize("spelling", ["NFC", "NFD"])
def test_nfd_file_name_is_found_however_the_manifest_spells_it(tmp_path, spelling):
    """Issue 9.14: a file whose name is NFD on disk is found from an NFC or NFD manifest path; ids stay NFC."""
    audio = tmp_path / "audio"
    name = "giọng nói buồn.wav"
    on_disk = audio / unicodedata.normalize("NFD", name)
    _wav(on_disk, 1600)
    assert not (audio / unicodedata.normalize("NFC", name)).exists()  # the two spellings are distinct names here
    _wav(audio / "other.wav", 1600)
    rows = [
        {"path": unicodedata.normalize(spelling, name), "label": "Sadness", "split": "train", "speaker_id": "Bà Hòa"},
        {"path": "other.wav", "label": "Fear", "split": "test", "speaker_id": "x"},
    ]
    (summary,) = build_speech_dataset(_manifest(tmp_path / "m.csv", rows), audio, tmp_path / "ds")
    assert (summary.accepted, summary.rejected) == (2, 0)
    loaded = datasets.load_dataset(str(tmp_path / "ds"), "speech", cache_dir=str(tmp_path / "cache"))
    assert loaded["train"]["speaker_id"] == [unicodedata.normalize("NFC", "Bà Hòa")]
    assert loaded["train"].cast_column("audio", datasets.Audio(decode=False))[0]["audio"]["bytes"] == (
        on_disk.read_bytes()
    )


def test_same_path_with_different_labels_is_a_conflict(tmp_path):
    """Issue 9.14: one file listed with two labels is a conflict naming both labels and rows; all its rows go."""
    audio = tmp_path / "audio"
    for name in ("a.wav", "b.wav", "c.wav"):
        _wav(audio / name, 1600)
    rows = [
        {"path": "a.wav", "label": "Anger", "split": "train"},
        {"path": "b.wav", "label": "Fear", "split": "train"},
        {"path": "./a.wav", "label": "Sadness", "split": "train"},
        {"path": "b.wav", "label": "fear", "split": "train"},
        {"path": "c.wav", "label": "Neutral", "split": "test"},
        {"path": "a.wav", "label": "Anger", "split": "train"},
    ]
    (summary,) = build_speech_dataset(_manifest(tmp_path / "m.csv", rows), audio, tmp_path / "ds")
    assert (summary.accepted, summary.rejected) == (2, 4)
    assert summary.by_reason == {"conflicting labels": 3, "duplicate path": 1}
    reasons = {r["row"]: r["reason"] for r in _rejects(tmp_path / "ds" / "speech" / "rejected.csv")}
    conflict = "is listed with different labels: Anger (rows 1, 6) vs Sadness (row 3)"
    assert reasons == {
        "1": f"conflicting labels: a.wav {conflict}",
        "3": f"conflicting labels: ./a.wav {conflict}",
        "4": "duplicate path: b.wav is already listed on row 2",
        "6": f"conflicting labels: a.wav {conflict}",
    }


# ------------------------------------------------------------------------------------------- 9.15 whitespace dedup
def test_texts_differing_only_in_whitespace_are_duplicates(tmp_path):
    """Issue 9.15: inner whitespace runs, tabs, NBSP and zero-width spaces are collapsed before de-duplication."""
    texts = ["tôi vui", "tôi  vui", "tôi\tvui ", "\u00a0tôi\u00a0vui", "tôi\u200bvui", "buồn  quá", "buồn quá\n"]
    labels = ["Enjoyment"] * 5 + ["Sadness", "Fear"]
    source = _text_source(tmp_path / "t.jsonl", texts, lambda i: labels[i])
    summary = build_text_dataset(source, tmp_path / "ds")
    assert (summary.accepted, summary.rejected) == (1, 6)
    assert summary.by_reason == {"duplicate text": 4, "conflicting labels": 2}
    reasons = [r["reason"] for r in _rejects(tmp_path / "ds" / "text" / "rejected.csv")]
    assert reasons[:4] == ["duplicate text: same text as row 1"] * 4
    assert reasons[4:] == ["conflicting labels: Fear (row 7) vs Sadness (row 6)"] * 2
    assert _load_texts(tmp_path / "ds", tmp_path / "cache") == ["tôi vui"]


def test_blank_and_zero_width_texts_are_rejected_as_empty(tmp_path):
    """Issue 9.15: empty, whitespace-only and zero-width-only texts are rejected as ``empty text``."""
    blanks = ["", "   ", "\t\n", "\u00a0", "\u200b", "\u200b\u200c\ufeff \u200d", "\ufeff"]
    source = _text_source(tmp_path / "t.jsonl", [*blanks, "\u200dcâu thật\u200c"], lambda i: "Neutral")
    summary = build_text_dataset(source, tmp_path / "ds")
    assert (summary.accepted, summary.rejected) == (1, 7)
    assert summary.by_reason == {"empty text": 7}
    assert _load_texts(tmp_path / "ds", tmp_path / "cache") == ["câu thật"]


# ------------------------------------------------------------------------------------------- 9.18 dataset loading
def test_offline_hub_dataset_is_one_line(monkeypatch):
    """Issue 9.18: an offline Hub id fails at once as a one-line UserError, not a ConnectionError traceback."""
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    monkeypatch.setattr("datasets.config.HF_HUB_OFFLINE", True)
    with pytest.raises(UserError) as info:
        load_dataset_dict("org/nodata", "text")
    assert str(info.value) == (
        "Cannot fetch dataset 'org/nodata': offline mode is on (HF_HUB_OFFLINE=1) and it is not in the local cache; "
        "unset HF_HUB_OFFLINE to download it, or pass a local folder (or fill HF_HUB_CACHE with it first)."
    )


@pytest.mark.parametrize("name", ["./sentiv-dta", "sentiv-dta", "out/sentiv/dta", "/nowhere/sentiv"])
def test_mistyped_folder_is_no_such_folder(tmp_path, monkeypatch, name):
    """Issue 9.18: a name that is no folder and cannot be a Hub id says "no such folder" without trying the Hub."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("datasets.load_dataset", lambda *a, **k: pytest.fail("the Hub was tried"))
    with pytest.raises(UserError) as info:
        load_dataset_dict(name, "text")
    assert str(info.value).startswith(f"No such dataset folder: {name} (resolved from {tmp_path}). Check the path")


def test_benchmark_with_offline_hub_dataset_exits_2_in_one_line(tmp_path, capsys):
    """Issue 9.18: ``sentiv benchmark --dataset org/nodata`` offline: one line on stderr, exit 2, no traceback."""
    from sentiv_hf.cli import main as cli_main

    code = cli_main(["benchmark", "--dataset", "org/nodata", "--output_dir", str(tmp_path / "bench")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [
        "sentiv benchmark: Cannot fetch dataset 'org/nodata': offline mode is on (HF_HUB_OFFLINE=1) and it is not "
        "in the local cache; unset HF_HUB_OFFLINE to download it, or pass a local folder (or fill HF_HUB_CACHE with "
        "it first)."
    ]


# ------------------------------------------------------------------------------------------ dataset card citation
def test_card_cites_sentiv_and_names_no_local_path(tmp_path):
    """Dataset card: the SentiV citation as the release gives it, and no absolute local path anywhere in the card."""
    audio = tmp_path / "audio"
    rows = []
    for i in range(4):
        _wav(audio / f"a{i}.wav", 1600)
        rows.append({"path": str(audio / f"a{i}.wav"), "label": "Fear", "split": "train", "transcript": "câu"})
    out = tmp_path / "ds"
    build_text_dataset(_text_source(tmp_path / "t.jsonl", [f"câu {i}" for i in range(14)]), out)
    build_speech_dataset(_manifest(tmp_path / "m.csv", rows), audio, out)
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert (
        "```bibtex\n@article{sentiv2026,\n"
        "  title  = {SentiV: A Benchmark for Low-Resource Vietnamese Speech–Text Emotion Understanding},\n"
        "  author = {Anonymous},\n  year   = {2026}\n}\n```"
    ) in readme
    assert str(tmp_path) not in readme and "/tmp" not in readme
    demo = (demo_path() / "README.md").read_text(encoding="utf-8")
    assert "@article{sentiv2026," in demo and "@misc{sentiv," not in demo


def test_atomic_path_keeps_the_old_file_when_the_write_fails(tmp_path):
    """Every single-file write goes through staging.atomic_path: a failure leaves the previous file and no temp."""
    from sentiv_hf.data.staging import atomic_path, write_text_atomic

    target = write_text_atomic(tmp_path / "record.json", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half of the new", encoding="utf-8")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]
    write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"


def test_replaced_folder_swaps_a_whole_folder_or_nothing(tmp_path):
    from sentiv_hf.data.staging import replaced_folder

    folder = tmp_path / "models" / "run"
    with replaced_folder(folder) as staged:
        (staged / "a.txt").write_text("first")
    with pytest.raises(RuntimeError), replaced_folder(folder) as staged:
        (staged / "b.txt").write_text("second")
        raise RuntimeError("failed before the swap")
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt"]
    with replaced_folder(folder) as staged:
        (staged / "b.txt").write_text("second")
    assert sorted(p.name for p in folder.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in folder.parent.iterdir()) == ["run"]  # no staging or backup folder left
