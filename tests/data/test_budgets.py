from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from datasets import ClassLabel, Dataset, Features, Sequence, Value

from sentiv_hf.data.budgets import budget_indices, budget_size, grouped_stratified_kfold, label_budget
from sentiv_hf.labels import BINARY_LABELS, SPEECH_LABELS

FRACTIONS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0)


def _labels(n: int = 500, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    # Skewed on purpose: the smallest class has about 3 % of the rows.
    return rng.choices(list(SPEECH_LABELS), weights=[30, 25, 3, 20, 12, 10], k=n)


def _train_dataset(n: int = 200, split: str | None = "train") -> Dataset:
    labels = _labels(n)
    features = Features({"id": Value("string"), "label": ClassLabel(names=list(SPEECH_LABELS))})
    data = {"id": [f"speech-{i:05d}" for i in range(n)], "label": [SPEECH_LABELS.index(x) for x in labels]}
    return Dataset.from_dict(data, features=features, split=split)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_budgets_are_nested(seed: int) -> None:
    labels = _labels()
    previous: set[int] = set()
    for fraction in FRACTIONS:
        chosen = set(budget_indices(labels, fraction, seed).tolist())
        assert previous <= chosen
        previous = chosen
    assert previous == set(range(len(labels)))


@pytest.mark.parametrize("fraction", FRACTIONS)
def test_budgets_are_stratified(fraction: float) -> None:
    labels = _labels()
    idx = budget_indices(labels, fraction, seed=0)
    assert len(idx) == budget_size(len(labels), fraction) == round(fraction * len(labels))
    assert np.all(np.diff(idx) > 0)
    full, chosen = Counter(labels), Counter(labels[i] for i in idx)
    for name, count in full.items():
        assert abs(chosen[name] - fraction * count) <= 1.0, (name, chosen[name], fraction * count)


def test_at_least_one_per_class_when_budget_allows() -> None:
    labels = ["Anger"] * 300 + ["Fear"] * 2 + ["Surprise"] * 1 + ["Neutral"] * 97
    idx = budget_indices(labels, 0.01, seed=5)  # 4 rows for 4 classes
    assert len(idx) == 4
    assert Counter(labels[i] for i in idx) == {"Anger": 1, "Fear": 1, "Surprise": 1, "Neutral": 1}
    # Below the number of classes, the budget keeps its size and takes the largest classes first.
    idx = budget_indices(labels, 0.005, seed=5)
    assert len(idx) == 2 and {labels[i] for i in idx} == {"Anger", "Neutral"}


def test_deterministic_and_seeds_differ() -> None:
    labels = _labels()
    a = budget_indices(labels, 0.1, seed=3)
    assert np.array_equal(a, budget_indices(labels, 0.1, seed=3))
    assert not np.array_equal(a, budget_indices(labels, 0.1, seed=4))


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5])
def test_bad_fraction(fraction: float) -> None:
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\]"):
        budget_indices(["a", "b"], fraction, seed=0)


def test_label_budget_returns_subset_and_ids() -> None:
    train = _train_dataset()
    subset, ids = label_budget(train, 0.25, seed=1)
    assert len(subset) == len(ids) == 50
    assert ids == subset["id"]
    expected = budget_indices([SPEECH_LABELS[i] for i in train["label"]], 0.25, seed=1)
    assert ids == [f"speech-{i:05d}" for i in expected]
    small, small_ids = label_budget(train, 0.05, seed=1)
    assert set(small_ids) <= set(ids)
    assert len(set(small["label"])) == 6
    _, row_ids = label_budget(train, 0.05, seed=1, id_column=None)
    assert row_ids == [str(int(s.split("-")[1])) for s in small_ids]


@pytest.mark.parametrize("split", ["validation", "test"])
def test_label_budget_refuses_evaluation_splits(split: str) -> None:
    with pytest.raises(ValueError, match=f"only subsamples the train split, but this dataset is split '{split}'"):
        label_budget(_train_dataset(split=split), 0.5, seed=0)


def test_label_budget_errors_name_columns() -> None:
    train = _train_dataset()
    with pytest.raises(ValueError, match=r"no column 'emotion'; the dataset has \['id', 'label'\]"):
        label_budget(train, 0.5, seed=0, label_column="emotion")
    with pytest.raises(ValueError, match=r"no id column 'uid'"):
        label_budget(train, 0.5, seed=0, id_column="uid")


def test_label_budget_multilabel_uses_binary_label() -> None:
    names = ["Despair", "Fear", "Pain", "Sadness"]
    features = Features(
        {
            "id": Value("string"),
            "labels": Sequence(ClassLabel(names=names)),
            "binary_label": ClassLabel(names=list(BINARY_LABELS)),
        }
    )
    rows = 40
    data = {
        "id": [f"call-{i}" for i in range(rows)],
        "labels": [[i % 4, (i + 1) % 4] if i % 2 else [] for i in range(rows)],
        "binary_label": [1 if i % 2 else 0 for i in range(rows)],
    }
    ds = Dataset.from_dict(data, features=features, split="train")
    subset, _ = label_budget(ds, 0.25, seed=0, label_column="labels")
    assert Counter(subset["binary_label"]) == {0: 5, 1: 5}


def test_grouped_kfold_has_no_leakage_and_covers_everything() -> None:
    rng = random.Random(1)
    labels = _labels(300, seed=1)
    groups = [f"caller{rng.randrange(40)}" for _ in labels]
    folds = grouped_stratified_kfold(labels, groups, n_splits=5, seed=0)
    assert len(folds) == 5
    all_test = np.concatenate([test for _, test in folds])
    assert sorted(all_test.tolist()) == list(range(300))
    for train, test in folds:
        assert len(train) + len(test) == 300
        assert not {groups[i] for i in train} & {groups[i] for i in test}
        assert 30 <= len(test) <= 90
    again = grouped_stratified_kfold(labels, groups, n_splits=5, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))


def test_grouped_kfold_errors() -> None:
    with pytest.raises(ValueError, match=r"between 2 and the number of groups \(3\)"):
        grouped_stratified_kfold(["a"] * 6, ["g1", "g2", "g3"] * 2, n_splits=5)
    with pytest.raises(ValueError, match=r"rows \[1\] have no group"):
        grouped_stratified_kfold(["a", "b"], ["g1", None])
