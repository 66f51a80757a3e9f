from __future__ import annotations

import copy
import json
from unittest import mock

import pytest

from sentiv_hf.benchmark import build_submission, push_submission, validate_submission, write_submissions
from sentiv_hf.benchmark.submission import load_schema
from sentiv_hf.commands.submit import main as submit_main


@pytest.fixture(scope="module")
def submission(finished):
    _, records = finished
    return build_submission(records, "tiny")


def test_built_submission_is_valid_and_recomputed(submission, corpus):
    assert {e["name"] for e in submission["entries"]} == {
        "tiny",
        "tiny (average)",
        "tiny (concat_mlp)",
        "tiny (uncertainty)",
    }
    assert submission["model"]["id"] == "tiny" and submission["model"]["revision"] is None
    assert submission["model"]["components"] == {"text_model": "tiny", "speech_model": "tiny"}
    report = validate_submission(submission, corpus)
    assert report.ok, report.errors
    assert len(report.recomputed) == 5 * 2 * 2  # text, speech, 3 fusions x 2 budgets x 2 seeds
    assert "Submission VALID" in str(report)


def _first_run(sub, task="speech"):
    entry = next(e for e in sub["entries"] if e["task"] == task)
    return entry, entry["runs"][0]


def test_wrong_claimed_metric_is_reported(submission, corpus):
    bad = copy.deepcopy(submission)
    _, run = _first_run(bad)
    run["claimed_metrics"]["macro_f1"] = run["claimed_metrics"]["macro_f1"] - 0.25
    report = validate_submission(bad, corpus)
    assert not report.ok
    assert any("claimed macro_f1" in e and "but the predictions give" in e for e in report.errors)


def test_missing_id_is_reported(submission, corpus):
    bad = copy.deepcopy(submission)
    _, run = _first_run(bad)
    gone = sorted(run["predictions"])[0]
    del run["predictions"][gone]
    report = validate_submission(bad, corpus)
    assert any("1 test id(s) have no prediction" in e and gone in e for e in report.errors)


def test_duplicated_id_is_caught_while_parsing(submission, corpus, tmp_path):
    text = json.dumps(submission)
    entry, run = _first_run(submission)
    some_id = sorted(run["predictions"])[0]
    # inject the same key twice into the first speech run's predictions
    needle = json.dumps({some_id: run["predictions"][some_id]})[1:-1]
    assert text.count(needle) >= 1
    pos = text.index(needle, text.index('"task": "speech"'))
    text = text[:pos] + needle + ", " + text[pos:]
    path = tmp_path / "dup.json"
    path.write_text(text)
    report = validate_submission(path, corpus)
    assert any(f"id {some_id!r} is predicted more than once" in e for e in report.errors)


def test_unknown_label_and_unknown_id_are_reported(submission, corpus):
    bad = copy.deepcopy(submission)
    _, run = _first_run(bad)
    first = sorted(run["predictions"])[0]
    run["predictions"][first] = "Disgust"  # not a speech label
    run["predictions"]["speech-test-Nope-0"] = "Anger"
    report = validate_submission(bad, corpus)
    assert any("unknown label(s) ['Disgust']" in e for e in report.errors)
    assert any("1 id(s) are not in the gold test split" in e for e in report.errors)


def test_schema_errors_and_missing_runs(submission, corpus):
    bad = copy.deepcopy(submission)
    del bad["model"]["revision"]
    report = validate_submission(bad, corpus)
    assert any(e.startswith("Schema: at model:") and "'revision' is a required property" in e for e in report.errors)
    bad = copy.deepcopy(submission)
    entry, _ = _first_run(bad)
    entry["runs"] = entry["runs"][1:]
    report = validate_submission(bad, corpus)
    assert any("no run for budget 0.25 seed 0" in e for e in report.errors)
    assert load_schema()["properties"]["schema_version"] == {"const": "1.0"}


def test_submit_cli_validates_and_pushes_with_a_mocked_hub(finished, corpus, tmp_path, capsys):
    _, records = finished
    paths = write_submissions(records, tmp_path)
    assert paths[0].name == "submission.json" and json.loads(paths[0].read_text())["model"]["id"] == "tiny"
    assert {p.name for p in paths[1:]} == {
        "tiny.json",
        "baseline_tfidf-logreg.json",
        "baseline_mfcc-logreg.json",
        "baseline_tfidf+mfcc.json",
    }
    fake = mock.MagicMock()
    fake.return_value.upload_file.return_value = mock.Mock(pr_url="https://hf.co/datasets/org/lb/discussions/1")
    with mock.patch("huggingface_hub.HfApi", fake):
        code = submit_main([str(paths[0]), "--validate", "--dataset", str(corpus), "--push", "--repo-id", "org/lb"])
    assert code == 0
    kwargs = fake.return_value.upload_file.call_args.kwargs
    assert kwargs["repo_id"] == "org/lb" and kwargs["repo_type"] == "dataset" and kwargs["create_pr"] is True
    assert kwargs["path_in_repo"].startswith("submissions/tiny/") and kwargs["path_in_repo"].endswith(".json")
    assert "discussions/1" in capsys.readouterr().out

    bad = json.loads(paths[0].read_text())
    bad["entries"][0]["runs"][0]["claimed_metrics"]["accuracy"] = 0.0001
    bad_path = tmp_path / "bad.json"
    bad_path.write_text(json.dumps(bad))
    with mock.patch("huggingface_hub.HfApi", fake):
        code = submit_main([str(bad_path), "--validate", "--dataset", str(corpus), "--push", "--repo-id", "org/lb"])
    assert code == 1 and fake.return_value.upload_file.call_count == 1  # invalid: not pushed
    assert submit_main([str(bad_path), "--push"]) == 2  # no --repo-id


def test_push_submission_uses_the_given_api(finished, corpus, tmp_path):
    _, records = finished
    path = write_submissions(records, tmp_path)[0]
    report = validate_submission(path, corpus)
    api = mock.Mock()
    push_submission(path, "org/leaderboard", report, api=api)
    kwargs = api.upload_file.call_args.kwargs
    assert kwargs["path_in_repo"].startswith("submissions/tiny/") and kwargs["create_pr"] is True
    assert kwargs["path_or_fileobj"] == path.read_bytes()  # the validated bytes
    assert kwargs["commit_message"] == "Submission: tiny (multimodal, speech, text)"


def test_model_cards_carry_the_results_as_model_index(finished, tmp_path):
    from huggingface_hub import ModelCard

    from sentiv_hf.benchmark.cards import write_model_cards

    _, records = finished
    paths = write_model_cards(records, tmp_path)
    assert {p.name for p in paths} == {
        "tiny.md",
        "baseline_tfidf-logreg.md",
        "baseline_mfcc-logreg.md",
        "baseline_tfidf+mfcc.md",
    }
    card = ModelCard.load(tmp_path / "model_cards" / "baseline_mfcc-logreg.md")
    results = card.data.eval_results
    assert len(results) == 3 * 2  # 3 metrics x 2 budgets, one task row
    top = next(r for r in results if r.metric_name.startswith("macro_f1") and "@ 100%" in r.metric_name)
    values = [r["metrics"]["macro_f1"] for r in records if r["model"] == "baseline:mfcc-logreg" and r["budget"] == 1.0]
    assert top.metric_value == pytest.approx(sum(values) / len(values), abs=1e-4)
    assert top.dataset_config == "speech" and top.task_type == "audio-classification"
