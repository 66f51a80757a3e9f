from __future__ import annotations

import pytest
from huggingface_hub import HfApi

import sentiv_hf.data
import sentiv_hf.data.speech
from sentiv_hf.commands.data import main
from sentiv_hf.data.rejects import BuildSummary
from sentiv_hf.labels import TEXT_LABELS

TOKEN = "hf_CLItokenNeverPrinted987654321"


@pytest.fixture
def source(tmp_path):
    lines = ["sentence,emotion"]
    for label in TEXT_LABELS:
        lines += [f"{label} câu {i},{label.lower()}" for i in range(10)]
    lines += [",Fear", "câu lạ,Joy", "Anger câu 0,Anger"]
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_build_text_then_stats(source, tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["build-text", str(source), "--output_dir", str(out), "--split-seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[:4] == [
        "text: 73 input rows -> 70 accepted, 3 rejected",
        "  rejected: empty text 1, unknown label 1, duplicate text 1",
        "  splits: train 56, validation 7, test 7",
        "  labels: Anger 10, Disgust 10, Enjoyment 10, Fear 10, Neutral 10, Sadness 10, Surprise 10",
    ]
    assert (out / "text" / "rejected.csv").exists()

    assert main(["stats", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Dataset folder {out}"
    assert lines[1] == "text: 70 rows in 3 split(s); columns: id, text, label"
    assert lines[2].split() == ["train", "56"] + [x for n in TEXT_LABELS for x in (n, "8,")][:-1] + ["8"]
    assert lines[3].split()[:2] == ["validation", "7"]
    assert lines[4].split()[:4] == ["test", "7", "Anger", "1,"]


def test_alias_and_strict(source, tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["build-text", str(source), "--output_dir", str(out), "--label-alias", "Joy=Enjoyment"]) == 0
    assert capsys.readouterr().out.startswith("text: 73 input rows -> 71 accepted, 2 rejected")
    assert main(["build-text", str(source), "--output_dir", str(out), "--strict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sentiv data build-text: error: --strict: 3 of 73 rows of ")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["build-text", "{tmp}/missing.xlsx", "--output_dir", "{tmp}/ds"], "Data file not found: {tmp}/missing.xlsx."),
        (
            ["build-text", "{src}", "--output_dir", "{tmp}/ds", "--text-column", "nope"],
            "The text column 'nope' is not among the columns found: 'sentence', 'emotion'.",
        ),
        (
            ["build-text", "{src}", "--output_dir", "{tmp}/ds", "--label-alias", "Joy"],
            "Invalid --label-alias 'Joy': expected RAW=LABEL, for example 'Other=Neutral'.",
        ),
        (["stats", "{tmp}/nowhere"], "Dataset folder not found: {tmp}/nowhere."),
        (["push", "{tmp}", "--repo-id", "org/x"], "is not a dataset folder (no README.md)"),
    ],
)
def test_user_errors_are_one_line_exit_2(source, tmp_path, capsys, args, message):
    argv = [a.format(tmp=tmp_path, src=source) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"sentiv data {argv[0]}: error: ")
    assert message.format(tmp=tmp_path) in err
    assert "Traceback" not in err


def test_argparse_errors_exit_2(capsys):
    assert main(["build-text", "x.csv"]) == 2
    assert "the following arguments are required: --out" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["push", "d", "--repo-id", "o/n", "--gated", "yes"]) == 2
    assert "invalid choice: 'yes'" in capsys.readouterr().err


def test_stats_defaults_to_demo_path(source, tmp_path, monkeypatch, capsys):
    out = tmp_path / "demo"
    assert main(["build-text", str(source), "--output_dir", str(out)]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sentiv_hf.data, "demo_path", lambda: out)
    assert main(["stats"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        f"Dataset folder {out}",
        "text: 70 rows in 3 split(s); columns: id, text, label",
    ]
    assert main(["stats", str(out), "--config", "speech"]) == 2
    assert "has no config speech; its configs are text." in capsys.readouterr().err


def test_build_speech_passes_options(tmp_path, monkeypatch, capsys):
    seen = {}

    def fake(manifest, audio_dir, out_dir, **kwargs):
        seen.update(manifest=manifest, audio_dir=audio_dir, out_dir=out_dir, **kwargs)
        return [BuildSummary("speech", 3, 2, 1, {"missing file": 1}, {"train": 2})]

    monkeypatch.setattr(sentiv_hf.data.speech, "build_speech_dataset", fake)
    argv = [
        "build-speech",
        "m.csv",
        "--audio-dir",
        "wav",
        "--output_dir",
        "ds",
        "--multi-label",
        "--label-alias",
        "x=Fear",
    ]
    assert main(argv + ["--split-seed", "5", "--strict"]) == 0
    assert seen == {
        "manifest": "m.csv",
        "audio_dir": "wav",
        "out_dir": "ds",
        "label_aliases": ["x=Fear"],
        "multi_label": True,
        "negative_labels": None,
        "allow_outside_audio_dir": False,
        "split_seed": 5,
        "strict": True,
    }
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "speech: 3 input rows -> 2 accepted, 1 rejected"
    assert out.splitlines()[-1] == "Wrote speech to ds"


def test_push_command_with_mocked_hub(source, tmp_path, monkeypatch, capsys):
    out = tmp_path / "ds"
    assert main(["build-text", str(source), "--output_dir", str(out)]) == 0
    capsys.readouterr()
    calls = []
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setattr(HfApi, "create_repo", lambda self, repo_id, **kw: calls.append(("create", repo_id, kw)))
    monkeypatch.setattr(HfApi, "upload_folder", lambda self, **kw: calls.append(("upload", kw["repo_id"], kw)))
    monkeypatch.setattr(
        HfApi, "update_repo_settings", lambda self, repo_id, **kw: calls.append(("settings", repo_id, kw))
    )
    assert main(["push", str(out), "--repo-id", "org/sentiv", "--gated", "auto", "--private"]) == 0
    assert [(c[0], c[1]) for c in calls] == [
        ("create", "org/sentiv"),
        ("upload", "org/sentiv"),
        ("settings", "org/sentiv"),
    ]
    assert calls[0][2]["private"] is True
    assert calls[2][2] == {"gated": "auto", "repo_type": "dataset"}
    captured = capsys.readouterr()
    assert captured.out.strip().endswith("/datasets/org/sentiv (gated: auto approval)")
    assert TOKEN not in captured.out + captured.err


def test_push_command_no_network(source, tmp_path, monkeypatch, capsys):
    out = tmp_path / "ds"
    assert main(["build-text", str(source), "--output_dir", str(out)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("HF_TOKEN", TOKEN)

    def unreachable(self, repo_id, **kwargs):
        raise ConnectionError(f"[Errno 101] Network is unreachable; token={TOKEN}")

    monkeypatch.setattr(HfApi, "create_repo", unreachable)
    assert main(["push", str(out), "--repo-id", "org/sentiv"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "sentiv data push: error: Cannot reach the Hugging Face Hub to push to dataset repo 'org/sentiv': "
        "check the network or HF_ENDPOINT, and retry.\n"
    )
    assert TOKEN not in err


def test_stats_multi_label_config(tmp_path, capsys):
    from datasets import ClassLabel, Dataset, Features, List, Value

    from sentiv_hf.data.hub import write_config

    features = Features(
        {
            "id": Value("string"),
            "labels": List(ClassLabel(names=["Despair", "Fear", "Pain"])),
            "binary_label": ClassLabel(names=["non-negative", "negative"]),
        }
    )
    rows = {"id": ["a", "b", "c"], "labels": [[0, 1], [2], []], "binary_label": [1, 1, 0]}
    write_config(tmp_path / "ds", "speech", {"train": Dataset.from_dict(rows, features=features)})
    assert main(["stats", str(tmp_path / "ds")]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "speech: 3 rows in 1 split(s); columns: id, labels, binary_label",
        "  train            3  labels: Despair 1, Fear 1, Pain 1 | binary_label: non-negative 1, negative 2",
    ]
