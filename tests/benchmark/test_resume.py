from __future__ import annotations

import json
import os
import subprocess
import sys

from sentiv_hf.commands.benchmark import main


def _args(corpus, out):
    config = out.parent / f"{out.name}.yaml"
    config.write_text(
        f"dataset: {corpus}\ntasks: [text, speech, multimodal]\nmodels: [tiny, 'baseline:tfidf-logreg']\n"
        "budgets: [0.5, 1.0]\nseeds: 2\nepochs: 3\nmax_seconds: 1.0\nfusion: [concat_mlp]\n"
    )
    return ["--config", str(config), "--output_dir", str(out), "--no-progress"]


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

    # resume: the 13 missing runs only (16 = (text: 2 models, speech: 1, multimodal: 1 fusion) x 2 budgets x 2 seeds);
    # the fusion runs retrain the killed process's text and speech heads, which must give the same numbers
    assert main(_args(corpus, killed)) == 0
    keys = _keys(killed)
    assert len(keys) == 16 and len(set(keys)) == 16
    assert main(_args(corpus, killed)) == 0  # a finished benchmark re-runs nothing
    assert len(_keys(killed)) == 16

    fresh = tmp_path / "fresh"
    assert main(_args(corpus, fresh)) == 0
    assert sorted(_keys(fresh)) == sorted(keys)
    assert (killed / "table.md").read_text() == (fresh / "table.md").read_text()
    assert (killed / "table.csv").read_text() == (fresh / "table.csv").read_text()
