"""Fixed train/validation/test splits: stratified by label, seeded, and group-disjoint (speaker, caller) on request.

Used by the dataset builders when a source file has no ``split`` column. Two rules matter for small corpora:

* **Tiny classes stay in train.** Each class is divided by the largest-remainder method, so a class with one or two
  examples (too few for a 10 % share to round up) goes entirely to ``train``: the model can learn it and the
  evaluation splits simply lack it. A class needs about five examples before validation or test gets one.
* **Groups are never split.** With ``groups``, whole groups are placed greedily (largest first, seeded order among
  equal sizes) into the split whose per-class quota they fill best -- the same idea as scikit-learn's
  ``StratifiedGroupKFold``, adapted to unequal split sizes. The last groups go to splits that are still empty, so
  with at least three groups no split with a positive fraction is left empty. A missing group (``None``/NaN) counts
  as its own group.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Sequence

import numpy as np

logger = logging.getLogger(__name__)

SPLIT_NAMES: tuple[str, str, str] = ("train", "validation", "test")
#: Spellings of split names found in release files, mapped onto ``SPLIT_NAMES``.
SPLIT_ALIASES: dict[str, str] = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "eval": "validation",
    "test": "test",
    "testing": "test",
}


def canonical_split_name(value: object) -> str | None:
    """Return ``train``/``validation``/``test`` for a split cell (case- and whitespace-insensitive), else ``None``.

    Example:
        >>> canonical_split_name(" Dev "), canonical_split_name("holdout")
        ('validation', None)
    """
    if not isinstance(value, str):
        return None
    return SPLIT_ALIASES.get(value.strip().casefold())


def _label_key(value: object) -> Hashable:
    # Multi-label rows (lists of names) are stratified on the whole combination; lists are not hashable.
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(np.asarray(value).tolist())
    return value


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _check_fractions(fractions: Sequence[float]) -> np.ndarray:
    frac = np.asarray(fractions, dtype=float)
    if frac.shape != (3,) or (frac < 0).any() or not math.isclose(float(frac.sum()), 1.0, abs_tol=1e-6):
        raise ValueError(
            f"fractions must be three non-negative numbers (train, validation, test) that sum to 1, got {fractions!r}."
        )
    return frac


def _largest_remainder(n: int, frac: np.ndarray, deficit: np.ndarray) -> np.ndarray:
    """Split ``n`` into integer shares of ``frac``; leftover units go to the largest remainders, ties to the
    split that is globally furthest behind its target (so rounding does not always favour validation)."""
    exact = n * frac
    counts = np.floor(exact).astype(int)
    order = sorted(range(len(frac)), key=lambda s: (-(exact[s] - counts[s]), -deficit[s], s))
    for s in order[: n - int(counts.sum())]:
        counts[s] += 1
    return counts


def _assign_ungrouped(keys: list[Hashable], frac: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(keys), dtype=int)
    by_class: dict[Hashable, list[int]] = {}
    for i, k in enumerate(keys):
        by_class.setdefault(k, []).append(i)
    assigned = np.zeros(3)
    done = 0
    # Sorted by repr so the result does not depend on the order classes first appear in.
    for k in sorted(by_class, key=repr):
        idx = np.asarray(by_class[k])
        idx = idx[rng.permutation(len(idx))]
        deficit = (done + len(idx)) * frac - assigned
        counts = _largest_remainder(len(idx), frac, deficit)
        start = 0
        for s, c in enumerate(counts):
            out[idx[start : start + c]] = s
            start += c
        assigned += counts
        done += len(idx)
    return out


def _assign_grouped(
    keys: list[Hashable], groups: Sequence[object], frac: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    classes = sorted(set(keys), key=repr)
    class_index = {k: j for j, k in enumerate(classes)}
    members: dict[Hashable, list[int]] = {}
    for i, g in enumerate(groups):
        gkey = ("__missing__", i) if _is_missing(g) else ("group", g)
        members.setdefault(gkey, []).append(i)
    group_keys = list(members)
    group_keys = [group_keys[j] for j in rng.permutation(len(group_keys))]
    # Largest groups first (they are the hardest to place); the seeded permutation orders equal sizes.
    group_keys.sort(key=lambda g: -len(members[g]))

    totals = np.zeros(len(classes))
    for k in keys:
        totals[class_index[k]] += 1
    target = frac[:, None] * totals[None, :]  # (split, class) quotas
    counts = np.zeros_like(target)
    out = np.empty(len(keys), dtype=int)
    n_total = len(keys)
    for position, g in enumerate(group_keys):
        vec = np.zeros(len(classes))
        for i in members[g]:
            vec[class_index[keys[i]]] += 1
        # Per-class quota still open in each split, weighted by the group's labels; ties go to the split whose
        # overall size lags its target the most, then to train (index order).
        open_quota = ((target - counts) * vec[None, :] / np.maximum(totals, 1)[None, :]).sum(axis=1)
        size_lag = frac * n_total - counts.sum(axis=1)
        # With few groups left, a split that is still empty gets one: an empty validation or test split is worse
        # than a skewed one (a 1-example class can otherwise pull every small group into train).
        empty = [s for s in range(3) if frac[s] > 0 and counts[s].sum() == 0]
        candidates = empty if len(group_keys) - position <= len(empty) else range(3)
        best = max(candidates, key=lambda s: (frac[s] > 0, round(open_quota[s], 9), size_lag[s], -s))
        counts[best] += vec
        out[members[g]] = best
    return out


def assign_splits(
    labels: Sequence[object],
    *,
    groups: Sequence[object] | None = None,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 42,
) -> list[str]:
    """Assign every row to ``"train"``, ``"validation"`` or ``"test"``: stratified by label, deterministic for a
    seed, and group-disjoint when ``groups`` is given.

    Args:
        labels: one label per row (any hashable value; a list of names for multi-label rows is stratified on the
            whole combination).
        groups: optional group per row (speaker or caller id). No group then appears in two splits; stratification
            is as good as the group sizes allow. ``None``/NaN entries are treated as singleton groups.
        fractions: shares of train, validation and test; non-negative and summing to 1.
        seed: seed of the shuffles; the same inputs and seed always give the same splits.

    Returns:
        A list of split names, aligned with ``labels``. Classes with fewer than about five rows land wholly in
        ``train`` (see the module docstring).

    Example:
        >>> splits = assign_splits(["Anger"] * 10 + ["Fear"] * 10, seed=0)
        >>> splits.count("train"), splits.count("validation"), splits.count("test")
        (16, 2, 2)
    """
    frac = _check_fractions(fractions)
    keys = [_label_key(v) for v in labels]
    if groups is not None and len(groups) != len(keys):
        raise ValueError(f"groups has {len(groups)} entries but labels has {len(keys)}; pass one group per row.")
    if not keys:
        return []
    rng = np.random.default_rng(seed)
    codes = _assign_ungrouped(keys, frac, rng) if groups is None else _assign_grouped(keys, groups, frac, rng)
    result = [SPLIT_NAMES[c] for c in codes]
    logger.debug("assign_splits: %s", {s: result.count(s) for s in SPLIT_NAMES})
    return result


__all__ = ["SPLIT_ALIASES", "SPLIT_NAMES", "assign_splits", "canonical_split_name"]
