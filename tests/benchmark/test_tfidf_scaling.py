"""Issue 12: the TF-IDF baseline fits its vectoriser once per (budget, seed), then selects ``C`` on validation only."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from sentiv_hf.benchmark import baselines, learners
from sentiv_hf.benchmark.baselines import C_GRID, build_tfidf_logreg, fit_select_c
from sentiv_hf.benchmark.kinds import parse_model
from sentiv_hf.benchmark.learners import FitRequest, fit_baseline
from sentiv_hf.data.loading import load_task_splits

from .fixtures import run_benchmark


@pytest.fixture()
def count_vectoriser_fits(monkeypatch):
    """Replace the baselines' `TfidfVectorizer` by a subclass that records each fit (its analyzer)."""
    fits: list[str] = []

    class CountingVectorizer(TfidfVectorizer):
        def fit(self, raw_documents, y=None):
            fits.append(self.analyzer)
            return super().fit(raw_documents, y)

        def fit_transform(self, raw_documents, y=None):
            fits.append(self.analyzer)
            return super().fit_transform(raw_documents, y)

    monkeypatch.setattr(baselines, "TfidfVectorizer", CountingVectorizer)
    return fits


def _request(corpus, seed: int = 0) -> tuple[FitRequest, dict]:
    """A fit on every training row, selecting on the even validation rows only."""
    splits = load_task_splits(str(corpus), "text")
    train, val = splits["train"], splits["validation"]
    val_idx = np.arange(0, len(val), 2)
    model = parse_model("baseline:tfidf-logreg")
    return FitRequest(model, "text", train, np.arange(len(train)), val, val_idx, seed=seed), splits


def test_vectoriser_is_fitted_once_per_fit(corpus, count_vectoriser_fits):
    """Issue 12: one fit of the word and of the char vectoriser per fit, not one per ``C``."""
    request, _ = _request(corpus)
    fitted = fit_baseline(request, lambda split: split.texts)
    assert fitted.selection["C"] in C_GRID
    assert count_vectoriser_fits == ["word", "char_wb"]


def test_vectoriser_is_fitted_once_per_budget_and_seed(corpus, tmp_path, count_vectoriser_fits):
    """Issue 12: a benchmark of 2 budgets x 2 seeds fits each vectoriser 4 times (3 values of C each)."""
    _, records = run_benchmark(
        corpus, tmp_path, tasks=["text"], models=["baseline:tfidf-logreg"], budgets=[0.5, 1.0], seeds=2
    )
    assert len(records) == 4
    assert sorted(count_vectoriser_fits) == ["char_wb"] * 4 + ["word"] * 4


def test_c_is_selected_on_validation_rows_only(corpus, monkeypatch):
    """Issue 12: the selection scorer only ever sees the validation rows' gold labels, once per ``C`` tried (the
    reported validation score is the selected ``C``'s, not a second pass)."""
    seen: list[np.ndarray] = []
    real = learners.selection_score

    def spy(metric, label_names, multi_label):
        score = real(metric, label_names, multi_label)

        def recording(gold, logits):
            seen.append(np.array(gold))
            return score(gold, logits)

        return recording

    monkeypatch.setattr(learners, "selection_score", spy)
    request, splits = _request(corpus)
    fitted = fit_baseline(request, lambda split: split.texts)
    expected = splits["validation"].labels[request.val_idx]
    assert 1 <= len(seen) <= len(C_GRID)
    assert fitted.selection["C"] in C_GRID[: len(seen)]
    assert all(np.array_equal(gold, expected) for gold in seen)


def test_changing_validation_labels_changes_the_chosen_c_and_test_labels_do_not():
    """Issue 12: ``C`` follows the validation labels; the test split never enters the selection."""
    rng = np.random.default_rng(0)
    words = ["vui vẻ", "buồn chán", "tức giận"]
    y_train = np.repeat([0, 1, 2], 10)
    # Noisy training texts: a quarter of them carry another class's words, so C matters.
    x_train = [
        f"{words[(y + (i % 4 == 0)) % 3]} {rng.choice(['hôm nay', 'quá', 'lắm'])}" for i, y in enumerate(y_train)
    ]
    x_val = ["vui vẻ quá", "buồn chán lắm", "tức giận hôm nay", "vui vẻ lắm", "buồn chán", "tức giận quá"]

    def choose(y_val):
        def score(gold, probs):
            # the log-likelihood of the validation gold labels: sensitive to C even when the argmax is not
            return float(np.log(probs[np.arange(len(gold)), gold] + 1e-12).mean())

        _, c, _ = fit_select_c(
            build_tfidf_logreg, x_train, y_train, x_val, np.asarray(y_val), score, num_labels=3, seed=0
        )
        return c

    right = choose([0, 1, 2, 0, 1, 2])
    wrong = choose([1, 2, 0, 1, 2, 0])  # the validation labels rotated: a small C (flat probabilities) wins
    assert right == max(C_GRID) and wrong == min(C_GRID)

    # The grid stops at the first C that scores below the best: the rotated labels never pay for the largest C.
    scored = []

    def counting(gold, probs):
        scored.append(float(np.log(probs[np.arange(len(gold)), gold] + 1e-12).mean()))
        return scored[-1]

    fit_select_c(
        build_tfidf_logreg, x_train, y_train, x_val, np.array([1, 2, 0, 1, 2, 0]), counting, num_labels=3, seed=0
    )
    assert len(scored) == 2 and scored[1] < scored[0] and len(C_GRID) == 3


def test_fit_is_deterministic_for_a_seed(corpus):
    """Issue 12: the same seed gives the same ``C``, validation score and test logits."""
    runs = []
    for _ in range(2):
        request, splits = _request(corpus, seed=3)
        fitted = fit_baseline(request, lambda split: split.texts)
        runs.append((fitted.selection, fitted.predict(splits["test"])))
    (sel_a, logits_a), (sel_b, logits_b) = runs
    assert sel_a == sel_b
    assert np.array_equal(logits_a, logits_b)


def test_vocabulary_comes_from_training_texts_only():
    """Issue 12: the vectoriser fitted once is fitted on the training rows; a validation-only word is unknown."""
    model, _, _ = fit_select_c(
        build_tfidf_logreg,
        ["vui vẻ quá", "buồn chán quá", "vui lắm", "buồn lắm"],
        np.array([0, 1, 0, 1]),
        ["xyzxyz vui"],
        np.array([0]),
        lambda gold, probs: float((probs.argmax(-1) == gold).mean()),
        num_labels=2,
        seed=0,
    )
    word = dict(model.named_steps["tfidf"].transformer_list)["word"]
    assert "vui" in word.vocabulary_ and "xyzxyz" not in word.vocabulary_
    assert model.predict_proba(["vui vẻ"]).shape == (1, 2)
