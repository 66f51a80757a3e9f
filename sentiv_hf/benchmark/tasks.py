"""The benchmark tasks. Each ``run_<task>`` trains on one (budget, seed) and returns the test outcome.

* ``text`` / ``speech``: train on the nested budget of the config's train split, select on validation, test once.
* ``multimodal``: fuse the text and speech heads of the same budget and seed on the multimodal test set
  (``average``, ``concat_mlp``, ``uncertainty``; temperatures and the concat MLP are fitted on validation).
* ``cross_modal``: the text model of task A evaluated on the speech transcripts (7 → 6 labels, Disgust → Anger).
* ``cross_dataset``: train on one dataset/config, test on another with the same label space.
* ``hotline_binary`` / ``hotline_multilabel``: grouped k-fold CV by ``speaker_id`` (validation = the next fold),
  budgets taken inside each fold's training part, predictions pooled over folds. The binary headline is the F1 of
  the ``negative`` class (``f1_negative``, what the hotline study reports), the multi-label headline weighted-F1;
  each picks the epoch or ``C`` on validation too. A binary split or fold with an empty class is flagged
  (`hotline_class_warnings`).

Each task takes explicit inputs: the run, its model(s), the `Split`s it reads and the `BudgetFitter` that trains; it
returns an `Outcome` with the test logits and, for the neural kinds, the trained models (saved with
``--save-models``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sentiv_hf.data.loading import Split
from sentiv_hf.metrics import probabilities_from_logits

from .config import HOTLINE_VARIANTS
from .fitting import BudgetFit, BudgetFitter
from .kinds import ModelSpec
from .learners import Fitted, to_logits

if TYPE_CHECKING:
    from .runner import RunSpec

logger = logging.getLogger(__name__)

#: The metric each task is selected (validation) and ranked (reports) by; tasks not listed use ``macro_f1``.
#: ``f1_negative`` is the metrics module's per-class F1 of the class named ``negative`` (`labels.BINARY_LABELS`).
HEADLINE: dict[str, str] = {"hotline_binary": "f1_negative", "hotline_multilabel": "weighted_f1"}
HOTLINE_LABEL_COLUMN = {"hotline_binary": "binary_label", "hotline_multilabel": "labels"}
#: Columns a hotline config needs for the ``context`` variant (a ``calls`` config from ``sentiv data build-calls``).
CALL_COLUMNS: tuple[str, ...] = ("call_id", "segment_index")
#: What fixes a hotline binary task whose data has an empty class (all rows one class).
ONE_CLASS_FIX = (
    "rebuild the dataset with `sentiv data build-speech ... --negative_labels LABEL,...` so that both classes occur "
    "(see the mapping in its dataset card)"
)


def headline_metric(task: str) -> str:
    """The metric a task is ranked by: ``f1_negative`` for ``hotline_binary``, weighted-F1 for
    ``hotline_multilabel``, macro-F1 otherwise.

    Example:
        >>> headline_metric("hotline_binary"), headline_metric("text")
        ('f1_negative', 'macro_f1')
    """
    return HEADLINE.get(task, "macro_f1")


def ids_hash(ids: list[str]) -> str:
    """sha256 of the sorted ids (what a results line records about the training examples).

    Example:
        >>> ids_hash(["b", "a"]) == ids_hash(["a", "b"])
        True
    """
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


@dataclass
class Outcome:
    """What a finished run reports: test logits, gold labels, ids and the training ids."""

    ids: list[str]
    logits: np.ndarray
    gold: np.ndarray
    label_names: list[str]
    train_ids: list[str]
    multi_label: bool = False
    selection: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    #: what ``--save-models`` writes: ``(model, [processors])`` of the run, or ``None`` (baselines, CV folds).
    checkpoint: tuple | None = None
    #: the fitted modality models (the multimodal task fuses them; their cards describe their training).
    fits: dict[str, Fitted] = field(default_factory=dict)


def evaluate_outcome(outcome: Outcome) -> tuple[dict, dict]:
    """Metrics from the package's metrics module and the predictions keyed by id.

    Returns:
        ``(metrics, predictions)``: predictions map each test id to a label name (or a list of names).
    """
    from sentiv_hf.metrics import metrics_from_logits

    names = outcome.label_names
    metrics = metrics_from_logits(outcome.logits, outcome.gold, label_names=names, multi_label=outcome.multi_label)
    if outcome.multi_label:
        predicted = outcome.logits >= 0.0  # sigmoid >= 0.5, the metrics module's threshold
        predictions = {i: [names[j] for j in np.flatnonzero(row)] for i, row in zip(outcome.ids, predicted)}
    else:
        pred = np.asarray(outcome.logits).argmax(axis=-1)
        predictions = {i: names[int(p)] for i, p in zip(outcome.ids, pred)}
    return _plain(metrics), predictions


def gold_class_counts(outcome: Outcome) -> list[int]:
    """Test examples per class, in label-id order (multi-label: positives per label); what the reports' chance level
    and the empty-class checks read.

    Example:
        >>> gold_class_counts(Outcome(["a", "b"], np.zeros((2, 3)), np.array([2, 2]), ["x", "y", "z"], []))
        [0, 0, 2]
    """
    gold = np.asarray(outcome.gold)
    if outcome.multi_label:
        return [int(v) for v in gold.sum(axis=0)]
    gold = gold.reshape(-1)
    return [int(v) for v in np.bincount(gold[gold >= 0], minlength=len(outcome.label_names))]


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


# --- single-source tasks ----------------------------------------------------------------------------------------


def _test_outcome(test: Split, logits: np.ndarray, fit: BudgetFit, **extra) -> Outcome:
    """The outcome of a model fitted on one budget and scored on ``test``."""
    selection = fit.fitted.selection
    return Outcome(test.ids, logits, test.labels, test.label_names, fit.train_ids, selection=selection, **extra)


def run_supervised(
    spec: RunSpec, model: ModelSpec, modality: str, splits: dict[str, Split], fitter: BudgetFitter
) -> Outcome:
    """``text`` and ``speech``: budget of the train split → validation selection → test; the trained model is the
    run's checkpoint."""
    fit = fitter.fit_budget(model, modality, splits, spec.budget, spec.seed)
    fitted, test = fit.fitted, splits["test"]
    checkpoint = (fitted.model, [fitted.processor]) if fitted.model is not None else None
    return _test_outcome(test, fitted.predict(test), fit, checkpoint=checkpoint, fits={modality: fitted})


def run_cross_modal(
    spec: RunSpec, model: ModelSpec, text_splits: dict[str, Split], test: Split, fitter: BudgetFitter
) -> Outcome:
    """The text model of task A on the transcripts of the multimodal test set, mapped onto the speech labels."""
    fit = fitter.fit_budget(model, "text", text_splits, spec.budget, spec.seed, exclude=[test])
    text_probs = probabilities_from_logits(fit.fitted.predict(test))
    aligned = align_probs(text_probs, text_splits["train"].label_names, test.label_names)
    return _test_outcome(test, to_logits(aligned, False), fit)


def run_cross_dataset(
    spec: RunSpec, model: ModelSpec, train_splits: dict[str, Split], test: Split, fitter: BudgetFitter
) -> Outcome:
    """Train (and select) on the ``cross_dataset.train`` source; test on the test split of ``cross_dataset.test``."""
    if list(test.label_names) != list(train_splits["train"].label_names):
        raise ValueError(
            f"cross_dataset: the label spaces differ: train {train_splits['train'].label_names} vs test "
            f"{test.label_names}; both configs need the same ClassLabel names in the same order."
        )
    modality = "speech" if train_splits["train"].has_audio else "text"
    fit = fitter.fit_budget(model, modality, train_splits, spec.budget, spec.seed)
    return _test_outcome(test, fit.fitted.predict(test), fit)


# --- multimodal fusion ------------------------------------------------------------------------------------------


def multimodal_text_exclusions(mm: dict[str, Split]) -> dict[str, list[Split]]:
    """The ``fit_budget`` keywords that keep the multimodal task's text model off its validation and test
    sentences: never trained on either, never selected on test (the leaderboard validator redraws with them too).

    Example:
        >>> fitter.fit_budget(model, "text", text_splits, 0.1, 0, **multimodal_text_exclusions(mm))  # doctest: +SKIP
    """
    return {"exclude": [mm["validation"], mm["test"]], "exclude_from_validation": [mm["test"]]}


def align_probs(text_probs: np.ndarray, text_names: list[str], speech_names: list[str]) -> np.ndarray:
    """Map text-label probabilities onto the speech labels by name (Disgust → Anger), via the models' helper."""
    import torch

    from sentiv_hf.models.fusion_strategies import align_text_probs

    aligned = align_text_probs(torch.as_tensor(text_probs, dtype=torch.float64), text_names, speech_names)
    return aligned.numpy()


def run_multimodal(
    spec: RunSpec,
    text_model: ModelSpec,
    speech_model: ModelSpec,
    text_splits: dict[str, Split],
    speech_splits: dict[str, Split],
    mm: dict[str, Split],
    fitter: BudgetFitter,
    *,
    confidence: str = "entropy",
) -> Outcome:
    """Fuse the text and speech models of the same budget and seed on the multimodal test set.

    Temperatures (and the ``concat_mlp`` head) are fitted on the multimodal validation split. The transcripts may
    also be text-task sentences (the demo corpus speaks its text sentences): the text model used here never trains
    or selects on a sentence that the fusion is validated or tested on.
    """
    from .fusion import fuse_modalities, fusion_checkpoint

    text_fit: BudgetFit = fitter.fit_budget(
        text_model, "text", text_splits, spec.budget, spec.seed, **multimodal_text_exclusions(mm)
    )
    speech_fit: BudgetFit = fitter.fit_budget(speech_model, "speech", speech_splits, spec.budget, spec.seed)
    names = mm["test"].label_names
    logits = {
        split: (text_fit.fitted.predict(mm[split]), speech_fit.fitted.predict(mm[split]))
        for split in ("validation", "test")
    }
    fused, info, head = fuse_modalities(
        spec.variant,
        logits["validation"],
        mm["validation"].labels,
        logits["test"],
        text_labels=text_splits["train"].label_names,
        speech_labels=names,
        seed=spec.seed,
        confidence=confidence,
    )
    selection = {"text": text_fit.fitted.selection, "speech": speech_fit.fitted.selection, **info}
    extra = {"n_train_text": len(text_fit.train_ids), "n_train_speech": len(speech_fit.train_ids)}
    train_ids = sorted(set(text_fit.train_ids) | set(speech_fit.train_ids))
    checkpoint = None
    if text_fit.fitted.model is not None and speech_fit.fitted.model is not None:
        full = fusion_checkpoint(head, text_fit.fitted.model, speech_fit.fitted.model)
        checkpoint = (full, [text_fit.fitted.processor, speech_fit.fitted.processor])
    return Outcome(
        mm["test"].ids,
        fused,
        mm["test"].labels,
        names,
        train_ids,
        selection=selection,
        extra=extra,
        checkpoint=checkpoint,
        fits={"text": text_fit.fitted, "speech": speech_fit.fitted},
    )


# --- hotline: grouped cross-validation ---------------------------------------------------------------------------


def hotline_folds(strat: list, groups: list, n_splits: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(train_pool, validation, test)`` index triples: test = fold k, validation = fold k+1, train = the rest.

    Folds are speaker-disjoint (``grouped_stratified_kfold``) and fixed across seeds, so seeds vary only the budget
    draw and the initialisation.
    """
    from sentiv_hf.data.budgets import grouped_stratified_kfold

    folds = grouped_stratified_kfold(strat, groups, n_splits=n_splits, seed=0)
    everything = np.arange(len(strat))
    out = []
    for k in range(n_splits):
        test = folds[k][1]
        val = folds[(k + 1) % n_splits][1]
        train = np.setdiff1d(everything, np.concatenate([test, val]))
        out.append((train, val, test))
    return out


def pooled_split(splits: dict[str, Split]) -> Split:
    """Every split of a config as one `Split` (the hotline tasks cross-validate over all of them)."""
    import datasets

    parts = [splits[s] for s in ("train", "validation", "test")]
    return Split(
        "all",
        [i for p in parts for i in p.ids],
        np.concatenate([p.labels for p in parts]),
        parts[0].label_names,
        datasets.concatenate_datasets([p.dataset for p in parts]),
        ids_hash([p.fingerprint for p in parts])[:16],
        multi_label=parts[0].multi_label,
        max_seconds=parts[0].max_seconds,
    )


def _class_counts_text(counts: np.ndarray, names: list[str]) -> str:
    return ", ".join(f"{int(c)} {n}" for c, n in zip(counts, names))


def hotline_class_warnings(splits: dict[str, Split], n_folds: int) -> list[str]:
    """Where a single-label hotline task has an empty class, described as ``"<where>: <count> <class>, ..."``: the
    whole config when a class never occurs at all (then every split and fold is one-class too), else each of its
    splits and each cross-validation fold's train pool, validation and test part that lacks a class.

    A class that never occurs makes the binary task one-class: every prediction of the remaining class is right and
    the scores (1.000) say nothing. An empty list means every part holds every class.

    Example:
        >>> hotline_class_warnings(load_task_splits("d", "speech", label_column="binary_label"), 5)  # doctest: +SKIP
        ['all 40 examples: 0 non-negative, 40 negative']
    """
    names = list(splits["train"].label_names)
    pooled = pooled_split(splits)
    labels = np.asarray(pooled.labels, dtype=np.int64)

    def counts(rows) -> np.ndarray:
        return np.bincount(labels[rows], minlength=len(names))

    everything = counts(np.arange(len(labels)))
    if (everything == 0).any():
        return [f"all {len(labels)} examples: {_class_counts_text(everything, names)}"]
    found = []
    start = 0
    for name in ("train", "validation", "test"):
        rows = np.arange(start, start + len(splits[name]))  # `pooled_split` concatenates the splits in this order
        start += len(splits[name])
        if (counts(rows) == 0).any():
            found.append(f"{name} split: {_class_counts_text(counts(rows), names)}")
    for k, parts in enumerate(hotline_folds(labels.tolist(), pooled.speaker_ids, n_folds)):
        for part, rows in zip(("train", "validation", "test"), parts):
            if (counts(rows) == 0).any():
                found.append(f"CV fold {k} {part}: {_class_counts_text(counts(rows), names)}")
    return found


def run_hotline(
    spec: RunSpec,
    model: ModelSpec,
    splits: dict[str, Split],
    fitter: BudgetFitter,
    *,
    n_folds: int,
    metric: str,
    variant: str = "segment",
) -> Outcome:
    """Grouped CV by ``speaker_id`` (the caller) on every split of the hotline config pooled together.

    Args:
        variant: one of `HOTLINE_VARIANTS`: ``segment`` classifies each segment alone (the study's setting);
            ``context`` trains a `SentiVContextModel` over the segments of whole calls (the budget's segments are
            labelled, the rest of the training calls is context); ``balanced`` is ``segment`` trained on the budget
            downsampled to its rarest class (by ``binary_label``; `balanced_indices`).
    """
    from sentiv_hf.data.budgets import balanced_indices, budget_indices

    if variant not in HOTLINE_VARIANTS:
        raise ValueError(f"Unknown hotline variant {variant!r}; choose from {list(HOTLINE_VARIANTS)}.")
    multi = spec.task == "hotline_multilabel"
    pooled = pooled_split(splits)
    modality = "speech" if pooled.has_audio else "text"
    labels = pooled.labels
    groups = pooled.speaker_ids
    if multi and "binary_label" in pooled.dataset.column_names:
        strat = list(pooled.dataset["binary_label"])
    elif multi:  # like label_budget: stratify multi-label rows on their first label (-1: no label)
        strat = [int(np.flatnonzero(row)[0]) if row.any() else -1 for row in labels]
    else:
        strat = [int(v) for v in labels]
    logits = np.zeros((len(pooled), len(pooled.label_names)), dtype=np.float64)
    fold_info, train_ids = [], []
    for k, (pool, val, test) in enumerate(hotline_folds(strat, groups, n_folds)):
        chosen = pool[budget_indices([strat[i] for i in pool], spec.budget, spec.seed)]
        if variant == "balanced":
            chosen = chosen[balanced_indices([strat[i] for i in chosen], spec.seed)]
        if variant == "context":
            fitted = fitter.fit_context_rows(
                model, pooled, chosen, pool, val, seed=spec.seed, metric=metric, multi_label=multi
            )
        else:
            fitted = fitter.fit_rows(
                model, modality, pooled, chosen, pooled, val, seed=spec.seed, metric=metric, multi_label=multi
            )
        logits[test] = fitted.predict(pooled)[test]
        fold_ids = [pooled.ids[i] for i in chosen]
        train_ids += fold_ids
        leaked = {groups[i] for i in chosen} & {groups[i] for i in test}
        fold_info.append(
            {
                "fold": k,
                "n_train": len(chosen),
                "n_validation": len(val),
                "n_test": len(test),
                "train_ids_sha256": ids_hash(fold_ids),
                "speaker_overlap": len(leaked),
                "selection_metric": metric,
                **fitted.selection,
            }
        )
    return Outcome(
        pooled.ids,
        logits,
        labels,
        pooled.label_names,
        sorted(set(train_ids)),
        multi_label=multi,
        selection={"folds": fold_info},
    )
