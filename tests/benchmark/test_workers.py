"""`workers`: runs in spawned worker processes give the same results, table and resumption as one process."""

from __future__ import annotations

import json

import pytest

from sentiv_hf.benchmark.config import BenchmarkConfig
from sentiv_hf.commands.benchmark import main


def _args(corpus, out, workers: int) -> list[str]:
    config = out.parent / f"{out.name}.yaml"
    config.write_text(
        f"dataset: {corpus}\ntasks: [text, speech, multimodal, hotline_binary]\n"
        "models: [tiny, 'baseline:tfidf-logreg', 'baseline:mfcc-logreg']\n"
        "budgets: [0.5, 1.0]\nseeds: 2\nepochs: 3\nmax_seconds: 1.0\nfusion: [average, concat_mlp]\n"
        "configs: {hotline_binary: hotline}\nhotline_folds: 3\n"
    )
    return ["--config", str(config), "--output_dir", str(out), "--no-progress", "--workers", str(workers)]


def _results(out) -> dict[str, dict]:
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return {r["run_key"]: r for r in lines}


def test_two_workers_give_the_same_results_and_table_as_one(corpus, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(_args(corpus, one, 1)) == 0
    assert main(_args(corpus, two, 2)) == 0
    serial, parallel = _results(one), _results(two)
    # 2 budgets x 2 seeds x (text 2 models + speech 2 + multimodal: tiny 2 fusions + the baseline pair + hotline 2)
    assert len(serial) == 40 and serial.keys() == parallel.keys()
    for key, record in serial.items():
        other = parallel[key]
        assert other["metrics"] == record["metrics"], key
        assert other["predictions"] == record["predictions"], key
        assert other["train_ids_sha256"] == record["train_ids_sha256"], key
        assert "workers" not in record["config"] and "workers" not in other["config"]
        assert {**other["config"], "output_dir": None} == {**record["config"], "output_dir": None}
    for name in ("table.md", "table.csv", "submission.json"):
        assert (two / name).read_bytes() == (one / name).read_bytes(), name
    # a second call with the other count re-runs nothing (the worker count is not part of the run key)
    assert main(_args(corpus, two, 1)) == 0
    assert len((two / "results.jsonl").read_text().splitlines()) == 40


def test_workers_is_validated_and_kept_out_of_the_protocol():
    with pytest.raises(ValueError, match="'workers' must be an integer >= 1"):
        BenchmarkConfig(workers=0)
    base = BenchmarkConfig(tasks=["text"], models=["tiny"])
    assert base.with_overrides(workers=2).protocol_hash() == base.protocol_hash()
    assert "workers" not in base.with_overrides(workers=2).recorded()
