"""One small finished benchmark (text and speech; a tiny model and the two baselines; 2 budgets x 2 seeds) and the
results dataset built from its submissions, shared by the leaderboard tests."""

from __future__ import annotations

import pytest

from tests.benchmark.fixtures import make_corpus, run_benchmark


@pytest.fixture(scope="session")
def board_corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("lb-corpus"))


@pytest.fixture(scope="session")
def board_submissions(board_corpus, tmp_path_factory):
    """``(records, [submission files])`` of the small benchmark (``submissions/*.json``, one per model)."""
    from sentiv_hf.benchmark import write_submissions

    out = tmp_path_factory.mktemp("lb-bench")
    _, records = run_benchmark(
        board_corpus,
        out,
        tasks=["text", "speech"],
        models=["tiny", "baseline:tfidf-logreg", "baseline:mfcc-logreg"],
        budgets=[0.5, 1.0],
        seeds=2,
    )
    write_submissions(records, out)
    return records, sorted((out / "submissions").glob("*.json"))


@pytest.fixture(scope="session")
def board_data(board_corpus, board_submissions, tmp_path_factory):
    """The results dataset folder built from every submission (200 bootstrap resamples)."""
    from sentiv_hf.leaderboard.results import build_results

    out = tmp_path_factory.mktemp("lb") / "lb-data"
    build_results(board_submissions[1], out, dataset=board_corpus, n_resamples=200)
    return out
