"""``sentiv train context`` on the bundled demo ``calls`` config with the tiny segment model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from transformers import AutoFeatureExtractor, AutoModel

from sentiv_hf.commands import evaluate as evaluate_command
from sentiv_hf.commands import predict_call as predict_call_command
from sentiv_hf.commands.train import main, parse_train_args
from sentiv_hf.data.budgets import label_budget
from sentiv_hf.metrics import metrics_from_logits
from sentiv_hf.models import SentiVContextModel
from sentiv_hf.training.context import embed_calls, predict_context
from sentiv_hf.training.dataset_loading import load_splits

QUICK = ["--segment_model", "tiny", "--num_train_epochs", "3", "--report_to", "none", "--disable_tqdm", "true"]


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def calls():
    return load_splits(None, "calls")


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("context") / "binary"
    argv = ["context", "--label_column", "binary_label", "--budget", "0.5", "--seed", "3", "--output_dir", str(out)]
    assert main(argv + QUICK) == 0
    return out


def test_binary_checkpoint_folder(binary_run, calls):
    config = json.loads((binary_run / "config.json").read_text())
    assert config["model_type"] == "sentiv-context"
    assert config["segment_config"]["model_type"] == "sentiv-speech"
    # The demo card's segment settings: 4 s windows, no overlap, 4 s crop (what predict-call reads back).
    assert (config["segment_seconds"], config["segment_overlap"]) == (4.0, 0.0)
    assert config["segment_config"]["max_duration_s"] == 4.0
    assert config["id2label"] == {"0": "non-negative", "1": "negative"}
    assert config["head"] == "single_label"
    for name in ("model.safetensors", "preprocessor_config.json", "README.md", "eval_results.json"):
        assert (binary_run / name).is_file(), name
    record = json.loads((binary_run / "train_ids.json").read_text())
    _, expected = label_budget(calls["train"].with_format(None), 0.5, 3, label_column="binary_label")
    assert (record["dataset"], record["config"], record["budget"], record["seed"]) == ("demo", "calls", 0.5, 3)
    assert record["ids"] == expected and record["num_examples"] == len(expected) == 56
    card = (binary_run / "README.md").read_text()
    assert "context" in card and "4 s segments" in card


def test_binary_test_results_reproduce_from_the_saved_folder(binary_run, calls):
    results = json.loads((binary_run / "test_results.json").read_text())
    assert 0.0 <= results["test_f1_negative"] <= 1.0
    model = AutoModel.from_pretrained(binary_run)
    assert isinstance(model, SentiVContextModel)
    test = calls["test"]
    features = embed_calls(model, test, AutoFeatureExtractor.from_pretrained(binary_run), 8, show_progress=False)
    assert features.shape == (28, 3, 32)  # tiny hubert: 2 layers + embeddings, hidden 32
    logits = predict_context(model, features, test["call_id"], test["segment_index"], np.arange(len(test)))
    scores = metrics_from_logits(logits, np.asarray(test["binary_label"]), label_names=["non-negative", "negative"])
    assert scores["f1_negative"] == pytest.approx(results["test_f1_negative"], abs=1e-6)
    assert scores["accuracy"] == pytest.approx(results["test_accuracy"], abs=1e-6)


def test_predict_call_runs_the_checkpoint(binary_run, calls, tmp_path):
    test = calls["test"].with_format(None)
    first = test[0]["call_id"]
    rows = sorted((r for r in test if r["call_id"] == first), key=lambda r: r["segment_index"])[:3]
    call = calls["test"].select([test["id"].index(r["id"]) for r in rows])
    wave = np.concatenate([np.asarray(a["array"], dtype=np.float32) for a in call["audio"]])
    sf.write(tmp_path / "call.wav", wave, 16000)
    out = tmp_path / "out"
    assert (
        predict_call_command.main([str(tmp_path / "call.wav"), "--model", str(binary_run), "--output_dir", str(out)])
        == 0
    )
    table = (out / "call.segments.csv").read_text().splitlines()
    assert table[0] == "segment_index,start,end,score_non-negative,score_negative,labels,negativity"
    assert len(table) == 1 + 3  # three 4 s windows
    summary = json.loads((out / "call.summary.json").read_text())
    assert (summary["n_segments"], summary["duration"], summary["segment_seconds"]) == (3, 12.0, 4.0)
    assert (summary["model_type"], summary["context"]) == ("sentiv-context", True)
    assert (out / "call.timeline.png").stat().st_size > 1000


def test_evaluate_names_predict_call(binary_run, capsys):
    assert evaluate_command.main([str(binary_run)]) == 2
    assert "sentiv predict-call CALL.wav --model" in error_line(capsys)


def test_multi_label_run(tmp_path):
    out = tmp_path / "labels"
    argv = ["context", "--label_column", "labels", "--causal", "--positions", "relative", "--output_dir", str(out)]
    assert main(argv + QUICK) == 0
    config = json.loads((out / "config.json").read_text())
    assert (config["head"], config["causal"], config["positions"]) == ("multi_label", True, "relative")
    assert len(config["id2label"]) == 9
    results = json.loads((out / "test_results.json").read_text())
    assert 0.0 <= results["test_weighted_f1"] <= 1.0
    assert json.loads((out / "train_ids.json").read_text())["num_examples"] == 112


def test_context_defaults_are_the_benchmark_settings(tmp_path):
    _, _, _, args = parse_train_args(["context", "--output_dir", str(tmp_path)])
    assert (args.learning_rate, args.per_device_train_batch_size) == (1e-3, 8)
    assert (args.loss.value, args.class_weighting.value, args.sampler.value) == ("weighted_ce", "inverse", "random")
    assert (args.eval_strategy.value, args.save_strategy.value) == ("epoch", "no")
    config = tmp_path / "run.yaml"
    config.write_text(f"output_dir: {tmp_path}\nlearning_rate: 0.01\n")
    _, _, _, args = parse_train_args(["context", str(config)])
    assert (args.learning_rate, args.sampler.value, args.loss.value) == (0.01, "random", "weighted_ce")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--label_column", "emotion"], "Unknown label column 'emotion' (set with --label_column)"),
        (
            ["--dataset_config", "speech", "--label_column", "label"],
            "has no 'call_id', 'segment_index' columns: context training needs whole calls",
        ),
        (["--sampler", "weighted"], "--sampler weighted does not apply to context training"),
        (["--push_to_hub"], "--push_to_hub is not supported for context runs yet"),
    ],
)
def test_bad_input_is_one_line(tmp_path, capsys, argv, message):
    assert main(["context", "--output_dir", str(tmp_path / "out"), *argv, *QUICK]) == 2
    line = error_line(capsys)
    assert line.startswith("sentiv train: ") and message in line
