from __future__ import annotations

import json

import pytest

from sentiv_hf.benchmark import BenchmarkConfig, ResultsStore


def test_store_appends_whole_lines_and_skips_finished(tmp_path):
    store = ResultsStore(tmp_path / "out" / "results.jsonl")
    store.append({"run_key": "a", "metrics": {"macro_f1": 0.5}})
    store.append({"run_key": "b", "metrics": {"macro_f1": 0.7}})
    assert store.finished_keys() == {"a", "b"}
    lines = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["run_key"] for line in lines] == ["a", "b"]


def test_store_ignores_and_trims_a_partial_trailing_line(tmp_path):
    path = tmp_path / "results.jsonl"
    store = ResultsStore(path)
    store.append({"run_key": "a"})
    with open(path, "ab") as fh:  # what a kill in the middle of a write could leave
        fh.write(b'{"run_key": "b", "metr')
    assert [r["run_key"] for r in store.load()] == ["a"]
    store.append({"run_key": "c"})
    assert [json.loads(line)["run_key"] for line in path.read_text().splitlines()] == ["a", "c"]


def test_store_keeps_first_of_repeated_keys_and_requires_a_key(tmp_path):
    store = ResultsStore(tmp_path / "r.jsonl")
    store.append({"run_key": "a", "v": 1})
    store.append({"run_key": "a", "v": 2})
    assert [r["v"] for r in store.load()] == [1]
    with pytest.raises(ValueError, match="run_key"):
        store.append({"v": 3})


def test_presets_and_overrides():
    demo = BenchmarkConfig.from_preset("demo")
    assert demo.tasks == ["text", "speech", "multimodal", "hotline_binary", "hotline_multilabel"]
    assert demo.budgets == [0.01, 0.05, 0.1, 0.25, 0.5, 1.0] and demo.seeds == [0, 1, 2]
    assert demo.models == ["tiny", "baseline:tfidf-logreg", "baseline:mfcc-logreg"]
    sentiv = BenchmarkConfig.from_preset("sentiv")
    assert "text:vinai/phobert-base" in sentiv.models and "speech:facebook/hubert-large-ls960-ft" in sentiv.models
    # the SentiV recipe fine-tunes (PhoBERT at max length 256 on pyvi-segmented text, HuBERT-large on <= 8 s clips)
    assert (sentiv.encoder, sentiv.text_max_length, sentiv.word_segmenter, sentiv.max_seconds) == (
        "finetune",
        256,
        "pyvi",
        8.0,
    )
    frozen = BenchmarkConfig.from_preset("sentiv-frozen")
    assert frozen.encoder == "frozen" and frozen.models == sentiv.models
    cfg = demo.with_overrides(budgets="1.0,0.1", seeds="5", tasks="text", epochs=3, output_dir=None)
    assert cfg.budgets == [0.1, 1.0] and cfg.seeds == [0, 1, 2, 3, 4] and cfg.tasks == ["text"] and cfg.epochs == 3
    assert cfg.output_dir == "sentiv-demo-output"
    assert demo.with_overrides(seeds="0,7").seeds == [0, 7]
    assert cfg.protocol_hash() != demo.with_overrides(epochs=4).protocol_hash()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tasks": ["txt"]}, "Unknown task"),
        ({"budgets": [0.0, 0.5]}, "fractions in \\(0, 1\\]"),
        ({"encoder": "partial"}, "'encoder' must be one of"),
        ({"fusion": ["max"]}, "Unknown fusion"),
        ({"confidence": "margin"}, "'confidence' must be one of \\['entropy', 'max_prob'\\]"),
        ({"tasks": ["cross_dataset"]}, "needs 'cross_dataset"),
        ({"learning_rat": 1.0}, "Unknown field"),
    ],
)
def test_config_errors_name_the_field(overrides, message):
    with pytest.raises(ValueError, match=message):
        BenchmarkConfig.from_preset("demo").with_overrides(**overrides)


def test_config_from_yaml(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("tasks: [text]\nmodels: ['baseline:tfidf-logreg']\nbudgets: [0.5, 1.0]\nseeds: 2\n")
    cfg = BenchmarkConfig.from_yaml(path)
    assert (cfg.tasks, cfg.budgets, cfg.seeds) == (["text"], [0.5, 1.0], [0, 1])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        BenchmarkConfig.from_yaml(tmp_path / "missing.yaml")
