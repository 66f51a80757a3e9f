"""Fixtures shared by the benchmark tests: one small corpus (text/speech/multimodal + hotline + calls) per session,
and one finished benchmark over it that several tests read."""

from __future__ import annotations

import pytest

from .fixtures import make_calls, make_corpus, make_hotline, run_benchmark


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    make_corpus(root)
    make_hotline(root)
    make_calls(root)
    return root


@pytest.fixture(scope="session")
def finished(corpus, tmp_path_factory):
    """A small finished benchmark: text, speech and multimodal with tiny models and both baselines."""
    return run_benchmark(
        corpus,
        tmp_path_factory.mktemp("finished"),
        tasks=["text", "speech", "multimodal"],
        models=["tiny", "baseline:tfidf-logreg", "baseline:mfcc-logreg"],
        budgets=[0.25, 1.0],
        seeds=2,
    )
