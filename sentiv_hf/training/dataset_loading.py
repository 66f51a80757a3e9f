"""Loading the splits a training or evaluation run reads, and checking their columns and labels.

Every function raises `UserError` with the dataset, the columns found and the flag that fixes the problem, so
that ``sentiv train`` and ``sentiv evaluate`` print a one-line message instead of a traceback.
"""

from __future__ import annotations

from typing import Any

from sentiv_hf.errors import UserError


def load_splits(dataset: str | None, config: str, revision: str | None = None) -> dict[str, Any]:
    """Load every split of a Hub-ready dataset folder or Hub id as ``{split: datasets.Dataset}``.

    Args:
        dataset: a dataset folder or Hub id; None loads the bundled demo corpus.
        config: the dataset config, e.g. ``"text"``, ``"speech"`` or ``"multimodal"``.
        revision: the Hub revision (None: the default branch).

    Raises `UserError` naming the dataset and config (and the configs it has) when it cannot be loaded.

    Example:
        >>> splits = load_splits(None, "text")  # doctest: +SKIP
        >>> sorted(splits)  # doctest: +SKIP
        ['test', 'train', 'validation']
    """
    from sentiv_hf.data.loading import load_dataset_dict

    loaded, _ = load_dataset_dict(dataset, config, revision)
    return dict(loaded)


def required_columns(task: str, label_column: str, text_column: str, audio_column: str) -> dict[str, str]:
    """``{flag name: column}`` a ``text``, ``speech``, ``fusion`` or ``context`` run reads, for `check_columns`.

    Example:
        >>> required_columns("fusion", "label", "text", "audio")
        {'label_column': 'label', 'text_column': 'text', 'audio_column': 'audio'}
    """
    required = {"label_column": label_column}
    if task in ("text", "fusion"):
        required["text_column"] = text_column
    if task in ("speech", "fusion", "context"):
        required["audio_column"] = audio_column
    return required


def check_columns(split: Any, required: dict[str, str], where: str) -> None:
    """Raise `UserError` naming the missing columns, the columns found and the flag that fixes it.

    Args:
        split: a `datasets.Dataset`.
        required: ``{flag name: column}``, e.g. ``{"text_column": "text"}``.
        where: how the message names the split, e.g. ``"the train split of org/sentiv:text"``.

    Example:
        >>> check_columns(split, {"text_column": "sentence"}, "train")  # doctest: +SKIP
        UserError: Unknown column 'sentence' (set with --text_column) in train; the columns are ['text', 'label'].
    """
    missing = {flag: col for flag, col in required.items() if col not in split.column_names}
    if missing:
        details = ", ".join(f"{col!r} (set with --{flag})" for flag, col in missing.items())
        raise UserError(f"Unknown column {details} in {where}; the columns are {split.column_names}.")


#: The columns that place a segment in its call (``sentiv data build-calls`` writes them).
CALL_COLUMNS = ("call_id", "segment_index")


def check_call_columns(split: Any, where: str) -> None:
    """Raise `UserError` when ``split`` has no ``call_id`` / ``segment_index`` columns (not a calls config).

    Example:
        >>> check_call_columns(speech_split, "the train split of the demo corpus:speech")  # doctest: +SKIP
        UserError: the train split of the demo corpus:speech has no 'call_id', 'segment_index' columns: ...
    """
    missing = [column for column in CALL_COLUMNS if column not in split.column_names]
    if missing:
        raise UserError(
            f"{where} has no {', '.join(repr(c) for c in missing)} column{'s' if len(missing) > 1 else ''}: context "
            "training needs whole calls; pass a calls config (--dataset_config calls, built by `sentiv data "
            f"build-calls`). The columns are {split.column_names}."
        )


def label_info(split: Any, label_column: str | None) -> tuple[str, list[str], bool]:
    """Return ``(label column, label names, multi_label)`` from the split's ``ClassLabel`` features.

    Args:
        split: a `datasets.Dataset`.
        label_column: the label column; None picks ``label``, else ``labels``.

    Example:
        >>> label_info(splits["train"], None)  # doctest: +SKIP
        ('label', ['Anger', 'Disgust', 'Enjoyment', 'Fear', 'Neutral', 'Sadness', 'Surprise'], False)
    """
    from datasets import ClassLabel

    column = label_column or next((c for c in ("label", "labels") if c in split.column_names), None)
    if column is None or column not in split.column_names:
        raise UserError(
            f"Unknown label column {label_column or 'label'!r} (set with --label_column); the columns are "
            f"{split.column_names}."
        )
    feature = split.features[column]
    inner = getattr(feature, "feature", None)
    if isinstance(feature, ClassLabel):
        return column, list(feature.names), False
    if isinstance(inner, ClassLabel):
        return column, list(inner.names), True
    if isinstance(feature, list) and feature and isinstance(feature[0], ClassLabel):
        return column, list(feature[0].names), True
    raise UserError(f"Column {column!r} must be a datasets.ClassLabel (or a list of them); it is {feature}.")


def apply_budget(train: Any, budget: float, seed: int, label_column: str) -> tuple[Any, list[str]]:
    """Select the label budget of the training split (all of it for budget 1.0) and return ``(rows, ids)``.

    Args:
        train: the training split.
        budget: the fraction of it to keep, in (0, 1]; nested and stratified (see `label_budget`).
        seed: the budget seed.
        label_column: the column the budget is stratified on.

    Example:
        >>> rows, ids = apply_budget(splits["train"], 0.5, seed=3, label_column="label")  # doctest: +SKIP
    """
    if budget >= 1.0:
        ids = [str(x) for x in train.with_format(None)["id"]] if "id" in train.column_names else None
        return train, ids or [str(i) for i in range(len(train))]
    from sentiv_hf.data.budgets import label_budget

    id_column = "id" if "id" in train.column_names else None
    return label_budget(train.with_format(None), budget, seed, label_column=label_column, id_column=id_column)


def first_rows(split: Any, n: int | None) -> Any:
    """The first ``n`` rows of ``split`` (all of it when ``n`` is None or not smaller than its length).

    Example:
        >>> len(first_rows(splits["test"], 14))  # doctest: +SKIP
        14
    """
    return split.select(range(min(n, len(split)))) if n is not None and n < len(split) else split
