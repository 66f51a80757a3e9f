"""Label budgets (nested, stratified, seeded subsets of the training split) and grouped stratified k-fold.

A budget is a *prefix of one seeded ordering* of the training rows, so for one seed the 1 % subset is contained in
the 5 % subset, which is contained in the 10 % subset, and so on up to 100 %. The ordering interleaves the classes
in proportion to their size (each row's key is its rank inside its shuffled class, scaled to [0, 1]), which makes
every prefix stratified to within one example per class. The first row of every class comes before everything else,
so any budget of at least as many rows as classes holds every class.

Multi-label rows (lists of names) are stratified on a derived key: the ``binary_label`` column when the dataset has
one, else the first label of the row.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence

import numpy as np

logger = logging.getLogger(__name__)


def _stratify_key(value: object) -> Hashable:
    # Multi-label rows: stratify on the first label (an empty row gets its own key).
    if isinstance(value, (list, tuple, np.ndarray)):
        return np.asarray(value).tolist()[0] if len(value) else "<no label>"
    return value


def _check_fraction(fraction: float) -> float:
    fraction = float(fraction)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1] (for example 0.05 for a 5 % budget), got {fraction}.")
    return fraction


def budget_size(n_rows: int, fraction: float) -> int:
    """Number of rows in a budget: ``round(fraction * n_rows)``, at least 1 (on a non-empty set).

    Example:
        >>> budget_size(250, 0.01), budget_size(250, 0.05), budget_size(250, 1.0)
        (2, 12, 250)
    """
    fraction = _check_fraction(fraction)
    if n_rows == 0:
        return 0
    return min(n_rows, max(1, int(round(fraction * n_rows))))


def budget_order(labels: Sequence[object], seed: int) -> np.ndarray:
    """The seeded priority order of rows whose prefixes are the budgets (see the module docstring).

    Args:
        labels: one label per row (lists are stratified on their first label).
        seed: the budget seed.

    Returns:
        A permutation of ``range(len(labels))``.

    Example:
        >>> order = budget_order(["a", "a", "b", "b"], seed=0)
        >>> sorted(order.tolist())
        [0, 1, 2, 3]
    """
    keys = [_stratify_key(v) for v in labels]
    n = len(keys)
    rng = np.random.default_rng(seed)
    by_class: dict[Hashable, list[int]] = {}
    for i, k in enumerate(keys):
        by_class.setdefault(k, []).append(i)
    priority = np.empty(n, dtype=float)
    # Sorted by repr so the order does not depend on which class appears first in the file.
    for k in sorted(by_class, key=repr):
        idx = np.asarray(by_class[k])
        idx = idx[rng.permutation(len(idx))]
        ranks = np.arange(len(idx))
        priority[idx] = (ranks + 0.5) / len(idx)
        # The first row of each class goes ahead of all others (key < 0): >= 1 per class once the budget allows.
        priority[idx[0]] = -1.0 + 0.5 / len(idx)
    tiebreak = rng.random(n)
    return np.lexsort((tiebreak, priority))


def budget_indices(labels: Sequence[object], fraction: float, seed: int) -> np.ndarray:
    """Indices of a stratified, seeded, nested label budget of ``fraction`` of the rows, sorted ascending.

    Args:
        labels: one label per row of the training split (lists are stratified on their first label).
        fraction: share of rows to keep, in (0, 1].
        seed: budget seed; for one seed, smaller fractions give subsets of larger ones.

    Returns:
        A sorted ``int64`` array of row indices. It holds every class when ``fraction * len(labels)`` is at least
        the number of classes, and each class gets ``fraction * class_size`` rows to within one.

    Example:
        >>> labels = ["Anger"] * 50 + ["Fear"] * 30 + ["Neutral"] * 20
        >>> small, large = budget_indices(labels, 0.1, seed=0), budget_indices(labels, 0.5, seed=0)
        >>> len(small), len(large), set(small) <= set(large)
        (10, 50, True)
    """
    size = budget_size(len(labels), fraction)
    return np.sort(budget_order(labels, seed)[:size]).astype(np.int64)


def balanced_indices(labels: Sequence[object], seed: int) -> np.ndarray:
    """Positions of a class-balanced subset: every class present is downsampled, at random, to the size of the rarest
    one (the class-balanced ablation of the hotline study). Sorted ascending.

    Args:
        labels: one label per row (lists are keyed on their first label, as budgets are).
        seed: the sampling seed.

    Example:
        >>> labels = ["negative"] * 2 + ["non-negative"] * 6
        >>> picked = balanced_indices(labels, seed=0)
        >>> len(picked), sorted(labels[i] for i in picked)
        (4, ['negative', 'negative', 'non-negative', 'non-negative'])
    """
    keys = [_stratify_key(v) for v in labels]
    groups: dict[Hashable, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    if not groups:
        return np.zeros(0, dtype=np.int64)
    smallest = min(len(rows) for rows in groups.values())
    rng = np.random.default_rng(seed)
    picked = [rng.choice(rows, size=smallest, replace=False) for _, rows in sorted(groups.items(), key=str)]
    return np.sort(np.concatenate(picked)).astype(np.int64)


def _budget_labels(dataset, label_column: str) -> list[object]:
    from datasets import Sequence as SequenceFeature

    feature = dataset.features.get(label_column)
    if label_column not in dataset.column_names:
        raise ValueError(
            f"label_budget: no column {label_column!r}; the dataset has {dataset.column_names}. Pass label_column=..."
        )
    is_multi = isinstance(feature, (SequenceFeature, list))
    if is_multi and "binary_label" in dataset.column_names:
        return list(dataset["binary_label"])
    return list(dataset[label_column])


def label_budget(
    dataset,
    fraction: float,
    seed: int,
    *,
    label_column: str = "label",
    id_column: str | None = "id",
):
    """Select a nested, stratified label budget of a training split.

    Args:
        dataset: a ``datasets.Dataset`` holding the **train** split (a dataset whose ``split`` is validation or
            test is refused: those are never subsampled).
        fraction: share of rows to keep, in (0, 1].
        seed: budget seed (nested across fractions for one seed).
        label_column: the column to stratify on. For a multi-label ``Sequence`` column the ``binary_label`` column
            is used when present, else each row's first label.
        id_column: the column with stable row ids to report; ``None`` reports row indices as strings.

    Returns:
        ``(subset, ids)``: the selected rows (original order) and their ids, to record with the run.

    Example:
        >>> subset, ids = label_budget(ds["train"], 0.1, seed=0)  # doctest: +SKIP
    """
    from datasets import DatasetDict

    if isinstance(dataset, DatasetDict):
        raise TypeError("label_budget takes one split, not a DatasetDict: pass dataset['train'].")
    split = getattr(dataset, "split", None)
    if split is not None and str(split).split("[")[0] != "train":
        raise ValueError(
            f"label_budget only subsamples the train split, but this dataset is split {str(split)!r}; "
            "validation and test are always used in full."
        )
    if id_column is not None and id_column not in dataset.column_names:
        raise ValueError(
            f"label_budget: no id column {id_column!r}; the dataset has {dataset.column_names}. "
            "Pass id_column=... or id_column=None to record row indices."
        )
    labels = _budget_labels(dataset, label_column)
    indices = budget_indices(labels, fraction, seed)
    subset = dataset.select(indices)
    ids = [str(x) for x in subset[id_column]] if id_column is not None else [str(i) for i in indices]
    logger.info("label budget %.3g (seed %d): %d of %d rows", fraction, seed, len(indices), len(labels))
    return subset, ids


def grouped_stratified_kfold(
    labels: Sequence[object], groups: Sequence[object], n_splits: int = 5, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold with whole groups (speakers, callers) on one side: no group is ever in both the train and
    the test part of a fold, and each row is in exactly one test fold.

    Wraps scikit-learn's ``StratifiedGroupKFold`` (shuffled, seeded); lists of labels are stratified on their first
    label.

    Args:
        labels: one label per row.
        groups: one group id per row (``None`` is not allowed: an unknown caller cannot be kept apart).
        n_splits: number of folds; at most the number of distinct groups.
        seed: shuffle seed.

    Returns:
        ``n_splits`` pairs ``(train_indices, test_indices)`` of sorted ``int64`` arrays.

    Example:
        >>> folds = grouped_stratified_kfold(["a", "b"] * 10, [f"g{i // 2}" for i in range(20)], n_splits=5)
        >>> len(folds), sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(20))
        (5, True)
    """
    from sklearn.model_selection import StratifiedGroupKFold

    if len(labels) != len(groups):
        raise ValueError(f"groups has {len(groups)} entries but labels has {len(labels)}; pass one group per row.")
    missing = [i for i, g in enumerate(groups) if g is None or (isinstance(g, float) and g != g)]
    if missing:
        raise ValueError(f"grouped_stratified_kfold: rows {missing[:10]} have no group; fill speaker/caller ids.")
    n_groups = len(set(groups))
    if n_splits < 2 or n_splits > n_groups:
        raise ValueError(f"n_splits must be between 2 and the number of groups ({n_groups}), got {n_splits}.")
    keys = np.asarray([repr(_stratify_key(v)) for v in labels])
    group_codes = np.unique(np.asarray([repr(g) for g in groups]), return_inverse=True)[1]
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    folds = []
    for train_idx, test_idx in splitter.split(np.zeros(len(keys)), keys, group_codes):
        folds.append((np.sort(train_idx).astype(np.int64), np.sort(test_idx).astype(np.int64)))
    return folds


__all__ = ["budget_indices", "budget_order", "budget_size", "grouped_stratified_kfold", "label_budget"]
