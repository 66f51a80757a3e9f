"""End-to-end tests of ``sentiv train|evaluate|predict`` with tiny models on the bundled demo corpus.

Training runs are module-scoped and shared by the tests that inspect their outputs, to keep the file fast. When the
demo corpus has not been generated yet, a small corpus with the same layout is built with the data layer's
``write_config``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from huggingface_hub import HfApi, ModelCard, RepoUrl

from sentiv_hf.commands import evaluate as evaluate_cmd
from sentiv_hf.commands import predict as predict_cmd
from sentiv_hf.commands import train as train_cmd
from sentiv_hf.data import demo_path

FAST = ["--report_to", "none", "--disable_tqdm", "true", "--per_device_train_batch_size", "4", "--use_cpu", "true"]


@pytest.fixture(scope="module")
def corpus() -> str:
    return str(demo_path())


@pytest.fixture(scope="module")
def audio_file(corpus, tmp_path_factory) -> str:
    """One audio file of the corpus' speech test split, written out as WAV."""
    import soundfile as sf
    from datasets import load_dataset

    row = load_dataset(corpus, "speech", split="test")[0]
    samples = row["audio"].get_all_samples()
    path = tmp_path_factory.mktemp("audio") / "clip.wav"
    sf.write(path, samples.data.numpy().mean(axis=0), samples.sample_rate)
    return str(path)


def train(*argv: str) -> int:
    return train_cmd.main(list(argv))


def flags(**options: object) -> list[str]:
    """Command-line flags from keywords: ``flags(max_steps=4, eval_split="")`` → ``--max_steps 4 --eval_split ''``."""
    return [arg for name, value in options.items() for arg in (f"--{name}", str(value))]


@pytest.fixture(scope="module")
def text_run(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "text"
    code = train(
        "text",
        *flags(dataset=corpus, model="tiny", output_dir=out, max_steps=4, save_steps=2, logging_steps=1),
        *flags(eval_strategy="steps", eval_steps=2, loss="focal", class_weighting="inverse", sampler="weighted"),
        *flags(budget=0.5, seed=3, max_eval_samples=14),
        *FAST,
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def speech_run(corpus, tmp_path_factory) -> Path:
    """Configured from a YAML file, reporting to TensorBoard."""
    root = tmp_path_factory.mktemp("runs")
    out = root / "speech"
    config = root / "speech.yaml"
    config.write_text(
        f"dataset: {corpus}\nmodel: tiny\noutput_dir: {out}\nmax_steps: 3\nlogging_steps: 1\n"
        "per_device_train_batch_size: 4\nloss: weighted_ce\nsampler: oversample\nmax_seconds: 2.0\n"
        "report_to: tensorboard\ndisable_tqdm: true\nuse_cpu: true\nmax_eval_samples: 12\n",
        encoding="utf-8",
    )
    assert train("speech", str(config)) == 0
    return out


@pytest.fixture(scope="module")
def fusion_run(corpus, text_run, speech_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "fusion"
    code = train(
        "fusion",
        *flags(dataset=corpus, text_model=text_run, speech_model=speech_run, fusion="concat_mlp", output_dir=out),
        *flags(max_steps=2, max_seconds=2.0, max_eval_samples=12),
        *FAST,
    )
    assert code == 0
    return out


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------- training
def test_text_run_outputs(text_run, corpus):
    from datasets import load_dataset

    from sentiv_hf.data.budgets import label_budget

    for name in ("model.safetensors", "config.json", "tokenizer.json", "README.md", "trainer_state.json"):
        assert (text_run / name).is_file(), name
    assert (text_run / "checkpoint-2").is_dir() and (text_run / "checkpoint-4").is_dir()
    assert _json(text_run / "trainer_state.json")["global_step"] == 4
    config = _json(text_run / "config.json")
    assert config["sentiv_training"]["loss"] == "focal"
    assert config["sentiv_training"]["sampler"] == "weighted"
    assert len(config["class_weights"]) == 7
    assert config["word_segmenter"] == "pyvi"
    assert config["text_max_length"] == 256
    # The recorded ids are exactly the label budget of the train split for this seed.
    record = _json(text_run / "train_ids.json")
    _, expected_ids = label_budget(load_dataset(corpus, "text", split="train"), 0.5, 3)
    assert record["ids"] == expected_ids
    assert (record["budget"], record["seed"], record["config"]) == (0.5, 3, "text")
    assert sum(config["sentiv_training"]["train_class_counts"]) == len(expected_ids)
    test_metrics = _json(text_run / "test_results.json")
    assert 0.0 <= test_metrics["test_macro_f1"] <= 1.0
    assert "eval_macro_f1" in _json(text_run / "eval_results.json")


def test_text_model_card(text_run, corpus):
    card = ModelCard.load(text_run / "README.md")
    assert corpus not in str(card)  # issue 9: the local dataset appears by its folder name, never its absolute path
    assert f"| Dataset | `{Path(corpus).name}` (a local folder), config `text` |" in card.text
    test_metrics = _json(text_run / "test_results.json")
    results = {(r.dataset_split, r.metric_name): r.metric_value for r in card.data.eval_results}
    assert results[("test", "Macro F1 (test)")] == round(test_metrics["test_macro_f1"], 4)
    assert card.data.pipeline_tag == "text-classification"
    assert "| Label budget | 50% of the training split, seed 3" in card.text
    assert "- Loss: `focal`" in card.text and "- Sampler: `weighted`" in card.text
    assert "word segmenter `pyvi`, max length 256 tokens" in card.text
    assert "| learning_rate | 5e-05 |" in card.text


def test_speech_run_from_yaml_with_tensorboard(speech_run):
    assert (speech_run / "model.safetensors").is_file()
    assert (speech_run / "preprocessor_config.json").is_file()
    config = _json(speech_run / "config.json")
    assert config["model_type"] == "sentiv-speech"
    assert config["sentiv_training"]["loss"] == "weighted_ce"
    assert config["sentiv_training"]["class_weighting"] == "inverse"  # weighted_ce defaults to inverse weights
    assert _json(speech_run / "trainer_state.json")["global_step"] == 3
    assert list(speech_run.glob("runs/*/events.out.tfevents.*")), "no TensorBoard event file"
    card = ModelCard.load(speech_run / "README.md")
    assert card.data.pipeline_tag == "audio-classification"
    assert any(r.dataset_split == "test" for r in card.data.eval_results)


def test_fusion_run(fusion_run, text_run, speech_run):
    config = _json(fusion_run / "config.json")
    assert config["model_type"] == "sentiv-fusion"
    assert config["fusion"] == "concat_mlp"
    assert config["text_temperature"] > 0 and config["speech_temperature"] > 0
    assert (fusion_run / "preprocessor_config.json").is_file() and (fusion_run / "tokenizer.json").is_file()
    assert "test_macro_f1" in _json(fusion_run / "test_results.json")
    card = ModelCard.load(fusion_run / "README.md")
    assert "Speech + text emotion recognition" in card.text
    assert card.data.pipeline_tag is None  # issue 9: no Hub pipeline takes text + audio for classification
    assert str(text_run) not in str(card) and str(speech_run) not in str(card)
    assert f"| Base model | `{text_run.name}` (a local folder) + `{speech_run.name}` (a local folder) |" in card.text
    assert any(r.dataset_config == "multimodal" for r in card.data.eval_results)


def test_fusion_fits_temperatures_on_validation_before_training_the_mlp(corpus, text_run, speech_run, tmp_path):
    """The concat-MLP trains on the calibrated inputs it gets at inference: temperatures are fitted first."""
    import torch
    from transformers import TrainerCallback

    from sentiv_hf.models.fusion_strategies import calibrated_log_probs
    from sentiv_hf.models.modeling_sentiv_fusion import SentiVFusionModel

    fits = []
    fit_temperature = SentiVFusionModel.fit_temperature

    def recording_fit(self, labels, text_logits=None, speech_logits=None, max_iter=100):
        fitted = fit_temperature(self, labels, text_logits=text_logits, speech_logits=speech_logits, max_iter=max_iter)
        fits.append({"rows": len(labels), "fitted": fitted})
        return fitted

    class MlpInputSpy(TrainerCallback):
        """Records the fits done before training, and each training step's raw logits and MLP inputs."""

        def __init__(self):
            self.fits_before_training, self.steps, self.raw = None, [], {}

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            self.fits_before_training = list(fits)
            self.temperatures = (model.config.text_temperature, model.config.speech_temperature)
            model.text_model.register_forward_hook(lambda m, i, o: self.raw.__setitem__("text", o.logits.detach()))
            model.speech_model.register_forward_hook(lambda m, i, o: self.raw.__setitem__("speech", o.logits.detach()))

            def record_inputs(module, inputs, output):
                if module.training:
                    text_lp, speech_lp = (x.detach() for x in inputs)
                    self.steps.append((dict(self.raw), text_lp, speech_lp, model.label_alignment.detach()))

            model.strategy.register_forward_hook(record_inputs)

    spy = MlpInputSpy()
    out = tmp_path / "fusion"
    task, data_args, model_args, training_args = train_cmd.parse_train_args(
        [
            "fusion",
            *flags(dataset=corpus, text_model=text_run, speech_model=speech_run, fusion="concat_mlp", output_dir=out),
            *flags(max_steps=2, max_seconds=2.0, max_eval_samples=12, eval_strategy="no"),
            *FAST,
        ]
    )
    with mock.patch.object(SentiVFusionModel, "fit_temperature", recording_fit):
        train_cmd.run_training(task, data_args, model_args, training_args, callbacks=[spy])
    # One fit, on the 12 validation rows, done before the first training step ...
    assert len(fits) == 1 and fits[0]["rows"] == 12
    assert spy.fits_before_training == fits
    fitted = fits[0]["fitted"]
    assert spy.temperatures == (fitted["text_temperature"], fitted["speech_temperature"])
    # ... so every MLP step saw log-probabilities scaled by the temperatures that are saved with the model.
    config = _json(out / "config.json")
    assert (config["text_temperature"], config["speech_temperature"]) == pytest.approx(spy.temperatures)
    assert len(spy.steps) == 2
    for raw, text_lp, speech_lp, alignment in spy.steps:
        torch.testing.assert_close(text_lp, calibrated_log_probs(raw["text"], config["text_temperature"], alignment))
        torch.testing.assert_close(speech_lp, calibrated_log_probs(raw["speech"], config["speech_temperature"]))


# ---------------------------------------------------------------------------------------------------- evaluate
def test_evaluate_writes_metrics_plot_and_report(speech_run, corpus, tmp_path):
    out = tmp_path / "eval"
    argv = [str(speech_run), "--dataset", corpus, "--split", "test", "--output_dir", str(out), "--max_samples", "12"]
    assert evaluate_cmd.main(argv) == 0
    record = _json(out / "metrics.json")
    assert (record["task"], record["dataset_config"], record["split"]) == ("speech", "speech", "test")
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == record["num_examples"]
    accuracy = np.mean([r["label"] == r["prediction"] for r in rows])
    assert record["metrics"]["accuracy"] == pytest.approx(accuracy)
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "per_class_report.csv").read_text()
    assert report.splitlines()[0].startswith("label,precision,recall,f1-score,support")
    assert "Fear" in report and "macro avg" in report


def test_evaluate_fusion_checkpoint(fusion_run, corpus, tmp_path):
    argv = [str(fusion_run), "--dataset", corpus, "--output_dir", str(tmp_path), "--max_samples", "8"]
    assert evaluate_cmd.main(argv) == 0
    assert _json(tmp_path / "metrics.json")["dataset_config"] == "multimodal"


# ---------------------------------------------------------------------------------------------------- predict
def test_predict_text_speech_and_fusion(text_run, speech_run, fusion_run, audio_file, capsys):
    assert predict_cmd.main([str(text_run), "Hôm nay tôi rất vui", "Tôi sợ quá", "--top_k", "2"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == ["Hôm nay tôi rất vui", "Tôi sợ quá"]
    assert all(len(r["scores"]) == 2 and r["label"] == next(iter(r["scores"])) for r in rows)

    assert predict_cmd.main([str(speech_run), audio_file]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["audio"] == audio_file and row["label"] in (
        "Anger",
        "Enjoyment",
        "Fear",
        "Neutral",
        "Sadness",
        "Surprise",
    )

    assert predict_cmd.main([str(fusion_run), "--text", "Tôi sợ quá", "--audio", audio_file, "--top_k", "6"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert set(row) == {"text", "audio", "label", "scores"}
    assert sum(row["scores"].values()) == pytest.approx(1.0, abs=1e-4)


# ---------------------------------------------------------------------------------------------------- errors
def test_missing_checkpoint(tmp_path, capsys):
    assert evaluate_cmd.main([str(tmp_path / "nope")]) == 2
    assert f"Checkpoint not found: {tmp_path / 'nope'}" in capsys.readouterr().err
    assert predict_cmd.main([str(tmp_path / "nope"), "xin chào"]) == 2
    assert "Checkpoint not found" in capsys.readouterr().err


def test_predict_rejects_an_empty_audio_file_and_warns_on_a_long_one(speech_run, tmp_path, capsys, caplog):
    import soundfile as sf

    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype=np.float32), 16000)
    assert predict_cmd.main([str(speech_run), "--audio", str(empty)]) == 2
    assert f"{empty}: zero-length audio" in capsys.readouterr().err

    long = tmp_path / "long.wav"
    sf.write(long, (0.1 * np.sin(np.arange(16000 * 12) / 9)).astype(np.float32), 16000)
    assert predict_cmd.main([str(speech_run), "--audio", str(long)]) == 0
    assert f"{long}: 12.00 s is longer than max_duration_s=8.00 s; keeping the centre 8.00 s." in caplog.text


def test_missing_relative_checkpoint_that_looks_like_a_hub_id(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert predict_cmd.main(["out/nope", "xin chào"]) == 2
    err = capsys.readouterr().err
    assert "Checkpoint not found: 'out/nope' is not a local folder" in err
    assert "Pass the output_dir of `sentiv train` or a Hub id." in err


def test_wrong_config_type(tmp_path, text_run, corpus, capsys):
    from transformers import BertConfig

    BertConfig(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, architectures=["BertModel"]
    ).save_pretrained(tmp_path)
    assert evaluate_cmd.main([str(tmp_path)]) == 2
    assert "is a 'bert' model (BertModel), not a SentiV checkpoint" in capsys.readouterr().err
    argv = flags(dataset=corpus, text_model=text_run, speech_model=text_run, output_dir=tmp_path / "f")
    assert train("fusion", *argv) == 2
    assert "--speech_model" in (err := capsys.readouterr().err) and "expected a 'sentiv-speech' checkpoint" in err
    assert predict_cmd.main([str(text_run), str(text_run / "config.json")]) == 2
    assert "audio file(s) given to a text model" in capsys.readouterr().err


def test_unknown_column(corpus, tmp_path, capsys):
    assert train("text", "--dataset", corpus, "--text_column", "sentence", "--output_dir", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "Unknown column 'sentence' (set with --text_column)" in err and "'label'" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["text", "--loss", "hinge"], "invalid choice: 'hinge'"),
        (["text", "--budget", "1.5"], "--budget must be in (0, 1], got 1.5"),
        (["audio"], "Unknown task 'audio'; choose one of text, speech, fusion"),
        (["text", "--word_segmenter", "vncorenlp"], "--word_segmenter must be 'pyvi' or 'none'"),
        (["text", "missing.yaml"], "Config file not found: missing.yaml"),
        (["text", "--dataset_config", "nope"], "Cannot load config 'nope'"),
    ],
)
def test_bad_arguments(argv, message, tmp_path, capsys, corpus):
    extra = ["--output_dir", str(tmp_path)] if len(argv) > 1 and argv[1] != "missing.yaml" else []
    if "--dataset_config" in argv:
        extra += ["--dataset", corpus]
    assert train(*argv, *extra) == 2
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------- resume
KILL_AFTER_FIRST_CHECKPOINT = """
import os, sys
from transformers import TrainerCallback
from sentiv_hf.commands import train as train_cmd


class Kill(TrainerCallback):
    # Dies like a SIGKILL right after checkpoint-2 is written: no cleanup, no final save.
    def on_save(self, args, state, control, **kwargs):
        os._exit(137)


task, data_args, model_args, training_args = train_cmd.parse_train_args(sys.argv[1:])
train_cmd.run_training(task, data_args, model_args, training_args, callbacks=[Kill()])
"""


def test_resume_from_checkpoint_after_a_killed_run(corpus, tmp_path):
    out = tmp_path / "run"
    argv = [
        "text",
        *flags(dataset=corpus, output_dir=out, max_steps=4, save_steps=2, logging_steps=1),
        *flags(eval_split="", test_split="", word_segmenter="none"),
        *FAST,
    ]
    killed = subprocess.run([sys.executable, "-c", KILL_AFTER_FIRST_CHECKPOINT, *argv], capture_output=True, text=True)
    assert killed.returncode == 137, killed.stderr[-2000:]
    assert _json(out / "checkpoint-2" / "trainer_state.json")["global_step"] == 2
    assert not (out / "checkpoint-4").exists()
    assert not (out / "trainer_state.json").exists()  # the killed run never finished

    assert train(*argv, "--resume_from_checkpoint", str(out / "checkpoint-2")) == 0
    state = _json(out / "trainer_state.json")
    assert state["global_step"] == 4
    logged_steps = [entry["step"] for entry in state["log_history"] if "loss" in entry]
    assert logged_steps == [1, 2, 3, 4]  # steps 1-2 come from the checkpoint, 3-4 from the resumed run
    assert (out / "checkpoint-4").is_dir()
    assert _json(out / "config.json")["word_segmenter"] is None  # --word_segmenter none


def test_resume_without_checkpoint_is_a_clear_error(corpus, tmp_path, capsys):
    code = train("text", "--dataset", corpus, "--output_dir", str(tmp_path), "--resume_from_checkpoint", "true", *FAST)
    assert code == 2
    assert "no checkpoint-* folder in" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------- push
def test_push_to_hub_uploads_checkpoint_and_gated_card(corpus, tmp_path):
    uploads: list[dict] = []

    def fake_upload_folder(self, **kwargs):
        folder = Path(kwargs["folder_path"])
        uploads.append(
            {**kwargs, "files": sorted(p.name for p in folder.iterdir()), "readme": (folder / "README.md").read_text()}
        )
        return mock.MagicMock()

    out = tmp_path / "push"
    create_repo = mock.MagicMock(return_value=RepoUrl("https://huggingface.co/org/sentiv-text-tiny"))
    update_repo_settings = mock.MagicMock()
    with (
        mock.patch.object(HfApi, "create_repo", create_repo),
        mock.patch.object(HfApi, "upload_folder", fake_upload_folder),
        mock.patch.object(HfApi, "update_repo_settings", update_repo_settings),
    ):
        code = train(
            "text",
            *flags(dataset=corpus, output_dir=out, max_steps=1),
            "--push_to_hub",
            *flags(hub_model_id="org/sentiv-text-tiny"),
            "--hub-private-repo",  # the bare flag, as documented
            *flags(hub_strategy="end"),
            *flags(gated="auto", max_eval_samples=7),
            *FAST,
        )
    assert code == 0
    create_repo.assert_called_once()
    assert create_repo.call_args.args[0] == "org/sentiv-text-tiny"
    assert create_repo.call_args.kwargs["private"] is True
    assert update_repo_settings.call_args.args == ("org/sentiv-text-tiny",)
    assert update_repo_settings.call_args.kwargs["gated"] == "auto"
    (upload,) = uploads
    assert upload["repo_id"] == "org/sentiv-text-tiny"
    assert upload["folder_path"] == str(out)
    assert {"README.md", "config.json", "model.safetensors", "tokenizer.json", "train_ids.json"} <= set(
        upload["files"]
    )
    assert "checkpoint-*" in " ".join(upload["ignore_patterns"])
    card = ModelCard(upload["readme"])
    assert card.data.model_name == "sentiv-text-tiny"
    assert card.data.extra_gated_fields and card.data.extra_gated_prompt
    assert {r.dataset_split for r in card.data.eval_results} == {"test", "validation"}
    assert 'pipeline("text-classification", model="org/sentiv-text-tiny")' in card.text


# ---------------------------------------------------------------------------------------------------- launchers
def test_accelerate_launch_two_cpu_processes(corpus, tmp_path):
    """``accelerate launch -m sentiv_hf.cli train`` with the shipped 2-process CPU config trains one DDP model."""
    from .utils import launch_two_cpu_processes

    out = tmp_path / "ddp"
    train_flags = flags(
        dataset=corpus, output_dir=out, max_steps=2, sampler="weighted", eval_split="", max_eval_samples=7
    )
    result = launch_two_cpu_processes(["-m", "sentiv_hf.cli", "train", "text", *train_flags, *FAST])
    assert result.returncode == 0, result.stderr[-3000:]
    state = _json(out / "trainer_state.json")
    assert state["global_step"] == 2
    card = ModelCard.load(out / "README.md")
    assert "| world_size | 2 |" in card.text
    assert "| total_train_batch_size | 8 |" in card.text
    assert (out / "model.safetensors").is_file() and (out / "test_results.json").is_file()


def test_evaluate_text_model_on_the_multimodal_config(text_run, corpus, tmp_path):
    """Dataset labels are re-encoded by name into the model's 7-label space (6 speech labels -> text ids)."""
    code = evaluate_cmd.main(
        [str(text_run), "--dataset", corpus, "--dataset_config", "multimodal", "--output_dir", str(tmp_path)]
    )
    assert code == 0
    record = _json(tmp_path / "metrics.json")
    assert record["label_names"][1] == "Disgust"
    rows = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert {r["label"] for r in rows} <= {"Anger", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise"}
    assert len(rows[0]["probabilities"]) == 7


def test_multi_label_speech(tmp_path, capsys):
    """A ``labels`` Sequence(ClassLabel) column trains a multi-label head with BCE, and evaluate/predict follow it."""
    import soundfile as sf
    from datasets import Audio, ClassLabel, Dataset, Features, Sequence, Value

    from sentiv_hf.data.hub import write_config

    names = ["Abuse", "Suicide", "Violence"]
    features = Features(
        {
            "id": Value("string"),
            "audio": Audio(sampling_rate=16000),
            "labels": Sequence(ClassLabel(names=names)),
            "binary_label": ClassLabel(names=["non-negative", "negative"]),
            "duration": Value("float32"),
        }
    )
    splits = {}
    for split, n in {"train": 9, "validation": 3, "test": 3}.items():
        rows = []
        for i in range(n):
            path = tmp_path / f"{split}{i}.wav"
            sf.write(
                path, (0.3 * np.sin(2 * np.pi * (200 + 50 * i) * np.arange(8000) / 16000)).astype(np.float32), 16000
            )
            rows.append(
                {
                    "id": f"{split}{i}",
                    "audio": str(path),
                    "labels": sorted({i % 3, 2 * (i % 2)}),
                    "binary_label": 1,
                    "duration": 0.5,
                }
            )
        splits[split] = Dataset.from_list(rows, features=features)
    corpus = tmp_path / "hotline"
    write_config(corpus, "speech", splits)
    out = tmp_path / "run"
    assert train("speech", *flags(dataset=corpus, output_dir=out, max_steps=2, sampler="weighted"), *FAST) == 0
    config = _json(out / "config.json")
    assert config["head"] == "multi_label"
    assert config["sentiv_training"]["loss"] == "bce"
    assert config["sentiv_training"]["train_class_counts"] == [6, 3, 6]
    assert "test_micro_f1" in _json(out / "test_results.json")
    assert evaluate_cmd.main([str(out), "--dataset", str(corpus), "--output_dir", str(tmp_path / "eval")]) == 0
    assert "micro_f1" in _json(tmp_path / "eval" / "metrics.json")["metrics"]
    capsys.readouterr()
    assert predict_cmd.main([str(out), str(tmp_path / "test0.wav")]) == 0
    row = json.loads(capsys.readouterr().out)
    assert set(row) == {"audio", "labels", "scores"} and set(row["labels"]) <= set(names)
