from __future__ import annotations

import subprocess
import sys

from sentiv_hf.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: sentiv <command>")
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
