from __future__ import annotations

import pytest

from sentiv_hf.commands.benchmark import build_parser, load_config, main
from sentiv_hf.commands.submit import main as submit_main


def test_no_arguments_select_the_offline_demo_preset():
    config = load_config(build_parser().parse_args([]))
    assert config.name == "demo" and config.dataset is None and config.encoder == "frozen"
    assert config.tasks == ["text", "speech", "multimodal", "hotline_binary", "hotline_multilabel"]
    assert len(config.budgets) == 6 and config.seeds == [0, 1, 2]
    assert config.hotline_variants == ["segment", "context"] and config.task_config("hotline_binary") == "calls"
    assert config.output_dir == "sentiv-demo-output"


def test_flags_override_single_fields(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("name: mine\ntasks: [speech]\nmodels: ['baseline:mfcc-logreg']\nepochs: 7\n")
    args = build_parser().parse_args(
        ["--config", str(path), "--output_dir", "o", "--budgets", "0.5,1", "--seeds", "0,4", "--epochs", "2"]
    )
    config = load_config(args)
    assert (config.name, config.tasks, config.output_dir, config.budgets, config.seeds, config.epochs) == (
        "mine",
        ["speech"],
        "o",
        [0.5, 1.0],
        [0, 4],
        2,
    )
    sentiv = load_config(build_parser().parse_args(["--preset", "sentiv", "--tasks", "text"]))
    assert sentiv.models[0] == "text:vinai/phobert-base" and sentiv.tasks == ["text"]


def test_bad_values_exit_with_a_message(capsys, tmp_path):
    assert main(["--tasks", "txt", "--output_dir", str(tmp_path)]) == 2
    assert "Unknown task(s) ['txt']" in capsys.readouterr().err
    assert main(["--preset", "nope"]) == 2
    assert "available presets: ['demo', 'sentiv', 'sentiv-frozen']" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--preset", "demo", "--config", "x.yaml"])  # mutually exclusive
    assert submit_main(["f.json"]) == 2
    assert submit_main(["f.json", "--validate"]) == 2
    assert "needs --dataset" in capsys.readouterr().err
