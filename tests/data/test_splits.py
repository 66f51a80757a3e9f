from __future__ import annotations

import math
import random
from collections import Counter, defaultdict

import pytest

from sentiv_hf.data.splits import assign_splits


def _corpus(n: int = 300, n_groups: int = 30, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    labels = [rng.choice("ABCDEF") for _ in range(n)]
    groups = [f"spk{rng.randrange(n_groups)}" for _ in range(n)]
    return labels, groups


def test_stratified_exact_counts() -> None:
    labels = ["Anger"] * 10 + ["Fear"] * 20 + ["Neutral"] * 30
    splits = assign_splits(labels, seed=0)
    per = Counter(zip(labels, splits))
    assert per[("Anger", "train")] == 8 and per[("Anger", "validation")] == 1 and per[("Anger", "test")] == 1
    assert per[("Fear", "train")] == 16 and per[("Fear", "validation")] == 2 and per[("Fear", "test")] == 2
    assert per[("Neutral", "train")] == 24 and per[("Neutral", "validation")] == 3 and per[("Neutral", "test")] == 3


def test_deterministic_and_seed_dependent() -> None:
    labels, _ = _corpus()
    assert assign_splits(labels, seed=7) == assign_splits(labels, seed=7)
    assert assign_splits(labels, seed=7) != assign_splits(labels, seed=8)


def test_custom_fractions() -> None:
    labels = ["A"] * 50 + ["B"] * 50
    splits = assign_splits(labels, fractions=(0.6, 0.2, 0.2), seed=1)
    assert Counter(splits) == {"train": 60, "validation": 20, "test": 20}


@pytest.mark.parametrize("n_rare", [1, 2])
def test_tiny_classes_go_to_train(n_rare: int) -> None:
    labels = ["common"] * 40 + ["rare"] * n_rare
    splits = assign_splits(labels, seed=3)
    assert [s for lab, s in zip(labels, splits) if lab == "rare"] == ["train"] * n_rare
    assert Counter(s for lab, s in zip(labels, splits) if lab == "common") == {"train": 32, "validation": 4, "test": 4}


def test_groups_are_disjoint_and_roughly_stratified() -> None:
    labels, groups = _corpus()
    splits = assign_splits(labels, groups=groups, seed=42)
    seen: dict[str, set[str]] = defaultdict(set)
    for g, s in zip(groups, splits):
        seen[g].add(s)
    assert all(len(v) == 1 for v in seen.values())
    sizes = Counter(splits)
    assert set(sizes) == {"train", "validation", "test"}
    assert math.isclose(sizes["train"] / len(labels), 0.8, abs_tol=0.1)
    assert sizes["validation"] >= 15 and sizes["test"] >= 15
    assert assign_splits(labels, groups=groups, seed=42) == splits


def test_missing_groups_are_singletons() -> None:
    labels = ["A"] * 20
    groups: list[object] = ["s1"] * 10 + [None] * 5 + [float("nan")] * 5
    splits = assign_splits(labels, groups=groups, seed=0)
    assert len({s for g, s in zip(groups, splits) if g == "s1"}) == 1
    assert Counter(splits)["train"] >= 10


def test_multilabel_lists_are_accepted() -> None:
    labels = [["Pain", "Fear"]] * 10 + [["Sadness"]] * 10
    splits = assign_splits(labels, seed=0)
    assert Counter(splits) == {"train": 16, "validation": 2, "test": 2}


def test_empty_and_bad_arguments() -> None:
    assert assign_splits([]) == []
    with pytest.raises(ValueError, match="sum to 1"):
        assign_splits(["A"], fractions=(0.5, 0.1, 0.1))
    with pytest.raises(ValueError, match="groups has 1 entries but labels has 2"):
        assign_splits(["A", "B"], groups=["g"])


def test_few_groups_still_fill_every_split() -> None:
    # Four callers, one 1-example class: the quota of that class alone would pull every group into train.
    labels = ["neg", "non"] + ["neg"] * 6
    groups = ["c0", "c0", "c1", "c1", "c2", "c2", "c3", "c3"]
    splits = assign_splits(labels, groups=groups, seed=0)
    assert Counter(splits) == {"train": 4, "validation": 2, "test": 2}
    assert all(len({s for g, s in zip(groups, splits) if g == c}) == 1 for c in set(groups))
