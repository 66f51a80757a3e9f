"""The benchmark tasks. Each ``run_<task>`` trains on one (budget, seed) and returns the test outcome.

* ``text`` / ``speech``: train on the nested budget of the config's train split, select on validation, test once.
* ``multimodal``: fuse the text and speech heads of the same budget and seed on the multimodal test set
  (``average``, ``concat_mlp``, ``uncertainty``; temperatures and the concat MLP are fitted on validation).
* ``cross_modal``: the text model of task A evaluated on the speech transcripts (7 → 6 labels, Disgust → Anger).
* ``cross_dataset``: train on one dataset/config, test on another with the same label space.
* ``hotline_binary`` / ``hotline_multilabel``: grouped k-fold CV by ``speaker_id`` (validation = the next fold),
  budgets taken inside each fold's training part, predictions pooled over folds; weighted-F1 is the headline.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

import numpy as np

from .learners import Fitted, fit_learner, probabilities, to_logits

logger = logging.getLogger(__name__)

HEADLINE: dict[str, str] = {"hotline_binary": "weighted_f1", "hotline_multilabel": "weighted_f1"}
HOTLINE_LABEL_COLUMN = {"hotline_binary": "binary_label", "hotline_multilabel": "labels"}


def headline_metric(task: str) -> str:
    """The metric a task is ranked by: weighted-F1 for the hotline tasks, macro-F1 otherwise."""
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


def evaluate_outcome(outcome: Outcome) -> tuple[dict, dict]:
    """Metrics from the package's metrics module and the predictions keyed by id.

    Returns:
        ``(metrics, predictions)``: predictions map each test id to a label name (or a list of names).
    """
    from sentiv_hf.metrics import compute_classification_metrics, compute_multilabel_metrics

    probs = probabilities(outcome.logits, outcome.multi_label)
    names = outcome.label_names
    if outcome.multi_label:
        metrics = compute_multilabel_metrics(probs, outcome.gold, label_names=names)
        predicted = probs >= 0.5
        predictions = {i: [names[j] for j in np.flatnonzero(row)] for i, row in zip(outcome.ids, predicted)}
    else:
        pred = probs.argmax(axis=-1)
        metrics = compute_classification_metrics(pred, outcome.gold, label_names=names, probabilities=probs)
        predictions = {i: names[int(p)] for i, p in zip(outcome.ids, pred)}
    return _plain(metrics), predictions


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


# --- single-source tasks ----------------------------------------------------------------------------------------


def run_supervised(ctx, spec) -> Outcome:
    """``text`` and ``speech``: budget of the train split → validation selection → test."""
    modality = "text" if spec.task == "text" else "speech"
    model = ctx.model(spec.model)
    fitted, train_ids, splits = ctx.fit_on_budget(ctx.config.task_config(spec.task), modality, model, spec)
    test = splits["test"]
    logits = fitted.predict(ctx.inputs(model, modality, test))
    return Outcome(test.ids, logits, test.labels, test.label_names, train_ids, selection=fitted.selection)


def run_cross_modal(ctx, spec) -> Outcome:
    """The text model of task A on the transcripts of the multimodal test set, mapped onto the speech labels."""
    model = ctx.model(spec.model)
    test = ctx.splits(ctx.config.task_config("cross_modal"))["test"]
    fitted, train_ids, text_splits = ctx.fit_on_budget(
        ctx.config.task_config("text"), "text", model, spec, exclude=test
    )
    text_probs = probabilities(fitted.predict(ctx.inputs(model, "text", test)), False)
    aligned = align_probs(text_probs, text_splits["train"].label_names, test.label_names)
    return Outcome(
        test.ids,
        to_logits(aligned, False),
        test.labels,
        test.label_names,
        train_ids,
        selection=fitted.selection,
    )


def run_cross_dataset(ctx, spec) -> Outcome:
    """Train (and select) on ``cross_dataset.train``; test on the test split of ``cross_dataset.test``."""
    cd = ctx.config.cross_dataset
    model = ctx.model(spec.model)
    train_src, test_src = cd["train"], cd["test"]
    train_splits = ctx.splits(train_src["config"], dataset=train_src.get("dataset", ctx.config.dataset))
    test = ctx.splits(test_src["config"], dataset=test_src.get("dataset", ctx.config.dataset))["test"]
    if list(test.label_names) != list(train_splits["train"].label_names):
        raise ValueError(
            f"cross_dataset: the label spaces differ: train {train_splits['train'].label_names} vs test "
            f"{test.label_names}; both configs need the same ClassLabel names in the same order."
        )
    modality = "speech" if train_splits["train"].has_audio else "text"
    fitted, train_ids, _ = ctx.fit_on_budget(
        train_src["config"], modality, model, spec, dataset=train_src.get("dataset", ctx.config.dataset)
    )
    logits = fitted.predict(ctx.inputs(model, modality, test))
    return Outcome(test.ids, logits, test.labels, test.label_names, train_ids, selection=fitted.selection)


# --- multimodal fusion ------------------------------------------------------------------------------------------


def align_probs(text_probs: np.ndarray, text_names: list[str], speech_names: list[str]) -> np.ndarray:
    """Map text-label probabilities onto the speech labels by name (Disgust → Anger), via the models' helper."""
    import torch

    from sentiv_hf.models.fusion_strategies import align_text_probs

    aligned = align_text_probs(torch.as_tensor(text_probs, dtype=torch.float64), text_names, speech_names)
    return aligned.numpy()


def run_multimodal(ctx, spec) -> Outcome:
    """Fuse the text and speech runs of the same budget and seed on the multimodal test set."""
    from .fusion import fuse_modalities

    text_model, speech_model = ctx.model(spec.text_model), ctx.model(spec.speech_model)
    mm = ctx.splits(ctx.config.task_config("multimodal"))
    # The transcripts may also be text-task sentences (the demo corpus speaks its text sentences): the text head used
    # here never trains or selects on a sentence that the fusion is validated or tested on.
    text_fit, text_ids, text_splits = ctx.fit_on_budget(
        ctx.config.task_config("text"), "text", text_model, spec, exclude=[mm["validation"], mm["test"]]
    )
    speech_fit, speech_ids, _ = ctx.fit_on_budget(ctx.config.task_config("speech"), "speech", speech_model, spec)
    names = mm["test"].label_names
    logits = {
        split: (
            text_fit.predict(ctx.inputs(text_model, "text", mm[split])),
            speech_fit.predict(ctx.inputs(speech_model, "speech", mm[split])),
        )
        for split in ("validation", "test")
    }
    fused, info = fuse_modalities(
        spec.variant,
        logits["validation"],
        mm["validation"].labels,
        logits["test"],
        text_labels=text_splits["train"].label_names,
        speech_labels=names,
        seed=spec.seed,
    )
    selection = {"text": text_fit.selection, "speech": speech_fit.selection, **info}
    extra = {"n_train_text": len(text_ids), "n_train_speech": len(speech_ids)}
    train_ids = sorted(set(text_ids) | set(speech_ids))
    return Outcome(mm["test"].ids, fused, mm["test"].labels, names, train_ids, selection=selection, extra=extra)


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


def run_hotline(ctx, spec) -> Outcome:
    """Grouped CV by ``speaker_id`` on every split of the hotline config pooled together."""
    from sentiv_hf.data.budgets import budget_indices

    label_column = HOTLINE_LABEL_COLUMN[spec.task]
    multi = spec.task == "hotline_multilabel"
    splits = ctx.splits(ctx.config.task_config(spec.task), label_column=label_column)
    parts = [splits[s] for s in ("train", "validation", "test")]
    modality = "speech" if parts[0].has_audio else "text"
    model = ctx.model(spec.model)
    if ctx.finetunes(model):
        raise NotImplementedError(
            f"{spec.task} runs its grouped cross-validation on cached features; use encoder: frozen for it "
            "(fine-tune mode covers text, speech, multimodal, cross_modal and cross_dataset)."
        )
    ids = [i for p in parts for i in p.ids]
    labels = np.concatenate([p.labels for p in parts])
    groups = [g for p in parts for g in p.speaker_ids]
    if multi and "binary_label" in parts[0].dataset.column_names:
        strat = [b for p in parts for b in p.dataset["binary_label"]]
    elif multi:  # like label_budget: stratify multi-label rows on their first label (-1: no label)
        strat = [int(np.flatnonzero(row)[0]) if row.any() else -1 for row in labels]
    else:
        strat = [int(v) for v in labels]
    inputs = [ctx.inputs(model, modality, p) for p in parts]
    x_all = [t for chunk in inputs for t in chunk] if model.kind == "tfidf" else np.concatenate(inputs)
    names = parts[0].label_names
    logits = np.zeros((len(ids), len(names)), dtype=np.float64)
    fold_info, train_ids = [], []
    for k, (pool, val, test) in enumerate(hotline_folds(strat, groups, ctx.config.hotline_folds)):
        chosen = pool[budget_indices([strat[i] for i in pool], spec.budget, spec.seed)]
        fitted: Fitted = fit_learner(
            model,
            take_rows(x_all, chosen),
            labels[chosen],
            take_rows(x_all, val),
            labels[val],
            num_labels=len(names),
            seed=spec.seed,
            headline="weighted_f1",
            multi_label=multi,
            epochs=ctx.config.epochs,
            learning_rate=ctx.config.learning_rate,
            batch_size=ctx.config.batch_size,
        )
        logits[test] = fitted.predict(take_rows(x_all, test))
        fold_ids = [ids[i] for i in chosen]
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
                **fitted.selection,
            }
        )
    return Outcome(
        ids, logits, labels, names, sorted(set(train_ids)), multi_label=multi, selection={"folds": fold_info}
    )


def take_rows(x, idx: np.ndarray):
    """Rows ``idx`` of a feature array or of a list (raw texts for TF-IDF)."""
    return [x[i] for i in idx] if isinstance(x, list) else x[idx]


TASK_FUNCTIONS = {
    "text": run_supervised,
    "speech": run_supervised,
    "multimodal": run_multimodal,
    "cross_modal": run_cross_modal,
    "cross_dataset": run_cross_dataset,
    "hotline_binary": run_hotline,
    "hotline_multilabel": run_hotline,
}
