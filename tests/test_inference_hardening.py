"""Issue 9 (hardening), inference side: bad inputs to ``sentiv predict`` / ``sentiv evaluate`` and Hub ids offline.

Every bad input must end in one line on stderr naming the input and the fix, with exit status 2, and nothing
silently wrong: no prediction for a blank text, no NaN in the JSON, no scores on a dataset the user did not ask for.
The checkpoints are tiny: one ``sentiv train`` run (2 steps) on a copy of the demo corpus, and a speech classifier
saved straight from `sentiv_hf.models.tiny`. The pipeline's own checks are tested in tests/models/test_pipelines.py.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sentiv_hf.commands import evaluate as evaluate_cmd
from sentiv_hf.commands import predict as predict_cmd
from sentiv_hf.commands import train as train_cmd
from sentiv_hf.data import demo_path
from sentiv_hf.errors import UserError

FAST = ["--report_to", "none", "--disable_tqdm", "true", "--per_device_train_batch_size", "4", "--use_cpu", "true"]
#: Rows kept in the test split of the corpus copy: fewer than the demo corpus has, so a score on it is told apart.
COPY_TEST_ROWS = 5


def error_line(capsys) -> str:
    """The command's error on stderr, checked to be one line and the only one (progress bars aside), with no
    traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("sentiv ")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def corpus_copy(tmp_path_factory) -> Path:
    """The demo corpus copied to ``my-corpus``, with a shorter text test split."""
    from datasets import load_dataset

    copy = tmp_path_factory.mktemp("data") / "my-corpus"
    shutil.copytree(demo_path(), copy)
    shard = copy / "text" / "test-00000-of-00001.parquet"
    load_dataset(str(copy), "text", split="test").select(range(COPY_TEST_ROWS)).to_parquet(shard)
    return copy


@pytest.fixture(scope="module")
def text_run(corpus_copy, tmp_path_factory) -> Path:
    """A tiny text model trained by ``sentiv train`` on the corpus copy (it writes train_ids.json)."""
    out = tmp_path_factory.mktemp("runs") / "text"
    argv = ["text", "--dataset", str(corpus_copy), "--model", "tiny", "--output_dir", str(out)]
    assert train_cmd.main([*argv, "--max_steps", "2", "--max_eval_samples", "4", "--save_strategy", "no", *FAST]) == 0
    return out


@pytest.fixture(scope="module")
def speech_checkpoint(tmp_path_factory) -> Path:
    """A tiny speech classifier saved with save_pretrained: it records no training dataset."""
    from sentiv_hf.models.tiny import tiny_speech_feature_extractor, tiny_speech_model

    out = tmp_path_factory.mktemp("runs") / "speech"
    tiny_speech_model(num_labels=6, encoder="hubert").save_pretrained(out)
    tiny_speech_feature_extractor("hubert").save_pretrained(out)
    return out


def _metrics(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------- evaluate
def test_evaluate_without_dataset_scores_the_recorded_training_dataset(text_run, corpus_copy, capsys):
    """Issue 9.11: no --dataset scores the dataset the checkpoint was trained on, says so, and names the folder
    after it."""
    # Stored relative to the checkpoint: no absolute path is written, and it resolves from any working folder.
    recorded = json.loads((text_run / "train_ids.json").read_text())["dataset"]
    assert recorded == os.path.relpath(corpus_copy, text_run)
    assert evaluate_cmd.main([str(text_run)]) == 0
    out = capsys.readouterr().out
    record = text_run / "train_ids.json"
    assert f"Scoring {text_run} on {corpus_copy}:text/test (the training dataset recorded in {record})" in out
    folder = text_run / "eval-my-corpus-text-test"
    metrics = _metrics(folder)
    assert (metrics["dataset"], metrics["dataset_source"], metrics["dataset_config"]) == (
        "my-corpus",
        "train_ids.json",
        "text",
    )
    assert metrics["num_examples"] == COPY_TEST_ROWS  # the copy's test split, not the demo corpus'
    assert len((folder / "predictions.jsonl").read_text().splitlines()) == COPY_TEST_ROWS


def test_evaluate_on_two_datasets_writes_two_folders(text_run, capsys):
    """Issue 9.11: the default folder name holds the dataset, so a second dataset does not overwrite the first."""
    assert evaluate_cmd.main([str(text_run)]) == 0
    first = text_run / "eval-my-corpus-text-test"
    before = (first / "predictions.jsonl").read_bytes()
    assert evaluate_cmd.main([str(text_run), "--dataset", str(demo_path()), "--max_samples", "7"]) == 0
    assert f"on {demo_path()}:text/test (from --dataset)" in capsys.readouterr().out
    second = text_run / "eval-sentiv-demo-text-test"
    assert (_metrics(second)["dataset"], _metrics(second)["num_examples"]) == ("sentiv-demo", 7)
    assert (first / "predictions.jsonl").read_bytes() == before
    assert _metrics(first)["num_examples"] == COPY_TEST_ROWS


def test_evaluate_without_record_or_dataset_is_a_one_line_error(speech_checkpoint, capsys):
    """Issue 9.11: a checkpoint that records no training dataset needs --dataset; nothing is scored or written."""
    assert evaluate_cmd.main([str(speech_checkpoint)]) == 2
    line = error_line(capsys)
    assert line == (
        f"sentiv evaluate: {speech_checkpoint} does not record the dataset it was trained on (no train_ids.json): "
        "pass --dataset (a dataset folder or Hub id) and --dataset_config."
    )
    assert not list(speech_checkpoint.glob("eval-*"))


def test_evaluate_recorded_dataset_that_moved_is_a_one_line_error(text_run, tmp_path, capsys):
    """Issue 9.11: a recorded dataset that is gone is an error that says where the name came from."""
    checkpoint = tmp_path / "moved"
    shutil.copytree(text_run, checkpoint, ignore=shutil.ignore_patterns("eval-*"))
    record = json.loads((checkpoint / "train_ids.json").read_text())
    record["dataset"] = str(tmp_path / "gone")
    (checkpoint / "train_ids.json").write_text(json.dumps(record))
    assert evaluate_cmd.main([str(checkpoint)]) == 2
    line = error_line(capsys)
    assert str(tmp_path / "gone") in line
    assert f"(It is the training dataset recorded in {checkpoint / 'train_ids.json'}; pass --dataset" in line


def test_evaluate_failure_leaves_the_previous_folder_intact(text_run, tmp_path, monkeypatch):
    """Issue 9.11: the eval folder is written whole or not at all."""
    out = tmp_path / "eval"
    argv = [str(text_run), "--output_dir", str(out), "--max_samples", "4"]
    assert evaluate_cmd.main(argv) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    assert set(before) == set(evaluate_cmd.REPORT_FILES)

    def broken_write_reports(folder, *args, **kwargs):
        (folder / "confusion_matrix.png").write_bytes(b"half a plot")
        raise OSError("No space left on device")

    monkeypatch.setattr(evaluate_cmd, "write_reports", broken_write_reports)
    with pytest.raises(OSError, match="No space left"):
        evaluate_cmd.main([str(text_run), "--output_dir", str(out), "--max_samples", "2"])
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eval"]  # no staging folder left behind


def test_evaluate_refuses_an_output_dir_holding_other_files(text_run, tmp_path, capsys):
    """Issue 9.11: the whole folder is replaced, so a folder with other files is refused, not wiped."""
    (tmp_path / "notes.txt").write_text("mine")
    assert evaluate_cmd.main([str(text_run), "--output_dir", str(tmp_path)]) == 2
    assert f"--output_dir {tmp_path} holds other files (notes.txt)" in error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_evaluate_never_writes_nan_into_json(text_run):
    """Issue 9.14: an undefined metric is written as null, never as NaN (which is not JSON)."""
    assert evaluate_cmd._jsonable({"ece": np.float32("nan"), "f1": [0.5, float("inf")]}) == {
        "ece": None,
        "f1": [0.5, None],
    }


# ---------------------------------------------------------------------------------------------------- predict
@pytest.mark.parametrize("text", ["", "   ", "\u200b"], ids=["empty", "spaces", "zero-width"])
def test_predict_refuses_blank_texts(text_run, text, capsys):
    """Issue 9.15: blank texts are a one-line error naming the input (exit 2), with no prediction printed."""
    assert predict_cmd.main([str(text_run), "Tôi rất vui", "--text", text]) == 2
    line = error_line(capsys)
    assert line.startswith(f"sentiv predict: text 1 of 2: the text is blank ({text!r}: empty, spaces or zero-width")
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (123, "text 2 of 2: 'text' must be a string, got int 123"),
        (float("nan"), "text 2 of 2: 'text' must be a string, got float nan"),
        (["a", "b"], "text 2 of 2: 'text' must be a string, got list ['a', 'b']; pass one text per input"),
    ],
    ids=["int", "nan", "list"],
)
def test_predict_api_refuses_non_string_texts(text_run, text, message):
    """Issue 9.15: `predict` (the Python side of ``sentiv predict``) refuses what is not a str, with the same check
    as the pipeline."""
    from sentiv_hf.training.inference import load_for_inference

    parts = load_for_inference(str(text_run))
    with pytest.raises(UserError) as error:
        predict_cmd.predict(parts, ["Tôi rất vui", text], [])
    assert message in str(error.value)
    assert predict_cmd.predict(parts, "Tôi rất vui", []).shape == (1, 7)  # a plain str is one input


def _write_wav(path: Path, samples: np.ndarray) -> Path:
    sf.write(path, samples, 16000, subtype="FLOAT")  # a float WAV keeps NaN as NaN
    return path


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (np.full(16000, np.nan, dtype=np.float32), "the waveform contains NaN or infinite values (16000 of 16000"),
        (np.full(1, 0.1, dtype=np.float32), "the clip is too short: 1 samples (0.1 ms at 16000 Hz)"),
        (np.full(100, 0.1, dtype=np.float32), "the clip is too short: 100 samples (6.2 ms at 16000 Hz)"),
    ],
    ids=["nan", "1-sample", "100-samples"],
)
def test_predict_refuses_nan_and_too_short_audio(speech_checkpoint, tmp_path, samples, message, capsys):
    """Issue 9.14: NaN audio and clips shorter than one encoder frame are one-line errors naming the file."""
    from sentiv_hf.models.audio_input import min_audio_samples
    from sentiv_hf.models.tiny import tiny_speech_model

    path = _write_wav(tmp_path / "clip.wav", samples)
    assert predict_cmd.main([str(speech_checkpoint), str(path)]) == 2
    line = error_line(capsys)
    assert line.startswith(f"sentiv predict: {path}: {message}")
    if "short" in message:
        shortest = min_audio_samples(tiny_speech_model(num_labels=6, encoder="hubert").config)
        assert f"needs at least {shortest} " in line and line.endswith("Pass a longer clip, or pad it with silence.")
    assert capsys.readouterr().out == ""


def test_predict_prints_strict_json_and_refuses_nan_scores(text_run, tmp_path, capsys):
    """Issue 9.14: the output is strict JSON; a model that returns NaN is an error, never a NaN score."""

    def no_constants(name):
        raise AssertionError(f"{name} in the JSON output")

    assert predict_cmd.main([str(text_run), "Tôi rất vui", "Tôi sợ quá", "--top_k", "7"]) == 0
    rows = [json.loads(line, parse_constant=no_constants) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and all(sum(row["scores"].values()) == pytest.approx(1.0, abs=1e-4) for row in rows)

    from transformers import AutoModelForSequenceClassification

    broken = tmp_path / "broken"
    shutil.copytree(text_run, broken, ignore=shutil.ignore_patterns("eval-*", "checkpoint-*"))
    model = AutoModelForSequenceClassification.from_pretrained(broken)
    model.classifier.out_proj.bias.data.fill_(float("nan"))
    model.save_pretrained(broken)
    capsys.readouterr()
    assert predict_cmd.main([str(broken), "Tôi rất vui"]) == 2
    line = error_line(capsys)
    assert line.startswith(f"sentiv predict: {broken} gave NaN or infinite scores for 1 of 1 inputs (the first: ")
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------------------------------------- Hub offline
@pytest.mark.parametrize("command", [predict_cmd, evaluate_cmd], ids=["predict", "evaluate"])
def test_hub_id_offline_is_a_one_line_error(command, capsys, monkeypatch):
    """Issue 9.18: a Hub model id that is not cached, while offline: one line, exit 2."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    argv = ["org/nomodel", "xin chào"] if command is predict_cmd else ["org/nomodel"]
    assert command.main(argv) == 2
    assert "'org/nomodel'" in error_line(capsys)


def test_hub_id_with_only_its_config_cached_is_a_one_line_error(text_run, tmp_path, capsys, monkeypatch):
    """Issue 9.18: the config is in the offline cache but the weights are not: one line naming the fix."""
    from huggingface_hub import constants

    repo = tmp_path / "cache" / "models--org--cached"
    commit = "0" * 40
    (repo / "snapshots" / commit).mkdir(parents=True)
    shutil.copy(text_run / "config.json", repo / "snapshots" / commit / "config.json")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert predict_cmd.main(["org/cached", "xin chào"]) == 2
    line = error_line(capsys)
    assert line.startswith("sentiv predict: Cannot load the checkpoint 'org/cached': ")
    assert "offline mode is on (HF_HUB_OFFLINE=1)" in line
