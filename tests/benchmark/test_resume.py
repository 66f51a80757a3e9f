from __future__ import annotations

import json
import os
import subprocess
import sys

from sentiv_hf.commands.benchmark import main


def _args(corpus, out):
    return [
        "--dataset",
        str(corpus),
        "--out",
        str(out),
        "--tasks",
        "text,speech",
        "--models",
        "tiny,baseline:tfidf-logreg",
        "--budgets",
        "0.5,1.0",
        "--seeds",
        "2",
        "--epochs",
        "3",
        "--no-progress",
    ]


def _keys(out):
    return [json.loads(line)["run_key"] for line in (out / "results.jsonl").read_text().splitlines()]


def test_killed_run_resumes_without_duplicates_and_matches_an_uninterrupted_run(corpus, tmp_path):
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "sentiv_hf.cli", "benchmark", *_args(corpus, killed), "--stop-after", "3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert len(_keys(killed)) == 3
    assert not (killed / "table.md").exists()  # killed before the report

    assert main(_args(corpus, killed)) == 0  # resume: runs the 9 missing runs only (12 = 3 models x 2 x 2)
    keys = _keys(killed)
    assert len(keys) == 12 and len(set(keys)) == 12
    assert main(_args(corpus, killed)) == 0  # a finished benchmark re-runs nothing
    assert len(_keys(killed)) == 12

    fresh = tmp_path / "fresh"
    assert main(_args(corpus, fresh)) == 0
    assert sorted(_keys(fresh)) == sorted(keys)
    assert (killed / "table.md").read_text() == (fresh / "table.md").read_text()
    assert (killed / "table.csv").read_text() == (fresh / "table.csv").read_text()
