"""The bundled demo corpus (`sentiv_hf/data/demo/`) loads with plain `datasets` and keeps its promises: three
configs with fixed splits and label names, >= 40 sentences per text label, 16 kHz mono audio, speaker-disjoint speech
splits that each cover every label, transcripts on every multimodal row, and at most 10 MB on disk."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from collections import Counter

import datasets
import pandas as pd
import pytest

from sentiv_hf.data import demo_path
from sentiv_hf.labels import SPEECH_LABELS, TEXT_LABELS, TEXT_TO_SPEECH

SPLITS = ["train", "validation", "test"]
CONFIG_LABELS = {"text": list(TEXT_LABELS), "speech": list(SPEECH_LABELS), "multimodal": list(SPEECH_LABELS)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, datasets.DatasetDict]:
    cache_dir = tmp_path_factory.mktemp("hf-cache")
    return {
        config: datasets.load_dataset(str(demo_path()), config, cache_dir=str(cache_dir)) for config in CONFIG_LABELS
    }


def test_demo_folder_is_small_and_has_the_three_configs():
    root = demo_path()
    size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    assert size <= 10 * 1024 * 1024, f"demo corpus is {size / 2**20:.2f} MB"
    assert (root / "README.md").is_file()
    for config in CONFIG_LABELS:
        shards = sorted(p.name for p in (root / config).glob("*.parquet"))
        assert [s.split("-")[0] for s in shards] == sorted(SPLITS), shards


@pytest.mark.parametrize("config", list(CONFIG_LABELS))
def test_splits_and_label_names(demo, config):
    dataset = demo[config]
    assert list(dataset) == SPLITS
    for split in SPLITS:
        label = dataset[split].features["label"]
        assert isinstance(label, datasets.ClassLabel)
        assert label.names == CONFIG_LABELS[config]
        assert dataset[split].num_rows > 0


def test_text_has_at_least_40_sentences_per_label(demo):
    counts = Counter()
    for split in SPLITS:
        names = demo["text"][split].features["label"].names
        counts.update(names[i] for i in demo["text"][split]["label"])
    assert set(counts) == set(TEXT_LABELS)
    assert min(counts.values()) >= 40, counts
    assert sum(counts.values()) >= 280


def test_text_is_nfc_and_unique_across_splits(demo):
    texts = [t for split in SPLITS for t in demo["text"][split]["text"]]
    assert all(t and unicodedata.is_normalized("NFC", t) for t in texts)
    assert len(texts) == len(set(texts))


@pytest.mark.parametrize("config", ["speech", "multimodal"])
def test_every_speech_split_covers_every_label(demo, config):
    for split in SPLITS:
        present = set(demo[config][split]["label"])
        assert present == set(range(len(SPEECH_LABELS))), (config, split, present)


def test_speech_splits_are_speaker_disjoint(demo):
    speakers = {split: set(demo["speech"][split]["speaker_id"]) for split in SPLITS}
    assert all(speakers.values())
    assert not speakers["train"] & speakers["validation"]
    assert not speakers["train"] & speakers["test"]
    assert not speakers["validation"] & speakers["test"]
    assert len(set().union(*speakers.values())) >= 6


def test_one_split_is_shared_by_all_configs(demo):
    # A sentence sits in the same split in every config, so no text model trained on `text` saw a multimodal test row.
    for split in SPLITS:
        assert set(demo["text"][split]["text"]) == set(demo["multimodal"][split]["text"])


def test_multimodal_rows_have_text_and_match_speech(demo):
    text_sentences = {t for split in SPLITS for t in demo["text"][split]["text"]}
    for split in SPLITS:
        rows = demo["multimodal"][split]
        assert all(isinstance(t, str) and t.strip() for t in rows["text"])
        assert set(rows["text"]) <= text_sentences
        assert rows["id"] == demo["speech"][split]["id"]
        assert rows["label"] == demo["speech"][split]["label"]
        assert rows["text"] == demo["speech"][split]["transcript"]


def test_audio_decodes_at_16khz_mono_and_is_short(demo):
    for split in SPLITS:
        durations = demo["speech"][split]["duration"]
        assert 0.3 < min(durations) and max(durations) <= 8.0
    test_rows = demo["speech"]["test"]
    for row in test_rows:
        samples = row["audio"].get_all_samples()
        assert samples.sample_rate == 16000
        assert samples.data.shape[0] == 1
        assert samples.data.shape[1] == pytest.approx(row["duration"] * 16000, abs=160)
        assert float(samples.data.abs().max()) > 0.01
    first = demo["multimodal"]["train"][0]["audio"].get_all_samples()
    assert first.sample_rate == 16000 and first.data.shape[0] == 1


def test_ambiguity_table_matches_the_configs(demo):
    table = pd.read_csv(demo_path() / "ambiguity.csv", keep_default_na=False)
    assert list(table.columns) == [
        "text_id", "speech_id", "label", "speaker_id", "prosody", "ambiguity", "snr_db", "transcript"
    ]  # fmt: skip
    text_rows = {r["id"]: r for split in SPLITS for r in demo["text"][split]}
    speech_rows = {r["id"]: r for split in SPLITS for r in demo["speech"][split].remove_columns("audio")}
    assert len(table) == len(text_rows) == len(speech_rows)
    text_names = demo["text"]["train"].features["label"].names
    speech_names = demo["speech"]["train"].features["label"].names
    for row in table.itertuples():
        assert text_names[text_rows[row.text_id]["label"]] == row.label
        assert text_rows[row.text_id]["text"] == row.transcript
        assert speech_names[speech_rows[row.speech_id]["label"]] == TEXT_TO_SPEECH.get(row.label, row.label)
        assert speech_rows[row.speech_id]["speaker_id"] == row.speaker_id
    assert set(table["ambiguity"]) == {"", "text", "audio-flat", "audio-mismatch"}
    # Each modality is ambiguous on its own items: text-ambiguous clips keep their own emotion's prosody.
    text_ambiguous = table[table["ambiguity"] == "text"]
    assert (text_ambiguous["prosody"] == text_ambiguous["label"]).all()
    assert set(text_ambiguous["label"]) == set(TEXT_LABELS)
    audio_ambiguous = table[table["ambiguity"].str.startswith("audio")]
    assert len(audio_ambiguous) >= 20
    assert (audio_ambiguous["prosody"] != audio_ambiguous["label"]).all()


def test_loads_with_plain_datasets_in_a_fresh_process(tmp_path):
    # The bundled folder must work for users without sentiv_hf: nothing in it may need our code to load.
    script = (
        "import sys, datasets\n"
        "ds = datasets.load_dataset(sys.argv[1], 'multimodal', cache_dir=sys.argv[2])\n"
        "assert 'sentiv_hf' not in sys.modules\n"
        "print(ds['test'].num_rows, ds['test'].features['label'].num_classes)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(demo_path()), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    rows, classes = map(int, result.stdout.split())
    assert rows > 0 and classes == len(SPEECH_LABELS)
