from __future__ import annotations

import json

import numpy as np
import pytest

from sentiv_hf.benchmark import ENCODER_CALLS, BenchmarkConfig, BenchmarkRunner, write_report
from sentiv_hf.benchmark.tasks import ids_hash


def test_runner_uses_nested_budgets_and_records_the_train_ids(finished):
    runner, records = finished
    for seed in (0, 1):
        small = runner.train_ids("text", 0.25, seed)
        full = runner.train_ids("text", 1.0, seed)
        assert set(small) < set(full) and len(full) == 56
        assert len(small) == 14
        # every class is in the 25 % budget (7 classes, 14 examples)
        train = runner.splits("text")["train"]
        labels = {train.labels[train.ids.index(i)] for i in small}
        assert len(labels) == 7
    by_key = {(r["task"], r["model"], r["budget"], r["seed"]): r for r in records}
    rec = by_key[("text", "tiny", 0.25, 1)]
    assert rec["n_train"] == 14 and rec["train_ids_sha256"] == ids_hash(runner.train_ids("text", 0.25, 1))
    chain = [runner.train_ids("speech", b, 0) for b in (0.01, 0.05, 0.1, 0.25, 0.5, 1.0)]
    assert all(set(a) <= set(b) for a, b in zip(chain, chain[1:]))


def test_records_hold_config_metrics_predictions_and_versions(finished, corpus):
    runner, records = finished
    # 2 text + 2 speech + 6 multimodal rows (2 pairs x 3 fusions), x 2 budgets x 2 seeds
    assert len(records) == (2 + 2 + 6) * 2 * 2
    rec = next(r for r in records if r["task"] == "speech" and r["model"] == "baseline:mfcc-logreg")
    assert rec["config"]["budgets"] == [0.25, 1.0] and rec["config"]["dataset"] == str(corpus)
    assert set(rec["predictions"]) == set(runner.splits("speech")["test"].ids)
    assert set(rec["predictions"].values()) <= set(rec["label_names"])
    assert {"macro_f1", "accuracy", "weighted_f1", "confusion_matrix"} <= set(rec["metrics"])
    assert {"torch", "transformers", "datasets", "scikit-learn"} <= set(rec["versions"])
    assert rec["wall_time_s"] >= 0 and rec["n_test"] == 18
    fusions = {r["fusion"] for r in records if r["task"] == "multimodal"}
    assert fusions == {"average", "concat_mlp", "uncertainty"}
    mm = next(r for r in records if r["task"] == "multimodal" and r["fusion"] == "uncertainty")
    assert set(mm["selection"]["temperatures"]) == {"text_temperature", "speech_temperature"}
    # tones are trivially separable: the speech baselines and the fused models should be right on most clips
    assert rec["metrics"]["accuracy"] >= 0.8


def test_feature_cache_encodes_each_clip_once(corpus, tmp_path, monkeypatch):
    from sentiv_hf.models.modeling_sentiv_speech import SentiVSpeechForAudioClassification

    forwarded = []
    original = SentiVSpeechForAudioClassification.encode_layers

    def counting(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        forwarded.append(out.shape[0])
        return out

    monkeypatch.setattr(SentiVSpeechForAudioClassification, "encode_layers", counting)
    config = BenchmarkConfig(
        dataset=str(corpus),
        tasks=["speech", "multimodal"],
        models=["tiny"],
        budgets=[0.5, 1.0],
        seeds=2,
        epochs=2,
        max_seconds=1.0,
        fusion=["average"],
        output_dir=str(tmp_path / "out"),
    )
    before = ENCODER_CALLS["tiny/speech"]
    records = BenchmarkRunner(config, progress=False).run()
    n_clips = 48 + 18 + 18
    assert len(records) == 8  # (speech + multimodal) x 2 budgets x 2 seeds
    # every clip once across all budget x seed runs, although the multimodal config holds the same clips again
    assert sum(forwarded) == n_clips and ENCODER_CALLS["tiny/speech"] - before == n_clips
    speech_files = [p for p in (tmp_path / "out" / "cache").glob("*.safetensors") if '"speech"' in _parts(p)]
    assert len(speech_files) == 3 + 2  # speech train/validation/test + multimodal validation/test (fusion)
    # a second process-like run (fresh runner, same cache dir, new budgets) reads the cache: no encoder calls
    again = BenchmarkRunner(
        config.with_overrides(
            budgets=[0.1], seeds=1, output_dir=str(tmp_path / "out2"), cache_dir=str(tmp_path / "out" / "cache")
        ),
        progress=False,
    )
    again.run()
    assert sum(forwarded) == n_clips and again.cache.misses == 0 and again.cache.hits > 0


def _parts(path) -> str:
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as fh:
        return fh.metadata()["parts"]


def test_report_writes_tables_plot_and_confusions(finished, tmp_path):
    _, records = finished
    text = write_report(records, tmp_path)
    assert "| text | baseline:tfidf-logreg |" in text and "25%" in text and "100%" in text
    assert "### Per-class F1" in text and "### Most confused pairs" in text
    csv_lines = (tmp_path / "table.csv").read_text().splitlines()
    assert csv_lines[0].startswith("task,model,metric,n_seeds,25% mean,25% std,100% mean,100% std")
    assert len(csv_lines) == 1 + 10 * 3  # 10 task x model rows, 3 metrics
    assert (tmp_path / "macro_f1_vs_budget.png").stat().st_size > 10_000
    assert (tmp_path / "confusion" / "speech__tiny.png").is_file()
    assert len(list((tmp_path / "confusion").glob("*.png"))) == 10
    row = next(line for line in csv_lines if line.startswith("speech,baseline:mfcc-logreg,macro_f1"))
    values = [
        r["metrics"]["macro_f1"]
        for r in records
        if r["task"] == "speech" and r["model"] == "baseline:mfcc-logreg" and r["budget"] == 1.0
    ]
    assert float(row.split(",")[6]) == round(float(np.mean(values)), 4)
    json.loads(json.dumps(records))  # records stay plain JSON


def test_text_heads_for_fusion_never_train_on_multimodal_transcripts(finished):
    runner, records = finished
    mm = runner.splits("multimodal")
    text_train = runner.splits("text")["train"]
    # the fixture's transcripts reuse the text task's vocabulary, so some sentences coincide
    banned = {t.casefold() for t in mm["validation"].texts + mm["test"].texts}
    overlap = [i for i, t in zip(text_train.ids, text_train.texts) if t.casefold() in banned]
    rec = next(
        r for r in records if r["task"] == "multimodal" and r["model"] == "tiny (average)" and r["budget"] == 1.0
    )
    excluded = rec["selection"]["text"].get("excluded_overlap", {"train": 0})
    assert excluded["train"] == len(overlap)
    assert rec["extra"]["n_train_text"] == len(text_train) - len(overlap)


@pytest.mark.parametrize("mode", ["finetune", "lora"])
def test_finetune_mode_trains_one_tiny_run_with_the_trainer(corpus, tmp_path, mode):
    config = BenchmarkConfig(
        dataset=str(corpus),
        tasks=["speech"],
        models=["tiny", "baseline:mfcc-logreg"],
        encoder=mode,
        budgets=[1.0],
        seeds=1,
        epochs=1,
        max_seconds=1.0,
        learning_rate=1e-3,
        batch_size=16,
        output_dir=str(tmp_path),
    )
    records = BenchmarkRunner(config, progress=False).run()
    tiny = next(r for r in records if r["model"] == "tiny")
    assert tiny["selection"]["mode"] == mode and tiny["n_train"] == 48
    assert set(tiny["predictions"]) == set(BenchmarkRunner(config).splits("speech")["test"].ids)
    assert 0.0 <= tiny["metrics"]["macro_f1"] <= 1.0
    assert not any((tmp_path / "work").iterdir())  # the Trainer's epoch checkpoints are cleaned up
