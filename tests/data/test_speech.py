from __future__ import annotations

import csv
import json
import shutil
import subprocess
import textwrap
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sentiv_hf.data.speech import AudioDecodeError, build_speech_dataset, probe_audio
from sentiv_hf.labels import SPEECH_LABELS

from ..utils import last_json_line, run_python_without_sentiv_hf

RNG = np.random.default_rng(0)


def _noise(n: int, channels: int = 1) -> np.ndarray:
    shape = (n, channels) if channels > 1 else (n,)
    return (0.1 * RNG.standard_normal(shape)).astype(np.float32)


def _make_audio(folder: Path) -> dict[str, Path]:
    """One clip per format: 8 kHz stereo WAV (0.5 s), 44.1 kHz FLAC (0.75 s), MP3 (22.05 kHz, 1 s)."""
    folder.mkdir(parents=True, exist_ok=True)
    wav, flac, mp3 = folder / "stereo8k.wav", folder / "clip44k.flac", folder / "clip.mp3"
    sf.write(wav, _noise(4000, 2), 8000)
    sf.write(flac, _noise(33075), 44100)
    source = folder / "_mp3_source.wav"
    sf.write(source, _noise(22050), 22050)
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(source), str(mp3)], check=True)
    source.unlink()
    return {"wav": wav, "flac": flac, "mp3": mp3}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """24 good clips by 12 speakers (3 formats, half with transcripts) and 7 bad rows."""
    root = tmp_path_factory.mktemp("speech")
    audio = root / "audio"
    originals = _make_audio(audio / "_src")
    rows = []
    durations = {"wav": 0.5, "flac": 0.75, "mp3": 1.0}
    labels = ["Anger", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise", "Disgust", "neutral "]
    for i in range(24):
        kind = ("wav", "flac", "mp3")[i % 3]
        rel = f"spk{i // 2:02d}/utt{i:02d}{originals[kind].suffix}"
        (audio / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(originals[kind], audio / rel)
        transcript = f"Câu nói số {i}" if i % 2 == 0 else ""
        rows.append({"path": rel, "label": labels[i % 8], "speaker_id": f"spk{i // 2:02d}", "transcript": transcript})
    (audio / "bad").mkdir()
    (audio / "bad/corrupt.wav").write_bytes(np.random.default_rng(1).bytes(3000))
    (audio / "bad/empty.wav").write_bytes(b"")
    sf.write(audio / "bad/zero_frames.wav", np.zeros((0, 1), dtype=np.float32), 16000)
    bad = [
        {"path": "bad/missing.wav", "label": "Fear", "speaker_id": "spkX", "transcript": "mất"},  # row 25
        {"path": "bad/corrupt.wav", "label": "Fear", "speaker_id": "spkX", "transcript": ""},  # row 26
        {"path": "bad/empty.wav", "label": "Fear", "speaker_id": "spkX", "transcript": ""},  # row 27
        {"path": "bad/zero_frames.wav", "label": "Fear", "speaker_id": "spkX", "transcript": ""},  # row 28
        {"path": rows[1]["path"], "label": "Joy", "speaker_id": "spk00", "transcript": ""},  # row 29
        {"path": rows[0]["path"], "label": "Anger", "speaker_id": "spk00", "transcript": "lặp"},  # row 30
        {"path": rows[2]["path"], "label": "", "speaker_id": "spk01", "transcript": ""},  # row 31
    ]
    manifest = root / "manifest.csv"
    pd.DataFrame(rows + bad).to_csv(manifest, index=False)
    out = root / "out"
    summaries = build_speech_dataset(manifest, audio, out)
    kinds = [("wav", "flac", "mp3")[i % 3] for i in range(24)]
    return {"root": root, "audio": audio, "out": out, "summaries": summaries, "rows": rows, "kinds": kinds,
            "durations": durations, "originals": originals}  # fmt: skip


def test_probe_audio_formats(corpus: dict) -> None:
    src = corpus["originals"]
    info = probe_audio(src["wav"])
    assert (info.sample_rate, info.num_channels, info.num_samples) == (8000, 2, 4000)
    assert info.duration == pytest.approx(0.5)
    info = probe_audio(src["flac"])
    assert (info.sample_rate, info.num_channels) == (44100, 1) and info.duration == pytest.approx(0.75)
    info = probe_audio(src["mp3"])
    assert info.sample_rate == 22050 and info.duration == pytest.approx(1.0, abs=0.06)


@pytest.mark.parametrize(
    ("name", "reason", "detail"),
    [
        ("bad/missing.wav", "missing audio file", "no such file"),
        ("bad/corrupt.wav", "undecodable audio", "FFmpeg could not open it"),
        ("bad/empty.wav", "zero-length audio", "the file is empty (0 bytes)"),
        ("bad/zero_frames.wav", "zero-length audio", "the file holds no audio frames"),
    ],
)
def test_probe_audio_errors(corpus: dict, name: str, reason: str, detail: str) -> None:
    with pytest.raises(AudioDecodeError) as info:
        probe_audio(corpus["audio"] / name)
    assert info.value.reason == reason
    assert detail in info.value.detail
    assert str(corpus["audio"] / name) in str(info.value)


def test_summary_counts(corpus: dict) -> None:
    speech, multimodal = corpus["summaries"]
    assert (speech.config, speech.input_rows, speech.accepted, speech.rejected) == ("speech", 31, 24, 7)
    assert speech.by_reason == {
        "zero-length audio": 2,
        "missing audio file": 1,
        "undecodable audio": 1,
        "unknown label": 1,
        "duplicate path": 1,
        "empty label": 1,
    }
    assert sum(speech.split_sizes.values()) == 24
    assert speech.label_counts == {"Anger": 6, "Enjoyment": 3, "Fear": 3, "Neutral": 6, "Sadness": 3, "Surprise": 3}
    # Rows with a transcript: the 12 even good rows, plus the missing file (row 25) and the duplicate (row 30).
    assert (multimodal.config, multimodal.input_rows, multimodal.accepted, multimodal.rejected) == (
        "multimodal",
        14,
        12,
        2,
    )
    assert multimodal.by_reason == {"missing audio file": 1, "duplicate path": 1}


def test_rejected_csv(corpus: dict) -> None:
    with open(corpus["out"] / "speech" / "rejected.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["row"]), r["reason"].split(":")[0]) for r in rows] == [
        (25, "missing audio file"),
        (26, "undecodable audio"),
        (27, "zero-length audio"),
        (28, "zero-length audio"),
        (29, "unknown label"),
        (30, "duplicate path"),
        (31, "empty label"),
    ]
    assert all(r["source"].endswith("manifest.csv") for r in rows)
    assert "Unknown label 'Joy'" in rows[4]["reason"]
    assert "already listed on row 1" in rows[5]["reason"]
    assert json.loads(rows[0]["raw"])["path"] == "bad/missing.wav"
    with open(corpus["out"] / "multimodal" / "rejected.csv", encoding="utf-8") as handle:
        assert [int(r["row"]) for r in csv.DictReader(handle)] == [25, 30]


def test_generated_splits_are_speaker_disjoint(corpus: dict) -> None:
    from datasets import load_dataset

    ds = load_dataset(str(corpus["out"]), "speech")
    assert set(ds) == {"train", "validation", "test"}
    speakers = {split: set(ds[split]["speaker_id"]) for split in ds}
    assert not speakers["train"] & speakers["validation"]
    assert not speakers["train"] & speakers["test"]
    assert not speakers["validation"] & speakers["test"]
    assert sum(len(ds[s]) for s in ds) == 24
    by_id = {row_id: d for s in ds for row_id, d in zip(ds[s]["id"], ds[s]["duration"])}
    for i, kind in enumerate(corpus["kinds"]):
        assert by_id[f"speech-{i + 1:06d}"] == pytest.approx(corpus["durations"][kind], abs=0.06)
    # The shards keep the original bytes (format and all), not re-encoded audio.
    raw = ds["train"].cast_column("audio", __import__("datasets").Audio(decode=False))[0]["audio"]
    assert raw["bytes"][:4] in (b"RIFF", b"fLaC", b"ID3\x03", b"ID3\x04") or raw["bytes"][:2] == b"\xff\xfb"


LOADER = textwrap.dedent(
    """
    import json, sys

    from datasets import load_dataset

    out = {}
    for config in sys.argv[2:]:
        ds = load_dataset(sys.argv[1], config)
        train = ds["train"]
        label = train.features["label"] if "label" in train.features else train.features["labels"].feature
        sample = train[0]["audio"].get_all_samples()
        out[config] = {
            "splits": {k: len(v) for k, v in ds.items()},
            "names": list(label.names),
            "columns": train.column_names,
            "shape": list(sample.data.shape),
            "rate": sample.sample_rate,
            "imported": any(m.startswith("sentiv_hf") for m in sys.modules),
        }
    print(json.dumps(out))
    """
)


def _load_without_sentiv(folder: Path, *configs: str) -> dict:
    return last_json_line(run_python_without_sentiv_hf(LOADER, folder, *configs, cwd=folder))


def test_load_dataset_without_sentiv_hf(corpus: dict) -> None:
    result = _load_without_sentiv(corpus["out"], "speech", "multimodal")
    speech, multimodal = result["speech"], result["multimodal"]
    assert speech["names"] == list(SPEECH_LABELS) and len(speech["names"]) == 6
    assert speech["columns"] == ["id", "audio", "label", "duration", "speaker_id", "transcript"]
    assert sum(speech["splits"].values()) == 24
    assert speech["rate"] == 16000 and speech["shape"][0] == 1
    assert not speech["imported"]
    assert multimodal["columns"] == ["id", "text", "audio", "label", "speaker_id", "duration"]
    assert sum(multimodal["splits"].values()) == 12
    assert multimodal["rate"] == 16000 and multimodal["shape"][0] == 1


def test_decoded_audio_is_resampled_mono(corpus: dict) -> None:
    from datasets import load_dataset

    ds = load_dataset(str(corpus["out"]), "speech")
    for split in ds:
        for row in ds[split]:
            samples = row["audio"].get_all_samples()
            assert samples.sample_rate == 16000 and samples.data.shape[0] == 1
            assert samples.data.shape[1] == pytest.approx(16000 * row["duration"], abs=16000 * 0.06)


def test_multimodal_text_is_nfc_and_matches_speech(corpus: dict) -> None:
    from datasets import load_dataset

    mm = load_dataset(str(corpus["out"]), "multimodal")
    speech = load_dataset(str(corpus["out"]), "speech")
    for split in mm:
        assert set(mm[split]["id"]) <= set(speech[split]["id"])
        for row_id, text in zip(mm[split]["id"], mm[split]["text"]):
            i = int(row_id.split("-")[1]) - 1
            assert text == f"Câu nói số {i}"
            assert text == __import__("unicodedata").normalize("NFC", text)


def test_card_lists_speech_configs(corpus: dict) -> None:
    card = (corpus["out"] / "README.md").read_text(encoding="utf-8")
    assert "config_name: speech" in card and "config_name: multimodal" in card
    assert "speech/train-*" in card


def test_split_column_jsonl_and_aliases(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    src = _make_audio(audio)
    lines = [
        {"path": src["wav"].name, "label": "vui", "split": "train"},
        {"path": src["flac"].name, "label": "Disgust", "split": "dev"},
        {"path": src["mp3"].name, "label": "Fear", "split": "Test"},
        {"path": src["mp3"].name.replace("clip", "other"), "label": "Fear", "split": "holdout"},
    ]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    (speech,) = build_speech_dataset(manifest, audio, tmp_path / "out", label_aliases=["vui=Enjoyment"])
    assert speech.split_sizes == {"train": 1, "validation": 1, "test": 1}
    assert speech.by_reason == {"unknown split": 1}
    from datasets import load_dataset

    ds = load_dataset(str(tmp_path / "out"), "speech")
    names = ds["train"].features["label"].names
    assert names[ds["train"][0]["label"]] == "Enjoyment"
    assert names[ds["validation"][0]["label"]] == "Anger"
    assert ds["train"][0]["speaker_id"] is None and ds["train"][0]["transcript"] is None
    assert not (tmp_path / "out" / "multimodal").exists()


def test_missing_columns_and_strict(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,emotion\na.wav,Fear\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"lacks the required column\(s\) \['path', 'label'\]; it has \['file', "):
        build_speech_dataset(manifest, tmp_path, tmp_path / "out")
    audio = tmp_path / "audio"
    src = _make_audio(audio)
    manifest.write_text(f"Path,Label\n{src['wav'].name},Fear\nnope.wav,Fear\n", encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"--strict: 1 of 2 manifest rows were rejected \(\{'missing audio file': 1\}"
    ):
        build_speech_dataset(manifest, audio, tmp_path / "out", strict=True)
    # The report of a failed build lies beside the config folder, which it does not create.
    assert (tmp_path / "out" / "speech.rejected.csv").exists()
    assert not (tmp_path / "out" / "speech").exists()


def test_multilabel_xlsx(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    src = _make_audio(audio)
    rows = []
    cells = ["Despair; Pain", "pain", " despair ", "Tuyệt vọng", "", "Grievance;Sadness;PAIN", "Fear", "Sadness"]
    for i, cell in enumerate(cells):
        name = f"c{i}{src['wav'].suffix}"
        shutil.copy(src["wav"], audio / name)
        rows.append({"path": name, "label": cell, "speaker_id": f"caller{i % 4}", "transcript": f"t{i}"})
    manifest = tmp_path / "hotline.xlsx"
    pd.DataFrame(rows).to_excel(manifest, index=False)
    (speech,) = build_speech_dataset(
        manifest, audio, tmp_path / "out", multi_label=True, label_aliases={"Tuyệt vọng": "Despair"}
    )
    assert speech.accepted == 8 and speech.rejected == 0
    assert speech.label_counts == {"Despair": 3, "Fear": 1, "Grievance": 1, "Pain": 3, "Sadness": 2}
    from datasets import load_dataset

    ds = load_dataset(str(tmp_path / "out"), "speech")
    features = ds["train"].features
    assert features["labels"].feature.names == ["Despair", "Fear", "Grievance", "Pain", "Sadness"]
    assert features["binary_label"].names == ["non-negative", "negative"]
    assert "label" not in features
    rows_by_id = {r["id"]: r for s in ds for r in ds[s]}
    names = features["labels"].feature.names
    assert [names[j] for j in rows_by_id["speech-000001"]["labels"]] == ["Despair", "Pain"]
    assert [names[j] for j in rows_by_id["speech-000006"]["labels"]] == ["Grievance", "Pain", "Sadness"]
    assert rows_by_id["speech-000005"]["labels"] == [] and rows_by_id["speech-000005"]["binary_label"] == 0
    assert Counter(r["binary_label"] for r in rows_by_id.values()) == {1: 7, 0: 1}
    callers: dict[str, set[str]] = {}
    for s in ds:
        for caller in ds[s]["speaker_id"]:
            callers.setdefault(caller, set()).add(s)
    assert all(len(v) == 1 for v in callers.values())
    assert not (tmp_path / "out" / "multimodal").exists()


def test_built_dataset_feeds_budgets_and_preprocessor(corpus: dict) -> None:
    from datasets import load_dataset
    from transformers import Wav2Vec2FeatureExtractor

    from sentiv_hf.data.audio import AudioPreprocessor
    from sentiv_hf.data.budgets import label_budget

    ds = load_dataset(str(corpus["out"]), "speech")
    subset, ids = label_budget(ds["train"], 0.5, seed=0)
    assert len(ids) == round(len(ds["train"]) / 2) and set(ids) <= set(ds["train"]["id"])
    with pytest.raises(ValueError, match="only subsamples the train split"):
        label_budget(ds["test"], 0.5, seed=0)
    subset.set_transform(AudioPreprocessor(Wav2Vec2FeatureExtractor(), max_seconds=0.6))
    batch = subset[:3]
    assert batch["input_values"].shape[0] == 3 and batch["input_values"].shape[1] <= 9600
    lengths = batch["attention_mask"].sum(axis=1).tolist()
    assert all(8000 <= n <= 9600 for n in lengths)  # clips of 0.5-1.0 s, cropped to 0.6 s at 16 kHz


def test_empty_split_column_means_generated_split(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    src = _make_audio(audio)
    lines = ["path,label,split"] + [f"{p.name},Fear," for p in src.values()]
    manifest = tmp_path / "m.csv"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (speech,) = build_speech_dataset(manifest, audio, tmp_path / "out", fractions=(0.34, 0.33, 0.33))
    assert speech.rejected == 0 and speech.split_sizes == {"train": 1, "validation": 1, "test": 1}
