"""The hotline tasks' ``segment``, ``context`` and ``balanced`` variants, side by side on the same caller folds."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from sentiv_hf.benchmark.report import write_report
from sentiv_hf.benchmark.submission import build_submission
from sentiv_hf.benchmark.validation import validate_submission

from .fixtures import run_benchmark

CONFIGS = {"hotline_binary": "calls", "hotline_multilabel": "calls"}


@pytest.fixture(scope="module")
def variants(corpus, tmp_path_factory):
    runner, records = run_benchmark(
        corpus,
        tmp_path_factory.mktemp("variants"),
        tasks=["hotline_binary", "hotline_multilabel"],
        models=["tiny", "baseline:mfcc-logreg"],
        budgets=[0.5, 1.0],
        seeds=2,
        configs=CONFIGS,
        hotline_variants=["segment", "context", "balanced"],
    )
    write_report(records, runner.config.out_dir)
    return runner, records


def _by(records, task, model):
    return sorted(
        (r for r in records if r["task"] == task and r["model"] == model), key=lambda r: (r["budget"], r["seed"])
    )


def test_rows_per_variant_and_baselines_have_no_context(variants):
    runner, records = variants
    rows = {(r["task"], r["model"], r["variant"]) for r in records}
    for task in CONFIGS:
        assert {(m, v) for t, m, v in rows if t == task} == {
            ("tiny", "segment"),
            ("tiny (context)", "context"),
            ("tiny (balanced)", "balanced"),
            ("baseline:mfcc-logreg", "segment"),
            ("baseline:mfcc-logreg (balanced)", "balanced"),
        }
    assert len(records) == 2 * 5 * 2 * 2  # tasks x rows x budgets x seeds
    assert all(r["fusion"] is None for r in records)


def test_context_labels_the_segment_variants_ids_on_the_same_caller_folds(variants):
    _, records = variants
    for task in CONFIGS:
        for seg, ctx in zip(_by(records, task, "tiny"), _by(records, task, "tiny (context)")):
            assert (seg["budget"], seg["seed"]) == (ctx["budget"], ctx["seed"])
            assert seg["train_ids_sha256"] == ctx["train_ids_sha256"] and seg["n_train"] == ctx["n_train"]
            seg_folds, ctx_folds = seg["selection"]["folds"], ctx["selection"]["folds"]
            assert [f["n_test"] for f in seg_folds] == [f["n_test"] for f in ctx_folds]
            assert all(f["speaker_overlap"] == 0 for f in ctx_folds)
            assert all(f["mode"] == "context" for f in ctx_folds)
            assert set(ctx["predictions"]) == set(seg["predictions"])  # every segment of every call, once
            assert len(ctx["predictions"]) == 9 * 2 * 8


def test_balanced_variant_trains_on_equal_classes(variants, corpus):
    from datasets import concatenate_datasets, load_dataset

    _, records = variants
    ds = load_dataset(str(corpus), "calls")
    binary = dict(zip(*(concatenate_datasets(list(ds.values()))[c] for c in ("id", "binary_label"))))
    for seg, bal in zip(_by(records, "hotline_binary", "tiny"), _by(records, "hotline_binary", "tiny (balanced)")):
        assert bal["n_train"] < seg["n_train"]
        for fold in bal["selection"]["folds"]:
            assert fold["n_train"] % 2 == 0  # two classes, each downsampled to the rarer one
    fold_counts = [f["n_train"] for f in _by(records, "hotline_binary", "tiny (balanced)")[-1]["selection"]["folds"]]
    assert sum(fold_counts) >= 2 and len(binary) == 9 * 2 * 8


def test_table_shows_the_headlines_and_what_context_changed(variants):
    runner, _ = variants
    table = (runner.config.out_dir / "table.md").read_text()
    for title in ("### Negative-class F1", "### Weighted-F1", "### Macro-F1", "### Accuracy"):
        assert title in table, title
    section = table.split("### What context changed", 1)[1]
    assert "| hotline_binary | tiny (context) |" in section
    assert "| hotline_multilabel | tiny (context) |" in section
    assert "→" in section.splitlines()[4]


def test_variant_submissions_validate(variants, corpus):
    runner, records = variants
    submission = build_submission(records, "tiny")
    entries = {(e["task"], e["name"]): e for e in submission["entries"]}
    assert entries[("hotline_binary", "tiny (balanced)")]["variant"] == "balanced"
    assert entries[("hotline_binary", "tiny (context)")]["variant"] == "context"
    report = validate_submission(submission, corpus, task_configs=CONFIGS)
    assert report.ok, report.errors
    tampered = json.loads(json.dumps(submission))
    for entry in tampered["entries"]:
        if entry.get("variant") == "balanced":
            entry["variant"] = "segment"  # claims the full budget's ids
    report = validate_submission(tampered, corpus, task_configs=CONFIGS)
    assert not report.ok and any("train_ids_sha256" in e for e in report.errors)


def test_context_needs_call_columns(corpus, tmp_path, caplog):
    from sentiv_hf.benchmark import BenchmarkConfig, BenchmarkRunner

    config = BenchmarkConfig(
        dataset=str(corpus),
        output_dir=str(tmp_path / "out"),
        tasks=["hotline_binary"],
        models=["tiny"],
        configs={"hotline_binary": "hotline"},
        hotline_variants=["segment", "context"],
    )
    with caplog.at_level(logging.WARNING):
        plan = BenchmarkRunner(config, progress=False).plan()
    assert {spec.model for spec in plan} == {"tiny"}
    assert "no context variant for tiny: config 'hotline' has no ['call_id', 'segment_index'] columns" in caplog.text
    with pytest.raises(ValueError, match="'hotline_variants' must name some of"):
        BenchmarkConfig(hotline_variants=["window"])


def test_balanced_indices_downsample_to_the_rarest_class():
    from sentiv_hf.data.budgets import balanced_indices

    labels = [0] * 7 + [1] * 3 + [2] * 5
    picked = balanced_indices(labels, seed=1)
    assert np.bincount([labels[i] for i in picked]).tolist() == [3, 3, 3]
    assert picked.tolist() == sorted(picked.tolist())
    assert balanced_indices(labels, seed=1).tolist() == picked.tolist()


def test_call_segments_are_cropped_to_their_configs_length(corpus, tmp_path):
    from sentiv_hf.benchmark import BenchmarkConfig, BenchmarkRunner

    def crop(max_seconds):
        config = BenchmarkConfig(
            dataset=str(corpus),
            output_dir=str(tmp_path / "o"),
            tasks=["speech"],
            models=["tiny"],
            max_seconds=max_seconds,
        )
        runner = BenchmarkRunner(config, progress=False)
        return runner.splits("calls", label_column="binary_label")["train"].max_seconds, runner.splits("speech")[
            "train"
        ]

    recorded, speech = crop(1.0)
    assert recorded == 0.4  # the card's segments.calls.max_seconds
    assert speech.max_seconds is None  # other configs keep the run's default crop
    assert crop({"calls": 2.5, "default": 1.0})[0] == 2.5  # the config's own entry wins over the card
    with pytest.raises(ValueError, match="'max_seconds' must be seconds > 0"):
        BenchmarkConfig(max_seconds={"calls": 0})
