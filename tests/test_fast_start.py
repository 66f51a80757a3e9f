"""Fast start: ``import sentiv_hf``, ``sentiv --help`` and ``sentiv data ...`` never import torch or transformers.

Each check runs a fresh interpreter with ``-X importtime``, which lists every module the process imported.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .utils import run_python

HEAVY = ("torch", "transformers", "torchaudio", "torchcodec")


def imported_modules(importtime_output: str) -> set[str]:
    """Module names from ``-X importtime`` lines (``import time: self | cumulative | name``)."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in importtime_output.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def heavy_modules(importtime_output: str) -> list[str]:
    names = imported_modules(importtime_output)
    return sorted(name for name in names if any(name == h or name.startswith(h + ".") for h in HEAVY))


def sentiv(*argv: str, cwd) -> subprocess.CompletedProcess[str]:
    """``python -X importtime -m sentiv_hf.cli ARGV``, offline."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sentiv_hf.cli", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_importtime_parser_sees_torch():
    output = "import time: self [us] | cumulative | imported package\nimport time:   5 |   9 |   torch._C\n"
    assert heavy_modules(output) == ["torch._C"]
    assert heavy_modules("import time:   5 |   9 | datasets.formatting.torch_formatter\n") == []


def test_import_sentiv_hf_imports_neither_torch_nor_transformers(tmp_path):
    code = """
    import sys
    import sentiv_hf
    sentiv_hf.SPEECH_LABELS, sentiv_hf.demo_path(), sentiv_hf.UserError  # lazy names that stay light
    assert "torch" not in sys.modules, "torch was imported"
    assert "transformers" not in sys.modules, "transformers was imported"
    """
    done = run_python(code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("argv", [("--help",), ("data", "--help")], ids=["sentiv --help", "sentiv data --help"])
def test_help_imports_no_torch(argv, tmp_path):
    done = sentiv(*argv, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "usage" in done.stdout
    assert heavy_modules(done.stderr) == []


def test_data_build_text_and_stats_import_no_torch(tmp_path):
    rows = ["text,label"] + [f"câu số {i} rất vui,{label}" for i, label in enumerate(["Enjoyment", "Sadness"] * 10)]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    built = sentiv("data", "build-text", "train.csv", "--output_dir", "out", cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-3000:]
    assert "20 accepted" in built.stdout
    assert heavy_modules(built.stderr) == []

    stats = sentiv("data", "stats", "out", cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr[-3000:]
    assert "text: 20 rows" in stats.stdout
    assert heavy_modules(stats.stderr) == []
