"""Issue 9 (points 2, 3, 4 and part of 18): the leaderboard validator trusts nothing the submission says, push always
validates first, and malformed files fail with one line."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from unittest import mock

import pytest

from sentiv_hf.benchmark import build_submission, push_submission, validate_submission, write_submissions
from sentiv_hf.benchmark import submission as submission_module
from sentiv_hf.benchmark.tasks import headline_metric, ids_hash
from sentiv_hf.commands.submit import main as submit_main
from sentiv_hf.data.budgets import budget_indices
from sentiv_hf.data.loading import load_task_splits
from sentiv_hf.errors import UserError

from .fixtures import run_benchmark


@pytest.fixture(scope="module")
def submission(finished):
    _, records = finished
    return build_submission(records, "tiny")


@pytest.fixture(scope="module")
def written(finished, tmp_path_factory):
    """The benchmark's submission files, as `sentiv benchmark` writes them."""
    _, records = finished
    return write_submissions(records, tmp_path_factory.mktemp("written"))


def _entry(sub: dict, task: str) -> dict:
    return next(e for e in sub["entries"] if e["task"] == task)


def _run(entry: dict, budget: float, seed: int) -> dict:
    return next(r for r in entry["runs"] if r["budget"] == budget and r["seed"] == seed)


def _errors_of(report, fragment: str) -> list[str]:
    return [e for e in report.errors if fragment in e]


# --- 9.2: gold labels only from the leaderboard's dataset -------------------------------------------------------


def _attacker_folder(corpus: Path, root: Path) -> Path:
    """A dataset folder whose text gold labels are all 'Anger': what a submitter would point dataset_config at."""
    import datasets

    from sentiv_hf.data.hub import write_config

    splits = load_task_splits(str(corpus), "text")
    forged = {}
    for name, split in splits.items():
        forged[name] = split.dataset.map(lambda row: {"label": 0}, features=split.dataset.features)
        assert isinstance(forged[name], datasets.Dataset)
    write_config(root, "text", forged)
    return root / "text"


@pytest.mark.parametrize("form", ["absolute", "relative"])
def test_dataset_config_cannot_point_the_gold_labels_elsewhere(submission, corpus, tmp_path, form):
    """Issue 9.2: an entry's dataset_config of '/abs/folder' or '../../x' no longer selects the gold labels."""
    evil = _attacker_folder(corpus, tmp_path / "evil")
    claimed = str(evil) if form == "absolute" else os.path.relpath(evil, corpus)
    assert claimed.startswith("/") if form == "absolute" else claimed.startswith("../")
    bad = copy.deepcopy(submission)
    entry = _entry(bad, "text")
    entry["dataset_config"] = claimed
    for run in entry["runs"]:  # every prediction 'Anger', claimed perfect: VALID with macro-F1 1.0 before the fix
        run["predictions"] = {i: "Anger" for i in run["predictions"]}
        run["claimed_metrics"] = {"accuracy": 1.0, "macro_f1": 1.0, "weighted_f1": 1.0}
    report = validate_submission(bad, corpus)
    assert not report.ok
    where = "entries[0] (text, tiny)"
    assert _errors_of(report, f"{where}: dataset_config is {claimed!r} but the leaderboard fixes 'text'")
    assert _errors_of(report, f"{where} budget 1 seed 0: claimed macro_f1 = 1.0000 but the predictions give 0.0357")
    recomputed = [r for r in report.recomputed if r["task"] == "text"]
    assert len(recomputed) == 4 and all(r["metrics"]["accuracy"] == pytest.approx(1 / 7) for r in recomputed)


# --- 9.3: metadata fixed by task, training ids recomputed, claims required -----------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "fixed"),
    [
        ("dataset_config", "speech", "'text'"),
        ("split", "all", "'test'"),
        ("label_column", "labels", "'label'"),
        ("headline_metric", "weighted_f1", repr(headline_metric("text"))),
    ],
)
def test_entry_metadata_must_equal_the_leaderboard_protocol(submission, corpus, field, value, fixed):
    """Issue 9.3: split, label_column, dataset_config and headline_metric are compared with the task table, not
    trusted."""
    bad = copy.deepcopy(submission)
    _entry(bad, "text")[field] = value
    report = validate_submission(bad, corpus)
    assert _errors_of(report, f"entries[0] (text, tiny): {field} is {value!r} but the leaderboard fixes {fixed}")
    assert len(report.recomputed) == 5 * 2 * 2  # the gold labels still come from the fixed protocol


def test_budget_outside_the_protocol_and_unranked_task_are_errors(submission, corpus):
    """Issue 9.3: budgets are taken from the protocol's list, and cross_dataset (no fixed gold) is not ranked."""
    bad = copy.deepcopy(submission)
    entry = _entry(bad, "speech")
    entry["budgets"] = [0.3, 1.0]
    for run in entry["runs"]:
        if run["budget"] == 0.25:
            run["budget"] = 0.3
    _entry(bad, "text")["task"] = "cross_dataset"
    report = validate_submission(bad, corpus)
    assert _errors_of(report, "entries[1] (speech, tiny): budget 0.3 is not a leaderboard budget; use budgets from")
    assert _errors_of(
        report, "entries[0] (cross_dataset, tiny): task 'cross_dataset' is not ranked on the leaderboard"
    )


def _expected_training(corpus: Path, budget: float, seed: int) -> tuple[int, str]:
    """The text task's training ids drawn directly from data.budgets (independent of the validator)."""
    train = load_task_splits(str(corpus), "text")["train"]
    ids = [train.ids[i] for i in budget_indices(train.labels.tolist(), budget, seed)]
    return len(ids), ids_hash(ids)


def test_full_budget_relabelled_as_one_percent_with_a_fake_hash_is_rejected(submission, corpus):
    """Issue 9.3: a 100 % run relabelled as a 1 % budget with a fake train_ids_sha256 no longer passes."""
    bad = copy.deepcopy(submission)
    entry = _entry(bad, "text")
    entry["budgets"] = [0.01]
    entry["runs"] = [r for r in entry["runs"] if r["budget"] == 1.0]
    full_n = entry["runs"][0]["n_train"]
    for run in entry["runs"]:
        run["budget"] = 0.01
        run["train_ids_sha256"] = "0" * 64
    report = validate_submission(bad, corpus)
    for seed in (0, 1):
        n, digest = _expected_training(corpus, 0.01, seed)
        where = f"entries[0] (text, tiny) budget 0.01 seed {seed}"
        assert _errors_of(
            report, f"{where}: n_train is {full_n} but the leaderboard's 0.01 budget of seed {seed} has {n}"
        )
        assert _errors_of(
            report, f"{where}: train_ids_sha256 is {'0' * 64} but the leaderboard's 0.01 budget of seed "
        )
        assert _errors_of(report, f"hashes to {digest}")
    assert full_n == 56 and _expected_training(corpus, 0.01, 0)[0] == 1


def test_wrong_n_train_is_rejected_and_true_values_pass(submission, corpus):
    """Issue 9.3: n_train is checked against the recomputed budget (the real values of every task pass)."""
    n, digest = _expected_training(corpus, 0.25, 1)
    run = _run(_entry(submission, "text"), 0.25, 1)
    assert (run["n_train"], run["train_ids_sha256"]) == (n, digest)
    bad = copy.deepcopy(submission)
    _run(_entry(bad, "text"), 0.25, 1)["n_train"] = n + 1
    report = validate_submission(bad, corpus)
    assert report.errors == [
        f"entries[0] (text, tiny) budget 0.25 seed 1: n_train is {n + 1} but the leaderboard's 0.25 budget of seed 1 "
        f"has {n} training examples."
    ]


def test_claimed_metrics_are_required(submission, corpus):
    """Issue 9.3: deleting claimed_metrics (or the headline claim) is an error, not silence."""
    bad = copy.deepcopy(submission)
    del _run(_entry(bad, "speech"), 1.0, 0)["claimed_metrics"]
    report = validate_submission(bad, corpus)
    assert any(
        e.startswith("Schema: at entries/1/runs/2:") and "'claimed_metrics' is a required" in e for e in report.errors
    )
    bad = copy.deepcopy(submission)
    del _run(_entry(bad, "speech"), 1.0, 0)["claimed_metrics"]["macro_f1"]
    report = validate_submission(bad, corpus)
    assert report.errors == [
        "entries[1] (speech, tiny) budget 1 seed 0: claimed_metrics has no 'macro_f1' (the task's headline metric); "
        "add the value `sentiv benchmark` reported."
    ]


def test_chosen_seeds_are_flagged(submission, corpus):
    """Issue 9.3: seeds other than 0..n-1 get a warning (cherry-picked seeds inflate the mean)."""
    bad = copy.deepcopy(submission)
    entry = _entry(bad, "speech")
    entry["seeds"] = [0, 7]
    for run in entry["runs"]:
        run["seed"] = 7 if run["seed"] == 1 else 0
    report = validate_submission(bad, corpus)
    assert any("entries[1] (speech, tiny): seeds [0, 7] are not 0..1" in w for w in report.warnings)


def test_hotline_training_ids_are_drawn_like_the_benchmark(corpus, tmp_path):
    """Issue 9.3: the hotline draw (budgets inside speaker-grouped folds) is recomputed; the config comes from the
    maintainer's table, never from the entry."""
    _, records = run_benchmark(
        corpus,
        tmp_path / "out",
        tasks=["hotline_binary", "hotline_multilabel"],
        models=["baseline:mfcc-logreg"],
        configs={"hotline_binary": "hotline", "hotline_multilabel": "hotline"},
        budgets=[0.5, 1.0],
        seeds=1,
    )
    sub = build_submission(records, "baseline:mfcc-logreg")
    table = {"hotline_binary": "hotline", "hotline_multilabel": "hotline"}
    report = validate_submission(sub, corpus, task_configs=table)
    assert report.ok, report.errors
    assert {r["headline_metric"] for r in report.recomputed} == {headline_metric(t) for t in table}
    default = validate_submission(sub, corpus, task_configs={"hotline_multilabel": "hotline"})
    assert _errors_of(default, "entries[0] (hotline_binary, baseline:mfcc-logreg): dataset_config is 'hotline' but")
    bad = copy.deepcopy(sub)
    half = _run(_entry(bad, "hotline_multilabel"), 0.5, 0)
    half["train_ids_sha256"] = _run(_entry(bad, "hotline_multilabel"), 1.0, 0)["train_ids_sha256"]
    report = validate_submission(bad, corpus, task_configs=table)
    assert len(report.errors) == 1 and "budget 0.5 seed 0: train_ids_sha256 is" in report.errors[0]
    with pytest.raises(UserError, match="is not a plain config name"):
        validate_submission(sub, corpus, task_configs={"hotline_binary": "../evil"})


# --- 9.4: push always validates; push failures are one line -----------------------------------------------------


def test_push_without_validation_is_refused_and_never_uploads(written, corpus, tmp_path, capsys):
    """Issue 9.4: `submit --push` without --dataset, and push_submission without a passing report for these bytes,
    never reach the Hub."""
    path = written[0]
    fake = mock.MagicMock()
    with mock.patch("huggingface_hub.HfApi", fake):
        assert submit_main([str(path), "--push", "--repo-id", "org/lb"]) == 2
    assert capsys.readouterr().err == (
        "sentiv submit: --push validates the file first, so it needs --dataset DIR_OR_HUB_ID (the leaderboard's "
        "dataset with the gold labels).\n"
    )
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"schema_version": "1.0", "model": {"id": "x", "revision": None}, "entries": []}))
    with mock.patch("huggingface_hub.HfApi", fake):
        code = submit_main([str(empty), "--push", "--dataset", str(corpus), "--repo-id", "org/lb"])
    assert code == 1 and "Schema: at entries: [] should be non-empty" in capsys.readouterr().out
    fake.assert_not_called()

    api = mock.Mock()
    with pytest.raises(UserError, match="it was not validated"):
        push_submission(path, "org/lb", None, api=api)
    report = validate_submission(path, corpus)
    assert report.ok and report.sha256
    changed = tmp_path / "changed.json"
    changed.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(UserError, match="is not the file that was validated"):
        push_submission(changed, "org/lb", report, api=api)
    report.errors.append("anything")
    with pytest.raises(UserError, match=r"it is INVALID \(1 error\(s\)\)"):
        push_submission(path, "org/lb", report, api=api)
    api.upload_file.assert_not_called()


def test_push_failures_are_one_line_without_the_token(written, corpus, monkeypatch, capsys):
    """Issue 9.18: an HTTP refusal and offline mode each give one line; the --token never appears."""
    import httpx2
    from huggingface_hub import constants
    from huggingface_hub.errors import HfHubHTTPError

    token = "hf_SubmitSecret12345"
    response = httpx2.Response(401, request=httpx2.Request("POST", "https://huggingface.co/api/datasets/org/lb"))
    refused = HfHubHTTPError(f"401 Client Error. Authorization: Bearer {token} echoed", response=response)
    fake = mock.MagicMock()
    fake.return_value.upload_file.side_effect = refused
    argv = [str(written[0]), "--push", "--dataset", str(corpus), "--repo-id", "org/lb", "--token", token]
    with mock.patch("huggingface_hub.HfApi", fake):
        assert submit_main(argv) == 2
    out = capsys.readouterr()
    assert token not in out.out + out.err and out.out.startswith("Submission VALID")
    assert out.err.count("\n") == 1
    assert out.err.startswith(
        "sentiv submit: The Hub refused the push to leaderboard repo 'org/lb' (HTTP 401): 401 Client Error."
    )
    assert "run `hf auth login`" in out.err

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert submit_main(argv) == 2  # the real HfApi, which may not go online
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and token not in err
    assert err.startswith(
        "sentiv submit: Cannot push to leaderboard repo 'org/lb': offline mode is on (HF_HUB_OFFLINE=1)"
    )


def test_bare_config_flag_is_refused(written, corpus, capsys):
    """Issue 9.3: `--config speech` no longer overrides every entry's config; only maintainers' TASK=CONFIG."""
    assert submit_main([str(written[0]), "--validate", "--dataset", str(corpus), "--config", "speech"]) == 2
    assert "--config 'speech' must be TASK=CONFIG" in capsys.readouterr().err


# --- 9.18: malformed files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "is nested too deeply to be a submission"),
        (b'{"model": {"id": "caf\xe9"}}', "is not UTF-8 text (byte 0xe9 at offset 21); save it as UTF-8 JSON"),
        (b'{"model": ', "is not valid JSON (Expecting value: line 1 column 11 (char 10)); fix it or regenerate"),
    ],
    ids=["100000-deep", "latin-1", "truncated"],
)
def test_malformed_files_fail_with_one_line(corpus, tmp_path, capsys, content, message):
    """Issue 9.18: deep nesting, non-UTF-8 and non-JSON files give one line naming the file (exit 2)."""
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert submit_main([str(path), "--validate", "--dataset", str(corpus)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1
    assert out.err.startswith(f"sentiv submit: Submission {path} {message}")
    with pytest.raises(UserError, match="Submission"):
        validate_submission(path, corpus)


def test_oversize_file_is_rejected_before_reading(written, corpus, monkeypatch, capsys):
    """Issue 9.18: the size cap is checked with stat() before any byte is read."""
    path = written[0]
    monkeypatch.setattr(submission_module, "MAX_SUBMISSION_BYTES", 1024)

    def no_reading(self, *args, **kwargs):
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    monkeypatch.setattr(Path, "read_text", no_reading)
    assert submit_main([str(path), "--validate", "--dataset", str(corpus)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sentiv submit: Submission {path} is ") and err.count("\n") == 1
    assert err.endswith(
        "over the 1,024 bytes limit; a real SentiV submission is far smaller: submit one model family per file and "
        "regenerate it with `sentiv benchmark` (it writes OUTPUT_DIR/submission.json).\n"
    )


# --- no local paths; every written file returned ----------------------------------------------------------------


def test_written_submissions_hold_no_absolute_paths_and_all_are_returned(finished, written, corpus):
    """Issue 9: submissions name the dataset and models without local absolute paths; write_submissions returns
    every file it wrote."""
    out = written[0].parent
    on_disk = {out / "submission.json", *(out / "submissions").glob("*.json")}
    assert set(written) == on_disk and len(written) == 5
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert str(corpus) not in text and str(out) not in text and '"/' not in text
        assert json.loads(text)["dataset"]["id"] == corpus.name
    _, records = finished
    moved = [
        {**r, "model": r["model"].replace("tiny", "/home/me/ckpt"), "text_model": "/home/me/ckpt"} for r in records
    ]
    sub = build_submission(moved, "/home/me/ckpt")
    assert sub["model"]["id"] == "ckpt" and sub["model"]["components"]["text_model"] == "ckpt"
    assert {e["name"] for e in sub["entries"]} >= {"ckpt", "ckpt (average)"}
    assert "/home/me" not in json.dumps(sub)


def test_failed_write_leaves_previous_submissions_intact(finished, tmp_path):
    """Issue 9: a failure while building any family's submission leaves the files already there unchanged."""
    _, records = finished
    write_submissions(records, tmp_path)
    before = (tmp_path / "submission.json").read_bytes()
    broken = [*records, {**records[-1], "model": "other", "predictions": None, "n_train": None}]
    del broken[-1]["train_ids_sha256"]
    with pytest.raises(KeyError):
        write_submissions(broken, tmp_path)
    assert (tmp_path / "submission.json").read_bytes() == before
    assert not list(tmp_path.glob("**/.*.tmp*"))
