"""The protocol loop: tasks × models × label budgets × seeds, resumable through `ResultsStore`.

Example:
    >>> from sentiv_hf.benchmark import BenchmarkConfig, BenchmarkRunner
    >>> runner = BenchmarkRunner(BenchmarkConfig.from_preset("demo").with_overrides(out="demo-out"))  # doctest: +SKIP
    >>> records = runner.run()  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass
from importlib import metadata

import numpy as np
import torch

from .cache import FeatureCache
from .config import BenchmarkConfig
from .features import FeatureProvider, ModelSpec, parse_model
from .learners import Fitted, fit_learner
from .sources import Split, load_task_splits, resolve_dataset
from .store import ResultsStore
from .tasks import (
    HOTLINE_LABEL_COLUMN,
    TASK_FUNCTIONS,
    Outcome,
    evaluate_outcome,
    headline_metric,
    ids_hash,
    take_rows,
)

logger = logging.getLogger(__name__)

VERSION_PACKAGES = ("sentiv-hf", "torch", "torchaudio", "transformers", "datasets", "scikit-learn", "numpy")


@dataclass(frozen=True)
class RunSpec:
    """One (task, model, budget, seed) run; multimodal runs also name the fused pair and the fusion strategy."""

    task: str
    model: str
    budget: float
    seed: int
    variant: str | None = None
    text_model: str | None = None
    speech_model: str | None = None

    def key(self, protocol: str) -> str:
        return f"{self.task}|{self.model}|{self.budget:g}|{self.seed}|{protocol}"


def package_versions() -> dict[str, str]:
    """Versions of the packages that decide a result (recorded in every results line)."""
    versions = {"python": platform.python_version()}
    for name in VERSION_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def fusion_pairs(models: list[ModelSpec]) -> list[tuple[str, ModelSpec, ModelSpec]]:
    """Text/speech model pairs fused on the multimodal task: ``tiny``+``tiny``, the two baselines, and the i-th text
    checkpoint with the i-th speech checkpoint.

    Example:
        >>> [name for name, _, _ in fusion_pairs([parse_model(m) for m in ["tiny", "baseline:tfidf-logreg",
        ...                                                                  "baseline:mfcc-logreg"]])]
        ['tiny', 'baseline:tfidf+mfcc']
    """
    by_kind = {m.kind: m for m in models}
    pairs = []
    if "tiny" in by_kind:
        pairs.append(("tiny", by_kind["tiny"], by_kind["tiny"]))
    texts = [m for m in models if m.kind == "checkpoint" and "text" in m.modalities]
    speeches = [m for m in models if m.kind == "checkpoint" and "speech" in m.modalities]
    pairs += [(f"{t.name}+{s.name}", t, s) for t, s in zip(texts, speeches)]
    if "tfidf" in by_kind and "mfcc" in by_kind:
        pairs.append(("baseline:tfidf+mfcc", by_kind["tfidf"], by_kind["mfcc"]))
    return pairs


def summary_line(record: dict) -> str:
    """The one-line summary printed when a run finishes."""
    headline, metrics = record["headline_metric"], record["metrics"]
    accuracy = metrics.get("accuracy", metrics.get("subset_accuracy", float("nan")))
    return (
        f"[{record['task']}] {record['model']:<32} budget {record['budget']:>5.0%} seed {record['seed']}: "
        f"{headline} {metrics[headline]:.3f}  acc {accuracy:.3f}  n_train {record['n_train']:>5}  "
        f"{record['wall_time_s']:.1f}s"
    )


class BenchmarkRunner:
    """Runs a `BenchmarkConfig`, storing one line per finished run in ``OUT/results.jsonl``.

    Args:
        config: the benchmark.
        progress: show the tqdm bar and the one-line run summaries.
        stop_after: test hook: exit the process (no clean-up, like a kill) after this many runs were stored;
            0 runs everything.

    Example:
        >>> runner = BenchmarkRunner(BenchmarkConfig(tasks=["text"], models=["baseline:tfidf-logreg"],
        ...                                          budgets=[0.1, 1.0], seeds=2, out="out"))  # doctest: +SKIP
        >>> [spec.key(runner.protocol) for spec in runner.plan()][:1]  # doctest: +SKIP
        ['text|baseline:tfidf-logreg|0.1|0|3f2a...']
    """

    def __init__(self, config: BenchmarkConfig, *, progress: bool = True, stop_after: int = 0) -> None:
        self.config = config
        self.progress = progress
        self.out = config.out_dir
        self.store = ResultsStore(self.out / "results.jsonl")
        self.cache = FeatureCache(config.cache_path)
        self.protocol = config.protocol_hash()
        self._models = {m: parse_model(m, config.model_revisions) for m in config.models}
        self._splits: dict[tuple, dict[str, Split]] = {}
        self._fitted: dict[tuple, tuple[Fitted, list[str], dict[str, Split]]] = {}
        self._provider: FeatureProvider | None = None
        self.stop_after = stop_after
        self._versions: dict[str, str] | None = None

    # --- context used by the task functions ---------------------------------------------------------------------
    def model(self, name: str) -> ModelSpec:
        if name not in self._models:
            self._models[name] = parse_model(name, self.config.model_revisions)
        return self._models[name]

    def splits(self, config_name: str, *, label_column: str = "label", dataset: str | None = None) -> dict[str, Split]:
        """The train/validation/test `Split`s of a dataset config (loaded once)."""
        dataset = self.config.dataset if dataset is None else dataset
        key = (resolve_dataset(dataset), config_name, label_column)
        if key not in self._splits:
            self._splits[key] = load_task_splits(
                dataset, config_name, revision=self.config.dataset_revision, label_column=label_column
            )
        return self._splits[key]

    @property
    def provider(self) -> FeatureProvider:
        if self._provider is None:
            self._provider = FeatureProvider(
                self.cache,
                max_seconds=self.config.max_seconds,
                text_max_length=self.config.text_max_length,
                word_segmenter=self.config.word_segmenter,
            )
        return self._provider

    def _tokenizer_texts(self) -> list[str]:
        # The tiny tokenizer is trained on the text task's train texts, whatever task asks for text features.
        try:
            return self.splits(self.config.task_config("text"))["train"].texts
        except (FileNotFoundError, ValueError):
            return []

    def finetunes(self, model: ModelSpec) -> bool:
        """Whether ``model`` is trained end to end (``encoder: finetune|lora``) rather than as a head on features."""
        return self.config.encoder != "frozen" and not model.is_baseline

    def inputs(self, model: ModelSpec, modality: str, split: Split):
        """What ``model`` consumes for ``split``: raw texts (TF-IDF), cached features, or the split itself
        (fine-tune mode)."""
        if model.kind == "tfidf":
            return split.texts
        if self.finetunes(model):
            return split
        if model.kind == "tiny" and modality == "text" and self.provider.tokenizer_texts is None:
            self.provider.tokenizer_texts = self._tokenizer_texts() or split.texts
        return self.provider.features(model, modality, split)

    def train_ids(self, config_name: str, budget: float, seed: int, *, dataset: str | None = None) -> list[str]:
        """Ids of the nested, stratified budget of a config's train split that a run trains on."""
        from sentiv_hf.data.budgets import budget_indices

        train = self.splits(config_name, dataset=dataset)["train"]
        return [train.ids[i] for i in budget_indices(train.labels.tolist(), budget, seed)]

    def fit_on_budget(
        self,
        config_name: str,
        modality: str,
        model: ModelSpec,
        spec: RunSpec,
        *,
        dataset: str | None = None,
        exclude: Split | list[Split] | None = None,
    ):
        """Fit ``model`` on the ``spec.budget`` subset of a config's train split (memoised for fusion runs).

        Args:
            exclude: evaluation split(s) of *another* config (the multimodal transcripts): train and validation rows
                whose text also occurs there are dropped from this fit, so that a sentence the text model saw in
                training is never scored as a test example. The budget itself is drawn on the full train split, so
                budgets stay nested.

        Returns:
            ``(fitted, train_ids, splits)``.
        """
        from sentiv_hf.data.budgets import budget_indices
        from sentiv_hf.labels import normalize_label_key

        banned: set[str] = set()
        for split in [exclude] if isinstance(exclude, Split) else exclude or []:
            banned |= {normalize_label_key(t) for t in split.texts}
        key = (dataset, config_name, modality, model.name, spec.budget, spec.seed, hash(frozenset(banned)))
        if key in self._fitted:
            return self._fitted[key]
        splits = self.splits(config_name, dataset=dataset)
        train, val = splits["train"], splits["validation"]
        idx = budget_indices(train.labels.tolist(), spec.budget, spec.seed)
        n_budget = idx.size
        val_idx = np.arange(len(val))
        if banned:
            keep = np.asarray([normalize_label_key(train.texts[i]) not in banned for i in idx], dtype=bool)
            idx = idx[keep] if keep.any() else idx
            val_keep = np.asarray([normalize_label_key(t) not in banned for t in val.texts], dtype=bool)
            val_idx = val_idx[val_keep] if val_keep.any() else val_idx
        if self.finetunes(model):
            from .finetune import finetune_fit

            fitted = finetune_fit(
                model,
                modality,
                train,
                idx,
                val,
                val_idx,
                seed=spec.seed,
                epochs=self.config.epochs,
                learning_rate=self.config.learning_rate,
                batch_size=self.config.batch_size,
                out_dir=self.out / "finetune",
                lora=self.config.encoder == "lora",
                tokenizer_texts=self._tokenizer_texts() or train.texts,
                max_seconds=self.config.max_seconds,
                max_length=self.config.text_max_length,
                word_segmenter=self.config.word_segmenter,
            )
        else:
            x_train, x_val = self.inputs(model, modality, train), self.inputs(model, modality, val)
            fitted = fit_learner(
                model,
                take_rows(x_train, idx),
                train.labels[idx],
                take_rows(x_val, val_idx),
                val.labels[val_idx],
                num_labels=len(train.label_names),
                seed=spec.seed,
                epochs=self.config.epochs,
                learning_rate=self.config.learning_rate,
                batch_size=self.config.batch_size,
            )
            if banned:
                fitted.selection["excluded_overlap"] = {
                    "train": int(n_budget - idx.size),
                    "validation": int(len(val) - val_idx.size),
                }
        result = (fitted, [train.ids[i] for i in idx], splits)
        self._fitted[key] = result
        return result

    # --- planning -----------------------------------------------------------------------------------------------
    def _task_models(self, task: str) -> list[RunSpec]:
        """Model rows of one task (budget and seed left at 0)."""
        models = list(self._models.values())
        if task == "multimodal":
            return [
                RunSpec(task, f"{name} ({fusion})", 0.0, 0, fusion, t.name, s.name)
                for name, t, s in fusion_pairs(models)
                for fusion in self.config.fusion
            ]
        if task in ("text", "cross_modal"):
            modality = "text"
        elif task == "speech":
            modality = "speech"
        elif task == "cross_dataset":
            src = self.config.cross_dataset["train"]
            train = self.splits(src["config"], dataset=src.get("dataset", self.config.dataset))["train"]
            modality = "speech" if train.has_audio else "text"
        else:
            cfg = self.config.task_config(task)
            split = self.splits(cfg, label_column=HOTLINE_LABEL_COLUMN[task])["train"]
            modality = "speech" if split.has_audio else "text"
        return [RunSpec(task, m.name, 0.0, 0) for m in models if modality in m.modalities]

    def plan(self) -> list[RunSpec]:
        """Every run of the config, in order (task, model, budget, seed)."""
        runs = []
        for task in self.config.tasks:
            rows = self._task_models(task)
            if not rows:
                logger.warning("No model in %s applies to task %r; skipping it.", self.config.models, task)
            for row in rows:
                for budget in self.config.budgets:
                    for seed in self.config.seeds:
                        runs.append(dataclasses.replace(row, budget=budget, seed=seed))
        return runs

    # --- execution ----------------------------------------------------------------------------------------------
    def run_one(self, spec: RunSpec) -> dict:
        """Run one spec and build its results record (not stored)."""
        if self._versions is None:
            self._versions = package_versions()
        start = time.perf_counter()
        outcome: Outcome = TASK_FUNCTIONS[spec.task](self, spec)
        metrics, predictions = evaluate_outcome(outcome)
        return {
            "run_key": spec.key(self.protocol),
            "task": spec.task,
            "model": spec.model,
            "fusion": spec.variant,
            "text_model": spec.text_model,
            "speech_model": spec.speech_model,
            "budget": spec.budget,
            "seed": spec.seed,
            "headline_metric": headline_metric(spec.task),
            "dataset": self._test_source(spec.task),
            "model_revision": self.model(spec.model).revision if spec.task != "multimodal" else None,
            "label_names": list(outcome.label_names),
            "n_train": len(outcome.train_ids),
            "train_ids_sha256": ids_hash(outcome.train_ids),
            "n_test": len(outcome.ids),
            "metrics": metrics,
            "predictions": predictions,
            "selection": outcome.selection,
            "extra": outcome.extra,
            "wall_time_s": round(time.perf_counter() - start, 3),
            "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "config": self.config.to_dict(),
            "protocol_hash": self.protocol,
            "versions": self._versions,
        }

    def _test_source(self, task: str) -> dict:
        """Where a task's gold test labels live (what a submission of this task is validated against)."""
        if task == "cross_dataset":
            test, train = self.config.cross_dataset["test"], self.config.cross_dataset["train"]
            return {
                "path": resolve_dataset(test.get("dataset", self.config.dataset)),
                "revision": test.get("revision"),
                "config": test["config"],
                "trained_on": {
                    "path": resolve_dataset(train.get("dataset", self.config.dataset)),
                    "config": train["config"],
                },
            }
        return {
            "path": resolve_dataset(self.config.dataset),
            "revision": self.config.dataset_revision,
            "config": self.config.task_config(task),
        }

    def run(self) -> list[dict]:
        """Run every pending run, append each to the store, and return the records of this config's runs."""

        plan = self.plan()
        done = self.store.finished_keys()
        pending = [s for s in plan if s.key(self.protocol) not in done]
        logger.info(
            "%d runs planned, %d already finished, %d to run", len(plan), len(plan) - len(pending), len(pending)
        )
        if self.progress and len(plan) != len(pending):
            print(f"Resuming: {len(plan) - len(pending)} of {len(plan)} runs already in {self.store.path}.")
        # Heads, baselines and fusion are tiny models: one thread (torch and BLAS) avoids oversubscription on small
        # shared CPUs (measured on 2 busy cores: fusion MLP ~20x, TF-IDF logistic regression ~13x faster);
        # checkpoint encoders get all torch threads back (features.py).
        from threadpoolctl import threadpool_limits

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with threadpool_limits(limits=1):
                self._run_pending(pending)
        finally:
            torch.set_num_threads(threads)
        keys = {s.key(self.protocol) for s in plan}
        return [r for r in self.store.load() if r["run_key"] in keys]

    def _run_pending(self, pending: list[RunSpec]) -> None:
        from tqdm.auto import tqdm

        bar = tqdm(pending, desc="benchmark", unit="run", disable=not self.progress, dynamic_ncols=True)
        stored = 0
        for spec in bar:
            bar.set_postfix_str(f"{spec.task} {spec.model} {spec.budget:g} s{spec.seed}", refresh=False)
            record = self.run_one(spec)
            self.store.append(record)
            stored += 1
            if self.progress:
                bar.write(summary_line(record))
            if self.stop_after and stored >= self.stop_after:
                sys.stdout.flush()
                os._exit(3)  # simulate a kill between runs (test hook)
        bar.close()
