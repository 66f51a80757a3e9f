"""Issue 9, the benchmark side of "Hardening": one process and one dataset per output folder, the hotline binary
headline (F1 of the negative class), one-class hotline data, offline checkpoint ids and bad ``--models`` entries as
one line, and reports that name the dataset, test sizes, chance levels and the seeds behind ``±``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from sentiv_hf.benchmark import BenchmarkConfig, BenchmarkRunner
from sentiv_hf.benchmark.output import OutputLock
from sentiv_hf.benchmark.tasks import HEADLINE
from sentiv_hf.commands.benchmark import build_parser, load_config, main
from sentiv_hf.data.loading import load_task_splits

from .fixtures import make_corpus, make_hotline, run_benchmark

ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def _config_file(path: Path, corpus: Path, **fields) -> Path:
    """A small benchmark config: TF-IDF on the text task, one budget, one seed (a few seconds)."""
    values = {"dataset": str(corpus), "tasks": ["text"], "models": ["baseline:tfidf-logreg"], "budgets": [1.0]}
    values |= {"seeds": 1, **fields}
    path.write_text(json.dumps(values), encoding="utf-8")  # JSON is YAML
    return path


def _lines(out: Path) -> list[dict]:
    path = out / "results.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


# --- 9. one process per output folder ------------------------------------------------------------------------------


def test_second_process_on_a_locked_folder_exits_2_and_a_killed_holder_frees_it(corpus, tmp_path, capsys):
    """Issue 9.9: a second `sentiv benchmark` on a folder in use stops with one line naming the folder, the holder and
    the fix; the OS lock of a SIGKILLed holder is gone, so the next run proceeds."""
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom sentiv_hf.benchmark.output import OutputLock\n"
            "lock = OutputLock(sys.argv[1])\nlock.acquire()\nprint('locked', flush=True)\nsys.stdin.readline()\n",
            str(out),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        args = ["--config", str(_config_file(tmp_path / "b.yaml", corpus)), "--output_dir", str(out), "--no-progress"]
        assert main(args) == 2
        err = _one_line_error(capsys)
        assert err.startswith(f"sentiv benchmark: Output folder {out} is in use by another `sentiv benchmark` (pid ")
        assert f"pid {holder.pid} on " in err and "wait for it to finish, or pass another --output_dir" in err
        assert _lines(out) == []  # nothing ran
    finally:
        holder.kill()  # SIGKILL: no clean-up code runs in the holder
        holder.wait()
    assert (out / ".lock").is_file()  # the file stays; the kernel dropped the lock with its holder
    assert main(args) == 0
    assert len(_lines(out)) == 1


def test_two_concurrent_benchmark_processes_never_duplicate_a_run(corpus, tmp_path):
    """Issue 9.9: two real `sentiv benchmark` processes on one folder store each run once (before the lock: every
    run twice). Whichever starts second is refused (exit 2) or, if the first has finished, resumes with nothing
    to do (exit 0)."""
    config = _config_file(tmp_path / "b.yaml", corpus, budgets=[0.5, 1.0], seeds=2)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sentiv_hf.cli", "benchmark", "--config", str(config), "--output_dir", str(out)]
    procs = [
        subprocess.Popen(
            [*command, "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, text=True
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    if codes == [0, 2]:
        refused = next(err for code, err in results if code == 2)
        assert f"Output folder {out} is in use by another `sentiv benchmark`" in refused
    keys = [r["run_key"] for r in _lines(out)]
    assert len(keys) == 4 and len(set(keys)) == 4  # 2 budgets x 2 seeds, each once


# --- 10. one dataset per output folder ----------------------------------------------------------------------------


def test_a_second_dataset_in_one_output_folder_is_refused(corpus, tmp_path, capsys):
    """Issue 9.10: results of another dataset, or of the same folder after its data changed, never join a folder's
    results; the error names both datasets and the fix."""
    other = make_corpus(tmp_path / "other-corpus", per_class={"train": 4, "validation": 2, "test": 2}, seed=1)
    out = tmp_path / "out"
    first = ["--config", str(_config_file(tmp_path / "a.yaml", corpus)), "--output_dir", str(out), "--no-progress"]
    assert main(first) == 0
    manifest = json.loads((out / "dataset.json").read_text())
    assert manifest["name"] == corpus.name and set(manifest["fingerprints"]) == {"text"}
    before = (out / "results.jsonl").read_bytes()
    capsys.readouterr()

    second = ["--config", str(_config_file(tmp_path / "b.yaml", other)), "--output_dir", str(out), "--no-progress"]
    assert main(second) == 2
    err = _one_line_error(capsys)
    assert f"{out} holds benchmark results of dataset '{corpus.name}', not 'other-corpus'" in err
    assert "use one --output_dir per dataset, e.g. --output_dir sentiv-benchmark-other-corpus" in err
    assert (out / "results.jsonl").read_bytes() == before

    # a folder written before manifests existed: its results lines tell the dataset
    (out / "dataset.json").unlink()
    assert main(second) == 2
    assert f"holds benchmark results of dataset '{corpus.name}', not 'other-corpus'" in _one_line_error(capsys)

    # the same folder path with other data: the fingerprint differs
    moved = tmp_path / "moving"
    shutil.copytree(corpus, moved)
    run_in_moved = ["--config", str(_config_file(tmp_path / "c.yaml", moved)), "--output_dir", str(tmp_path / "m")]
    assert main([*run_in_moved, "--no-progress"]) == 0
    shutil.rmtree(moved)
    make_corpus(moved, per_class={"train": 4, "validation": 2, "test": 2}, seed=2)
    capsys.readouterr()
    assert main([*run_in_moved, "--no-progress"]) == 2
    err = _one_line_error(capsys)
    assert "holds benchmark results of dataset 'moving' whose config(s) ['text'] have changed since" in err


def test_dataset_flag_without_output_dir_gets_its_own_folder(corpus):
    """Issue 9.10: the README's `sentiv benchmark --tasks text ... --dataset sentiv-data` no longer writes into the
    demo's sentiv-demo-output."""
    parse = build_parser().parse_args
    readme = load_config(parse(["--tasks", "text", "--models", "baseline:tfidf-logreg", "--dataset", "sentiv-data"]))
    assert readme.output_dir == "sentiv-benchmark-sentiv-data"
    assert load_config(parse(["--dataset", str(corpus)])).output_dir == f"sentiv-benchmark-{corpus.name}"
    assert load_config(parse(["--dataset", "org/SentiV"])).output_dir == "sentiv-benchmark-org_SentiV"
    assert load_config(parse(["--dataset", "sentiv-data", "--output_dir", "mine"])).output_dir == "mine"
    assert load_config(parse([])).output_dir == "sentiv-demo-output"  # the demo keeps its folder


# --- 12. hotline binary headline: F1 of the negative class; reports name dataset, sizes, chance, seeds -----------


@pytest.fixture(scope="module")
def hotline_cli(corpus, tmp_path_factory):
    """`sentiv benchmark` on both hotline tasks (MFCC baseline, 2 seeds), with its stdout."""
    root = tmp_path_factory.mktemp("hotline-cli")
    config = _config_file(
        root / "h.yaml",
        corpus,
        tasks=["hotline_binary", "hotline_multilabel"],
        models=["baseline:mfcc-logreg"],
        configs={"hotline_binary": "hotline", "hotline_multilabel": "hotline"},
        hotline_folds=5,
        seeds=2,
        max_seconds=1.0,
    )
    out = root / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "sentiv_hf.cli", "benchmark", "--config", str(config), "--output_dir", str(out)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, _lines(out), proc.stdout


def test_hotline_binary_headline_is_the_f1_of_the_negative_class(hotline_cli, corpus):
    """Issue 9.12: `f1_negative` (sklearn's F1 of the class named "negative") is the hotline binary headline, for
    model selection and reporting; the multi-label task keeps weighted-F1 (the metric itself:
    tests/metrics/test_metrics.py::test_f1_negative_is_the_per_class_f1_of_the_negative_label)."""
    assert HEADLINE == {"hotline_binary": "f1_negative", "hotline_multilabel": "weighted_f1"}
    _, records, _ = hotline_cli
    splits = load_task_splits(str(corpus), "hotline", label_column="binary_label")
    gold = {i: int(v) for s in splits.values() for i, v in zip(s.ids, s.labels)}
    binary = [r for r in records if r["task"] == "hotline_binary"]
    assert len(binary) == 2
    for record in binary:
        assert record["headline_metric"] == "f1_negative" and record["class_warnings"] == []
        names = record["label_names"]
        ids = sorted(record["predictions"])
        predicted = [names.index(record["predictions"][i]) for i in ids]
        expected = f1_score([gold[i] for i in ids], predicted, pos_label=names.index("negative"))
        assert record["metrics"]["f1_negative"] == pytest.approx(expected)
        assert {fold["selection_metric"] for fold in record["selection"]["folds"]} == {"f1_negative"}
    multi = [r for r in records if r["task"] == "hotline_multilabel"]
    assert {r["headline_metric"] for r in multi} == {"weighted_f1"}
    assert {f["selection_metric"] for r in multi for f in r["selection"]["folds"]} == {"weighted_f1"}


def test_report_header_plots_and_printed_files_name_what_they_show(hotline_cli, corpus):
    """Issue 9 (reports): table.md names the dataset (not its path), each task's test set, size, headline metric and
    chance level, and the seeds behind ±; each plot is named after the headline metric it shows; the command prints
    the plot files and every submission file."""
    out, records, stdout = hotline_cli
    table = (out / "table.md").read_text()
    assert str(corpus) not in table
    assert f"Dataset: `{corpus.name}`. Every cell is the mean ± std over 2 seed(s)" in table
    gold = load_task_splits(str(corpus), "hotline", label_column="binary_label")
    binary = np.concatenate([gold[s].labels for s in ("train", "validation", "test")])
    chance = f1_score(binary, np.ones_like(binary))  # always "negative"
    assert (
        f"| hotline_binary | {corpus.name} hotline, all splits (5-fold CV) | 40 | Negative-class F1 | {chance:.3f} |"
        in table
    )
    multi = load_task_splits(str(corpus), "hotline", label_column="labels")
    labels = np.concatenate([multi[s].labels for s in ("train", "validation", "test")])
    every_label = f1_score(labels, np.ones_like(labels), average="weighted", zero_division=0)
    assert f"| hotline_multilabel | {corpus.name} hotline, all splits (5-fold CV) | 40 | Weighted-F1 | " in table
    assert f" | Weighted-F1 | {every_label:.3f} |" in table
    assert "### Negative-class F1" in table and "| hotline_binary * | baseline:mfcc-logreg |" in table

    assert {p.name for p in out.glob("*.png")} == {"f1_negative_vs_budget.png", "weighted_f1_vs_budget.png"}
    assert "table.csv, f1_negative_vs_budget.png, weighted_f1_vs_budget.png, confusion/" in stdout
    assert (
        f"Submission files: {out / 'submission.json'}, {out / 'submissions' / 'baseline_mfcc-logreg.json'}" in stdout
    )
    card = (out / "model_cards" / "baseline_mfcc-logreg.md").read_text()
    assert str(corpus) not in card and f"\n      type: {corpus.name}\n" in card  # model-index dataset type
    assert "f1_negative baseline:mfcc-logreg @ 100%" in card


def test_text_report_states_the_majority_chance_and_checkpoint_cards_have_no_local_path(corpus, tmp_path):
    """Issue 9 (reports, cards): the text task's chance is the macro-F1 of always predicting one class, and a saved
    checkpoint's card names the dataset folder, not its absolute path."""
    from sentiv_hf.benchmark.report import write_report

    runner = BenchmarkRunner(
        BenchmarkConfig(
            dataset=str(corpus),
            tasks=["text"],
            models=["tiny"],
            budgets=[1.0],
            seeds=1,
            epochs=2,
            output_dir=str(tmp_path),
        ),
        progress=False,
        save_models=True,
    )
    (record,) = runner.run()
    write_report([record], tmp_path)
    test = load_task_splits(str(corpus), "text")["test"].labels
    chance = max(f1_score(test, np.full_like(test, k), average="macro") for k in range(7))
    assert f"| text | {corpus.name} text/test | 21 | Macro-F1 | {chance:.3f} |" in (tmp_path / "table.md").read_text()
    card = (tmp_path / record["checkpoint"] / "README.md").read_text()
    assert str(corpus) not in card
    dataset_row = next(line for line in card.splitlines() if line.startswith("| Dataset |"))
    assert corpus.name in dataset_row and "config `text`" in dataset_row


# --- 13. one-class hotline binary data ---------------------------------------------------------------------------


def test_one_class_hotline_binary_is_warned_flagged_and_marked(tmp_path, caplog):
    """Issue 9.13: a hotline set whose calls are all negative makes the binary task one-class; the benchmark warns
    with the counts and the fix, flags each record, and no table shows its 1.000 without the † mark."""
    from sentiv_hf.benchmark.report import write_report

    corpus = make_hotline(tmp_path / "all-negative", all_negative=True)
    with caplog.at_level("WARNING", logger="sentiv_hf.benchmark.runner"):
        _, records = run_benchmark(
            corpus,
            tmp_path / "out",
            tasks=["hotline_binary"],
            models=["baseline:mfcc-logreg"],
            configs={"hotline_binary": "hotline"},
            budgets=[1.0],
            seeds=1,
        )
    (warning,) = [r.getMessage() for r in caplog.records if "empty class" in r.getMessage()]
    assert "hotline_binary on dataset all-negative (config 'hotline')" in warning
    assert "all 40 examples: 0 non-negative, 40 negative" in warning and "--negative_labels" in warning
    (record,) = records
    assert record["class_warnings"] == ["all 40 examples: 0 non-negative, 40 negative"]
    assert record["metrics"]["f1_negative"] == 1.0 and record["test_class_counts"] == [0, 40]
    write_report(records, tmp_path / "out")
    table = (tmp_path / "out" / "table.md").read_text()
    scores = [line for line in table.splitlines() if line.startswith("| hotline_binary") and "mfcc" in line]
    assert len(scores) == 4 and all(line.endswith("1.000 ± 0.000 † |") for line in scores)
    assert "| hotline_binary † | all-negative hotline, all splits (5-fold CV) | 40 |" in table
    assert "† a class is empty in the task's data (hotline_binary: all 40 examples" in table


def test_hotline_with_both_classes_in_every_fold_has_no_warning(corpus):
    """Issue 9.13: the check only fires on an empty class; a per-split empty class is named on its own."""
    from sentiv_hf.benchmark.tasks import hotline_class_warnings

    splits = load_task_splits(str(corpus), "hotline", label_column="binary_label")
    assert hotline_class_warnings(splits, 5) == []
    test = splits["test"]
    only_negative = np.ones_like(test.labels)
    splits["test"] = type(test)(
        test.name, test.ids, only_negative, test.label_names, test.dataset, test.fingerprint, test.multi_label
    )
    assert hotline_class_warnings(splits, 5)[0] == "test split: 0 non-negative, 8 negative"


# --- 19. offline checkpoint ids and bad --models entries ---------------------------------------------------------


def test_offline_prefixed_checkpoint_is_one_line_naming_the_network(tmp_path, capsys):
    """Issue 9.19: `text:org/nomodel` offline never asks for the config to guess the modality; the Hub failure is
    one line that names offline mode, without "write it as"."""
    argv = ["--tasks", "text", "--models", "text:org/nomodel", "--budgets", "1.0", "--seeds", "1"]
    assert main([*argv, "--output_dir", str(tmp_path), "--no-progress"]) == 2
    err = _one_line_error(capsys)
    assert err.startswith("sentiv benchmark: Cannot fetch model 'org/nomodel': offline mode is on (HF_HUB_OFFLINE=1)")
    assert "write it as" not in err.lower() and "Cannot read the config" not in err


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("nosuchkind:x", "Unknown model kind 'nosuchkind' in --models entry 'nosuchkind:x'; valid models: tiny, "),
        ("baseline:tfidf", "Unknown baseline 'baseline:tfidf' in --models; valid models: tiny, "),
        ("tinny", "Cannot fetch the config of model 'tinny': offline mode is on"),
    ],
)
def test_bad_models_entry_is_one_line_with_the_valid_kinds(entry, expected, tmp_path, capsys):
    """Issue 9.19: a bad or misspelt --models entry exits 2 with one line listing the valid models."""
    assert main(["--tasks", "text", "--models", entry, "--output_dir", str(tmp_path), "--no-progress"]) == 2
    err = _one_line_error(capsys)
    assert expected in err
    assert "baseline:tfidf-logreg, baseline:mfcc-logreg, text:<checkpoint id or folder>" in err
    assert not (tmp_path / "results.jsonl").exists()


def test_output_lock_is_reentrant_in_one_process(tmp_path):
    """Issue 9.9: the command holds the lock around the runner's own use of it (reports under the same lock)."""
    lock = OutputLock(tmp_path)
    with lock, lock:
        assert lock.is_locked
    assert not lock.is_locked
    with OutputLock(tmp_path):  # free again for a new holder
        pass
