from __future__ import annotations

import copy
import json

import datasets
import pytest

from sentiv_hf.benchmark.report import summarize
from sentiv_hf.benchmark.submission import read_submission
from sentiv_hf.commands.leaderboard import main as leaderboard_main
from sentiv_hf.leaderboard.board import NOT_SIGNIFICANT, Board
from sentiv_hf.leaderboard.results import build_results
from sentiv_hf.leaderboard.space import write_space


def test_results_dataset_loads_with_plain_datasets(board_data, board_submissions):
    records, files = board_submissions
    results = datasets.load_dataset(str(board_data))["train"]
    assert len(results) == len(records) == 16  # (tiny + 1 baseline) x 2 tasks x 2 budgets x 2 seeds
    by_key = {(r["task"], r["model"], r["budget"], r["seed"]): r for r in results}
    for rec in records:
        row = by_key[(rec["task"], rec["model"], float(rec["budget"]), rec["seed"])]
        assert row["macro_f1"] == pytest.approx(rec["metrics"]["macro_f1"], abs=1e-12)
        assert row["accuracy"] == pytest.approx(rec["metrics"]["accuracy"], abs=1e-12)
        assert row["headline"] == row["macro_f1"] and row["headline_metric"] == "macro_f1"
        assert sum(map(sum, row["confusion_matrix"])) == len(rec["predictions"]) if "predictions" in rec else True
    assert {r["submission"] for r in results} == {"tiny", "baseline_tfidf-logreg", "baseline_mfcc-logreg"}
    predictions = datasets.load_dataset(str(board_data), "predictions")["train"]
    text_test = 7 * 3  # 7 labels x 3 test examples per class
    speech_test = 6 * 3
    assert len(predictions) == 8 * text_test + 8 * speech_test
    first = predictions[0]
    assert isinstance(first["prediction"], list) and len(first["gold"]) == 1
    info = json.loads((board_data / "board.json").read_text())
    assert info["n_resamples"] == 200 and info["tasks"] == ["text", "speech"] and info["budgets"] == [0.5, 1.0]
    assert json.loads((board_data / "refused.json").read_text()) == []
    card = (board_data / "README.md").read_text()
    assert "config_name: predictions" in card and "default: true" in card


def test_summary_matches_the_benchmark_table_and_is_ranked(board_data, board_submissions):
    records, _ = board_submissions
    table = summarize(records, "macro_f1")
    board = Board.load(board_data)
    for row in board.summary.itertuples():
        mean, std, n = table[(row.task, row.model)][row.budget]
        assert (row.mean, row.std, row.n_seeds) == (pytest.approx(mean), pytest.approx(std), n)
    ranking = board.ranking("text", 1.0)
    means = [float(v.split(" ± ")[0]) for v in ranking["macro_f1 (mean ± std)"]]
    assert means == sorted(means, reverse=True) and len(ranking) == 2
    tests = board.significance
    assert len(tests) == 4  # one pair per task and budget
    assert set(tests["n_resamples"]) == {200}
    for t in tests.itertuples():
        mark = ranking_mark = board.ranking(t.task, t.budget).set_index("model").loc[t.model, "rank"]
        assert ranking_mark.endswith(NOT_SIGNIFICANT) == (not t.significant), mark
        assert t.ci_low <= t.difference <= t.ci_high


def test_refused_submissions_are_listed_with_reasons(board_corpus, board_submissions, tmp_path, capsys):
    _, files = board_submissions
    document, _ = read_submission(files[-1])
    bad = copy.deepcopy(document)
    run = bad["entries"][0]["runs"][0]
    run["claimed_metrics"]["macro_f1"] -= 0.25
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(bad))
    out = tmp_path / "lb-with-refusals"  # datasets caches a local folder by its name: keep it unique
    code = leaderboard_main(
        ["build", str(files[-1]), str(tampered), str(files[-1]), "--out", str(out), "--dataset", str(board_corpus)]
        + ["--resamples", "20"]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert f"REFUSED {tampered}" in printed and "claimed macro_f1" in printed
    refused = json.loads((out / "refused.json").read_text())
    assert [r["file"] for r in refused] == [str(tampered), str(files[-1])]
    assert any("but the predictions give" in reason for reason in refused[0]["reasons"])
    assert refused[1]["reasons"] == [f"the same file as {files[-1]}; it is ranked once."]
    assert len(datasets.load_dataset(str(out))["train"]) == 8


def test_nothing_accepted_is_a_one_line_error(board_corpus, tmp_path, capsys):
    missing = tmp_path / "nope.json"
    code = leaderboard_main(["build", str(missing), "--out", str(tmp_path / "lb"), "--dataset", str(board_corpus)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("sentiv leaderboard: No submission was accepted") and str(missing) in err
    assert not (tmp_path / "lb").exists()


def test_space_folder(board_data, tmp_path, capsys):
    out = write_space(board_data, tmp_path / "space", dataset="org/sentiv")
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "app.py", "lb-data", "requirements.txt"]
    readme = (out / "README.md").read_text()
    assert readme.startswith('---\ntitle: "SentiV leaderboard"\n') and 'sdk: "gradio"' in readme
    assert 'sdk_version: "6.31.0"' in readme and 'app_file: "app.py"' in readme
    assert (out / "requirements.txt").read_text() == "sentiv-hf[leaderboard]==0.1.0\n"
    app = (out / "app.py").read_text()
    assert "build_app('lb-data', dataset='org/sentiv', task_configs=None)" in app
    assert Board.load(out / "lb-data").info == Board.load(board_data).info
    code = leaderboard_main(["space", "--data", str(board_data), "--out", str(tmp_path / "s2"), "--push"])
    assert code == 2 and "--push needs --repo-id" in capsys.readouterr().err
    code = leaderboard_main(
        ["space", "--data", str(board_data), "--out", str(tmp_path / "s3"), "--push", "--repo-id", "org/board"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "offline mode is on" in err and "org/board" in err


def test_serve_refuses_a_folder_that_is_not_a_board(tmp_path, capsys):
    code = leaderboard_main(["serve", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and f"{tmp_path} is not a leaderboard data folder" in err
    assert "sentiv leaderboard build SUBMISSIONS... --out DIR" in err


def test_build_results_is_reproducible(board_corpus, board_submissions, board_data, tmp_path):
    _, files = board_submissions
    again = tmp_path / "again"
    build_results(files, again, dataset=board_corpus, n_resamples=200)
    first = Board.load(board_data).significance
    assert first.equals(Board.load(again).significance)
