from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from sentiv_hf.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: sentiv [--version] <command>")
    for name in COMMANDS:
        assert f"  {name} " in out


def test_unknown_command_exits_2_and_names_it(capsys):
    assert main(["trian"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'trian'" in err
    assert "train" in err


def test_runs_as_module():
    result = subprocess.run(
        [sys.executable, "-m", "sentiv_hf.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "benchmark" in result.stdout


def test_version_prints_the_package_version(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"sentiv-hf {version('sentiv-hf')}\n"


def test_train_help_without_a_task_exits_0(capsys):
    assert main(["train", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: sentiv train {text,speech,fusion,context}")


def test_every_long_flag_takes_both_spellings():
    from sentiv_hf.commands.arguments import ArgumentParser, add_output_dir

    parser = ArgumentParser(prog="sentiv demo")
    add_output_dir(parser, help="where")
    parser.add_argument("--label-column")
    for argv in (["--output_dir", "a", "--label-column", "b"], ["--output-dir", "a", "--label_column", "b"]):
        args = parser.parse_args(argv)
        assert (args.output_dir, args.label_column) == ("a", "b")


@pytest.mark.parametrize(
    "module",
    ["sentiv_hf.commands.data", "sentiv_hf.commands.benchmark", "sentiv_hf.commands.evaluate"]
    + ["sentiv_hf.commands.predict", "sentiv_hf.commands.predict_call", "sentiv_hf.commands.submit"],
)
def test_one_output_flag_vocabulary(module):
    """Every argparse command spells its output folder --output_dir (and --output-dir), never --out/--output."""
    import importlib

    imported = importlib.import_module(module)
    parser = (getattr(imported, "build_parser", None) or imported._parser)()
    parsers = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers += list(action.choices.values())
    flags = {(p, flag) for p in parsers for flag in p._option_string_actions if flag.startswith("--")}
    assert not {flag for _, flag in flags} & {"--out", "--output"}
    for p, flag in flags:
        other = "--" + (flag[2:].replace("_", "-") if "_" in flag else flag[2:].replace("-", "_"))
        assert p.spelling(other + "=x") == flag + "=x"
