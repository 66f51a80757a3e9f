"""Issue 9 ("Hardening"), the ``sentiv train`` side: tokens, resuming, launches, Hub failures, gating, model cards.

One tiny text run is pushed to a mocked Hub with ``--hub_token`` and ``--gated manual`` (module fixture); its files and
checkpoints serve the token, gating and resume tests. Nothing reaches the network.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import httpx2  # the HTTP client huggingface_hub 2 is built on: its errors are what an unreachable Hub raises
import pytest
import torch
from huggingface_hub import HfApi, ModelCard, RepoUrl
from transformers import TrainerCallback

from sentiv_hf.commands import train as train_cmd
from sentiv_hf.data import demo_path
from sentiv_hf.errors import UserError
from sentiv_hf.training.model_card import SentiVModelCardData
from sentiv_hf.training.training_args import SentiVTrainingArguments

from ..utils import launch_two_cpu_processes

REPO = Path(__file__).resolve().parents[2]
TOKEN = "hf_SentivHardeningToken0123456789"
REPO_ID = "org/sentiv-text-hardening"
FAST = ["--report_to", "none", "--disable_tqdm", "true", "--per_device_train_batch_size", "4", "--use_cpu", "true"]


def flags(**options: object) -> list[str]:
    return [arg for name, value in options.items() for arg in (f"--{name}", str(value))]


def small_run(out: Path, **extra: object) -> list[str]:
    """The flags of a 2-step text run on the demo corpus that saves a checkpoint at every step."""
    options = {"dataset": demo_path(), "output_dir": out, "max_steps": 2, "save_steps": 1, "logging_steps": 1}
    options.update(eval_split="", test_split="", word_segmenter="none", **extra)
    return [*flags(**options), *FAST]


def one_line(err: str) -> str:
    """The single ``sentiv train: ...`` line of stderr (there must be exactly one, and no traceback)."""
    lines = [line for line in err.splitlines() if line.startswith("sentiv train: ")]
    assert len(lines) == 1, err[-3000:]
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def pushed(tmp_path_factory):
    """A run with ``--push_to_hub --hub_token hf_... --gated manual`` against a mocked Hub; records every upload."""
    out = tmp_path_factory.mktemp("pushed") / "run"
    uploads: list[dict] = []

    def fake_upload_folder(self, **kwargs):
        folder = Path(kwargs["folder_path"])
        files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        uploads.append({**kwargs, "files": files})
        return mock.MagicMock()

    create_repo = mock.MagicMock(return_value=RepoUrl(f"https://huggingface.co/{REPO_ID}"))
    settings = mock.MagicMock()
    with (
        mock.patch("huggingface_hub.constants.HF_HUB_OFFLINE", False),
        mock.patch.dict(os.environ, {}, clear=False),
        mock.patch.object(HfApi, "create_repo", create_repo),
        mock.patch.object(HfApi, "upload_folder", fake_upload_folder),
        mock.patch.object(HfApi, "update_repo_settings", settings),
    ):
        os.environ.pop("HF_TOKEN", None)
        argv = ["text", *small_run(out), "--push_to_hub", *flags(hub_model_id=REPO_ID, hub_token=TOKEN)]
        code = train_cmd.main([*argv, "--gated", "manual"])
    assert code == 0
    return {"out": out, "uploads": uploads, "create_repo": create_repo, "settings": settings}


# ---------------------------------------------------------------------------------------------------- 9.1 token
def test_hub_token_is_written_nowhere_and_uploaded_nowhere(pushed):
    """Issue 9.1: --hub_token reaches no file (training_args.bin included, in output and checkpoints), nor the Hub."""
    out = pushed["out"]
    bins = sorted(str(p.relative_to(out)) for p in out.rglob("training_args.bin"))
    assert bins == ["checkpoint-1/training_args.bin", "checkpoint-2/training_args.bin", "training_args.bin"]
    for path in out.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    saved = torch.load(out / "training_args.bin", weights_only=False)
    assert saved.hub_token is None and saved.hub_model_id == REPO_ID
    # Every upload (one per checkpoint, then the final push) was authenticated with the token, and carried none.
    assert len(pushed["uploads"]) == 3
    for upload in pushed["uploads"]:
        assert upload["token"] == TOKEN
        assert "training_args.bin" in upload["files"]
        assert not [name for name, data in upload["files"].items() if TOKEN.encode() in data]


def test_pickled_arguments_drop_the_token_but_keep_it_in_memory(tmp_path):
    """Issue 9.1: the arguments object keeps the token for the push; its pickle (what torch.save writes) has none."""
    args = SentiVTrainingArguments(output_dir=str(tmp_path), hub_token=TOKEN, report_to="none", use_cpu=True)
    torch.save(args, tmp_path / "args.bin")
    assert args.hub_token == TOKEN
    assert TOKEN.encode() not in (tmp_path / "args.bin").read_bytes()
    assert TOKEN not in args.to_json_string() and TOKEN not in str(args)


# ---------------------------------------------------------------------------------------------------- gating
def test_gated_manual_gates_the_repo_before_uploading_and_the_card(pushed):
    """Issue 9 (--gated): ``--gated manual`` turns on manual approval on the repo and puts the gating fields in the
    card."""
    pushed["settings"].assert_called_once()
    call = pushed["settings"].call_args
    assert call.args == (REPO_ID,)
    assert call.kwargs["gated"] == "manual" and call.kwargs["token"] == TOKEN
    card = ModelCard(pushed["uploads"][-1]["files"]["README.md"].decode())
    assert card.data.extra_gated_prompt and card.data.extra_gated_fields
    assert "research use only" in card.data.extra_gated_prompt
    assert "(manual approval)" in card.text


def test_gated_takes_an_approval_mode(tmp_path, capsys):
    """Issue 9 (--gated): a bare or unknown mode is refused, on the command line and in a config file."""
    assert train_cmd.main(["text", *flags(output_dir=tmp_path), "--gated", "yes"]) == 2
    assert "argument --gated: invalid choice: 'yes' (choose from 'manual', 'auto')" in capsys.readouterr().err
    config = tmp_path / "run.yaml"
    config.write_text(f"output_dir: {tmp_path}\ngated: true\n", encoding="utf-8")
    assert train_cmd.main(["text", str(config)]) == 2
    assert one_line(capsys.readouterr().err) == (
        "sentiv train: --gated must be 'manual' or 'auto' (the approval mode), got True."
    )


# ---------------------------------------------------------------------------------------------------- 9.8 resume
class StepRecorder(TrainerCallback):
    """Records the step a run starts from and the steps it trains."""

    def __init__(self):
        self.start, self.steps = None, []

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = state.global_step

    def on_step_end(self, args, state, control, **kwargs):
        self.steps.append(state.global_step)


def _copy_checkpoints(source: Path, out: Path) -> None:
    for name in ("checkpoint-1", "checkpoint-2"):
        shutil.copytree(source / name, out / name)


def test_resume_true_skips_a_checkpoint_cut_short_by_a_kill(pushed, tmp_path, caplog):
    """Issue 9.8: a newer checkpoint-3 whose weights were cut short by a kill is skipped; the run resumes from
    checkpoint-2, the newest complete one."""
    out = tmp_path / "run"
    _copy_checkpoints(pushed["out"], out)
    broken = out / "checkpoint-3"
    shutil.copytree(out / "checkpoint-2", broken)
    weights = (broken / "model.safetensors").read_bytes()
    (broken / "model.safetensors").write_bytes(weights[: len(weights) // 2])

    recorder = StepRecorder()
    argv = ["text", *small_run(out, max_steps=3), "--resume_from_checkpoint", "true"]
    task, data_args, model_args, training_args = train_cmd.parse_train_args(argv)
    train_cmd.run_training(task, data_args, model_args, training_args, callbacks=[recorder])
    assert (recorder.start, recorder.steps) == (2, [3])
    assert "Skipping checkpoint-3: model.safetensors is truncated; resuming from checkpoint-2 instead." in caplog.text
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 3
    assert [e["step"] for e in state["log_history"] if "loss" in e] == [1, 2, 3]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            "trainer_state",
            "checkpoint-2: trainer_state.json is missing (an interrupted save, or not a Trainer checkpoint)",
        ),
        ("optimizer", "checkpoint-2: optimizer.pt is truncated"),
    ],
)
def test_resume_without_a_complete_checkpoint_is_one_line(pushed, tmp_path, capsys, damage, message):
    """Issue 9.8: when every checkpoint is incomplete, one line lists why and says how to start again."""
    out = tmp_path / "run"
    _copy_checkpoints(pushed["out"], out)
    shutil.rmtree(out / "checkpoint-1")
    if damage == "trainer_state":
        (out / "checkpoint-2" / "trainer_state.json").unlink()
    else:
        optimizer = out / "checkpoint-2" / "optimizer.pt"
        optimizer.write_bytes(optimizer.read_bytes()[:100])
    assert train_cmd.main(["text", *small_run(out), "--resume_from_checkpoint", "true"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line == (
        f"sentiv train: --resume_from_checkpoint: no complete checkpoint in {out} ({message}); start again without "
        "--resume_from_checkpoint, or into a new --output_dir."
    )
    assert not (out / "train_ids.json").exists()  # refused before any work


# ---------------------------------------------------------------------------------------------------- 9.18 pickles
def test_resume_refuses_a_blocked_pickle_in_one_line(pushed, tmp_path, capsys):
    """Issue 9.18: a checkpoint file holding a non-tensor pickle is refused by name, without a traceback."""
    out = tmp_path / "run"
    _copy_checkpoints(pushed["out"], out)
    optimizer = out / "checkpoint-2" / "optimizer.pt"
    state = torch.load(optimizer, weights_only=True)
    state["saved_on"] = datetime.date(2026, 1, 1)  # a global outside torch's weights-only allow-list
    torch.save(state, optimizer)
    assert train_cmd.main(["text", *small_run(out, max_steps=3), "--resume_from_checkpoint", "true"]) == 2
    assert one_line(capsys.readouterr().err) == (
        f"sentiv train: Cannot resume: {optimizer} holds a pickled datetime.date, not just tensors, and sentiv never "
        "loads arbitrary pickles. Resume from a checkpoint written by sentiv train (transformers), or start again "
        "without --resume_from_checkpoint."
    )


# ---------------------------------------------------------------------------------------------------- 9.18 Hub
@pytest.mark.parametrize("task", ["text", "speech"])
def test_hub_model_id_while_offline_is_one_line(task, tmp_path, capsys):
    """Issue 9.18: a Hub model id that is not cached, with HF_HUB_OFFLINE=1, fails at once in one line."""
    from huggingface_hub import constants

    assert constants.HF_HUB_OFFLINE  # set by tests/conftest.py
    argv = [task, *flags(model="org/nomodel", output_dir=tmp_path, max_seconds=1.0, max_eval_samples=4), *FAST]
    assert train_cmd.main(argv) == 2
    assert one_line(capsys.readouterr().err) == (
        "sentiv train: Cannot fetch model 'org/nomodel': offline mode is on (HF_HUB_OFFLINE=1) and it is not in "
        "the local cache; unset HF_HUB_OFFLINE to download it, or pass a local folder (or fill HF_HUB_CACHE with it "
        "first)."
    )


def test_push_to_an_unreachable_hub_is_one_line(tmp_path, capsys):
    """Issue 9.18: an unreachable Hub, when the repo is created and when the trained model is pushed, is one line;
    after training it says where the model is saved."""
    refused = httpx2.ConnectError("[Errno 111] Connection refused")
    argv = ["text", *small_run(tmp_path / "a", max_steps=1), "--push_to_hub", *flags(hub_model_id=REPO_ID)]
    with (
        mock.patch("huggingface_hub.constants.HF_HUB_OFFLINE", False),
        mock.patch.object(HfApi, "create_repo", side_effect=refused),
    ):
        assert train_cmd.main(argv) == 2
    assert one_line(capsys.readouterr().err) == (
        f"sentiv train: Cannot reach the Hugging Face Hub to push to model repo '{REPO_ID}': check the network "
        "or HF_ENDPOINT, and retry."
    )

    out = tmp_path / "b"
    argv = ["text", *small_run(out, max_steps=1), "--push_to_hub", *flags(hub_model_id=REPO_ID, hub_strategy="end")]
    with (
        mock.patch("huggingface_hub.constants.HF_HUB_OFFLINE", False),
        mock.patch.object(HfApi, "create_repo", return_value=RepoUrl(f"https://huggingface.co/{REPO_ID}")),
        mock.patch.object(HfApi, "upload_folder", side_effect=refused),
    ):
        assert train_cmd.main(argv) == 2
    assert one_line(capsys.readouterr().err) == (
        f"sentiv train: Cannot reach the Hugging Face Hub to push to model repo '{REPO_ID}': check the network or "
        f"HF_ENDPOINT, and retry. The trained model is saved in {out}."
    )
    assert (out / "model.safetensors").is_file()


def test_push_while_offline_is_one_line(tmp_path, capsys):
    """Issue 9.18: --push_to_hub with HF_HUB_OFFLINE=1 fails as soon as the repo is to be created, in one line."""
    from huggingface_hub import constants

    assert constants.HF_HUB_OFFLINE  # set by tests/conftest.py: the real HfApi refuses every request
    argv = ["text", *small_run(tmp_path, max_steps=1), "--push_to_hub", *flags(hub_model_id=REPO_ID)]
    assert train_cmd.main(argv) == 2
    assert one_line(capsys.readouterr().err) == (
        f"sentiv train: Cannot push to model repo '{REPO_ID}': offline mode is on (HF_HUB_OFFLINE=1); unset "
        "HF_HUB_OFFLINE and retry."
    )
    assert not (tmp_path / "model.safetensors").exists()  # refused before training


# ---------------------------------------------------------------------------------------------------- 9.17 DDP
def test_two_cpu_processes_without_use_cpu_join_one_ddp_run(tmp_path):
    """Issue 9.17: 2 CPU processes launched without ACCELERATE_USE_CPU=1 / --use_cpu used to train alone, each
    into the same folder, with exit 0. Without a GPU they can only mean CPU DDP, so they now join one gloo run."""
    out = tmp_path / "ddp"
    run_flags = small_run(out, max_steps=2)
    run_flags = run_flags[: run_flags.index("--use_cpu")]  # the user forgot --use_cpu ...
    # ... and ACCELERATE_USE_CPU=1
    result = launch_two_cpu_processes(["-m", "sentiv_hf.cli", "train", "text", *run_flags], use_cpu=False)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "2 processes launched without a GPU: training with CPU DDP." in result.stdout + result.stderr
    card = ModelCard.load(out / "README.md")
    assert "| world_size | 2 |" in card.text
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 2


def test_processes_that_still_do_not_join_are_refused(monkeypatch):
    """Issue 9.17: whatever else keeps launched processes apart, each refuses rather than train alone."""
    args = SentiVTrainingArguments(output_dir="out", report_to="none")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr(type(args), "world_size", property(lambda self: 1))
    with pytest.raises(UserError, match=r"^2 processes were launched \(WORLD_SIZE=2\) but they did not join one"):
        args.check_distributed_launch()


# ---------------------------------------------------------------------------------------------------- 9.18 logs
LOG_ONCE = """
import logging, sys
import datasets, transformers
from sentiv_hf.commands import train as train_cmd

_, _, _, args = train_cmd.parse_train_args(["text", "--output_dir", sys.argv[1], "--report_to", "none"])
train_cmd._setup_logging(args)
datasets.utils.logging.get_logger("datasets.builder").warning("DATASETS-WARNING")
transformers.utils.logging.get_logger("transformers.trainer").warning("TRANSFORMERS-WARNING")
logging.getLogger("sentiv_hf.training.trainer").warning("SENTIV-WARNING")
"""


def test_each_warning_is_printed_once(tmp_path):
    """Issue 9.18: a warning of datasets, transformers or sentiv is printed once, also where CI is set (transformers
    then propagates its records to the root logger)."""
    env = {**os.environ, "CI": "true"}
    result = subprocess.run(
        [sys.executable, "-c", LOG_ONCE, str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    for message in ("DATASETS-WARNING", "TRANSFORMERS-WARNING", "SENTIV-WARNING"):
        assert output.count(message) == 1, output


# ---------------------------------------------------------------------------------------------------- model cards
def test_card_yaml_names_hub_base_model_and_dataset():
    """Issue 9 (cards): the YAML has base_model and datasets (Hub ids), and the body intended use and limitations."""
    card = SentiVModelCardData(
        task="text", base_model="vinai/phobert-base", dataset_id="org/sentiv", labels=["Anger", "Disgust"]
    ).to_model_card()
    assert card.data.base_model == "vinai/phobert-base"
    assert card.data.datasets == ["org/sentiv"]
    assert "## Intended use" in card.text and "## Limitations" in card.text
    assert "released for research use only: it is gated on the Hub, access is granted manually" in card.text
    assert "speech and multimodal have 6, because Disgust is merged into Anger" in card.text


def test_card_never_shows_an_absolute_path(tmp_path):
    """Issue 9 (cards): local base models and datasets appear by folder name, and only Hub ids go into the YAML."""
    text_dir, speech_dir, data_dir = tmp_path / "runs" / "text", tmp_path / "runs" / "speech", tmp_path / "corpus"
    for folder in (text_dir, speech_dir, data_dir):
        folder.mkdir(parents=True)
    data = SentiVModelCardData(
        task="fusion",
        base_model=[str(text_dir), "org/sentiv-speech"],
        dataset_id=str(data_dir),
        labels=["Anger", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise"],
    )
    data.add_metrics({"test_macro_f1": 0.5})
    text = str(data.to_model_card())
    assert str(tmp_path) not in text
    card = ModelCard(text)
    assert card.data.base_model == "org/sentiv-speech"
    assert card.data.datasets is None
    assert (
        "| Base model | `text` (a local folder) + [org/sentiv-speech](https://huggingface.co/org/sentiv-speech) |"
        in text
    )
    assert "| Dataset | `corpus` (a local folder) |" in text
    assert "This model has no Disgust class: its Anger covers Disgust too." in text
    # The benchmark writes the fusion base models as one "TEXT + SPEECH" string; it is split the same way.
    joined = SentiVModelCardData(task="fusion", base_model=f"{speech_dir} + {text_dir}").to_model_card()
    assert str(tmp_path) not in str(joined) and "`speech` (a local folder) + `text` (a local folder)" in str(joined)


def test_fusion_card_declares_no_pipeline_tag():
    """Issue 9 (cards): no Hub pipeline takes text and audio for classification, so the fusion card declares none
    (audio-classification's widget would call it with audio only); its model-index still has a task type."""
    data = SentiVModelCardData(task="fusion", labels=["Anger", "Fear"])
    data.add_metrics({"test_macro_f1": 0.5})
    card = data.to_model_card()
    assert card.data.pipeline_tag is None
    assert "pipeline_tag" not in str(card)
    assert card.data.eval_results[0].task_type == "audio-classification"
    assert SentiVModelCardData(task="speech").to_model_card().data.pipeline_tag == "audio-classification"
