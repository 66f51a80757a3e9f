"""The protocol loop: tasks × models × label budgets × seeds, resumable through `ResultsStore`.

Example:
    >>> from sentiv_hf.benchmark import BenchmarkConfig, BenchmarkRunner
    >>> config = BenchmarkConfig.from_preset("demo").with_overrides(output_dir="demo-out")
    >>> runner = BenchmarkRunner(config)  # doctest: +SKIP
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
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import torch

from sentiv_hf.data.loading import Split, card_config_field, dataset_name, load_task_splits, resolve_dataset

from . import tasks
from .cache import FeatureCache
from .checkpoints import save_run_checkpoint
from .config import BenchmarkConfig
from .features import FeatureProvider
from .fitting import BudgetFitter
from .kinds import ModelSpec, parse_model
from .learners import TrainSettings
from .output import OutputLock, check_dataset_manifest, dataset_source
from .store import ResultsStore
from .tasks import (
    CALL_COLUMNS,
    HOTLINE_LABEL_COLUMN,
    ONE_CLASS_FIX,
    Outcome,
    evaluate_outcome,
    gold_class_counts,
    headline_metric,
    ids_hash,
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
    #: the ``models:`` entry a hotline variant row builds (its ``model`` reads ``"tiny (context)"``).
    base_model: str | None = None

    @property
    def model_entry(self) -> str:
        """The model this run builds (not for multimodal rows, which build ``text_model`` and ``speech_model``)."""
        return self.base_model or self.model

    def key(self, protocol: str, weights: str = "") -> str:
        """The run's key in the results store: the run, the protocol hash and the hash of the weights it starts from
        (so retraining a local checkpoint in place, or a moved Hub ``main``, re-runs it instead of resuming)."""
        return f"{self.task}|{self.model}|{self.budget:g}|{self.seed}|{protocol}" + (f"|{weights}" if weights else "")


def _has_checkpoint(record: dict, out: Path) -> bool:
    """Whether a finished run has its checkpoint folder, or says why it has none (baselines, hotline folds)."""
    if record.get("checkpoint_note"):
        return True
    return bool(record.get("checkpoint")) and (out / record["checkpoint"]).is_dir()


def run_slug(spec: RunSpec) -> str:
    """A folder name for a run's checkpoint: task, model, fusion, budget and seed, filesystem-safe.

    Example:
        >>> run_slug(RunSpec("text", "vinai/phobert-base", 0.1, 2))
        'text--vinai--phobert-base--b0.1--s2'
        >>> run_slug(RunSpec("multimodal", "tiny (average)", 1.0, 0, "average", "tiny", "tiny"))
        'multimodal--tiny-average--b1--s0'
    """
    import re

    model = spec.model.replace(" (", "-").rstrip(")")  # "tiny (average)" -> "tiny-average"
    parts = [spec.task, model.replace("/", "--")]
    parts += [f"b{spec.budget:g}", f"s{spec.seed}"]
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", "--".join(parts)).strip("-")


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
    """Text/speech model pairs fused on the multimodal task: the i-th neural text model with the i-th neural speech
    model (``tiny`` is both, so it fuses with itself), and the i-th text baseline with the i-th speech baseline.

    Example:
        >>> [name for name, _, _ in fusion_pairs([parse_model(m) for m in ["tiny", "baseline:tfidf-logreg",
        ...                                                                  "baseline:mfcc-logreg"]])]
        ['tiny', 'baseline:tfidf+mfcc']
    """
    pairs = []
    for baseline in (False, True):
        texts = [m for m in models if m.is_baseline == baseline and "text" in m.modalities]
        speeches = [m for m in models if m.is_baseline == baseline and "speech" in m.modalities]
        for t, s in zip(texts, speeches):
            if baseline:
                name = f"baseline:{t.fusion_tag}+{s.fusion_tag}"
            else:
                name = t.name if t.name == s.name else f"{t.name}+{s.name}"
            pairs.append((name, t, s))
    return pairs


def summary_line(record: dict) -> str:
    """The one-line summary printed when a run finishes (``†``: a class is empty in the task's data)."""
    headline, metrics = record["headline_metric"], record["metrics"]
    accuracy = metrics.get("accuracy", metrics.get("subset_accuracy", float("nan")))
    mark = " † (a class is empty: not meaningful)" if record.get("class_warnings") else ""
    return (
        f"[{record['task']}] {record['model']:<32} budget {record['budget']:>5.0%} seed {record['seed']}: "
        f"{headline} {metrics[headline]:.3f}{mark}  acc {accuracy:.3f}  n_train {record['n_train']:>5}  "
        f"{record['wall_time_s']:.1f}s"
    )


class BenchmarkRunner:
    """Runs a `BenchmarkConfig`, storing one line per finished run in ``OUTPUT_DIR/results.jsonl``.

    `run` holds the output folder's lock (`OutputLock`) and refuses a folder that holds results of another dataset
    (`check_dataset_manifest`).

    Args:
        config: the benchmark.
        progress: show the tqdm bar and the one-line run summaries.
        stop_after: test hook: exit the process (no clean-up, like a kill) after this many runs were stored;
            0 runs everything.
        save_models: write every text, speech and multimodal run as a checkpoint folder under
            ``OUTPUT_DIR/models/`` and record its path in the run's results line (``sentiv benchmark --save-models``).

    Example:
        >>> runner = BenchmarkRunner(BenchmarkConfig(tasks=["text"], models=["baseline:tfidf-logreg"],
        ...                                          budgets=[0.1, 1.0], seeds=2, output_dir="out"))  # doctest: +SKIP
        >>> [runner.run_key(spec) for spec in runner.plan()][:1]  # doctest: +SKIP
        ['text|baseline:tfidf-logreg|0.1|0|3f2a...']
    """

    def __init__(
        self, config: BenchmarkConfig, *, progress: bool = True, stop_after: int = 0, save_models: bool = False
    ) -> None:
        self.config = config
        self.progress = progress
        self.save_models = save_models
        self.out = config.out_dir
        self.store = ResultsStore(self.out / "results.jsonl")
        self.lock = OutputLock(self.out)
        self.cache = FeatureCache(config.cache_path)
        self.protocol = config.protocol_hash()
        self._models = {m: parse_model(m, config.model_revisions) for m in config.models}
        # Runs name their models by `ModelSpec.name` ("vinai/phobert-base" for "text:vinai/phobert-base"); looking
        # them up by that name keeps the modality the entry was written with (no config download to guess it).
        self._by_name = {spec.name: spec for spec in self._models.values()}
        self._class_warnings: dict[str, list[str]] = {}
        self._splits: dict[tuple, dict[str, Split]] = {}
        self.provider = FeatureProvider(
            self.cache,
            max_seconds=config.default_max_seconds,
            text_max_length=config.text_max_length,
            word_segmenter=config.word_segmenter,
        )
        self.fitter = BudgetFitter(
            TrainSettings(
                encoder=config.encoder,
                epochs=config.epochs,
                learning_rate=config.learning_rate,
                batch_size=config.batch_size,
                max_seconds=config.default_max_seconds,
                text_max_length=config.text_max_length,
                word_segmenter=config.word_segmenter,
                work_dir=self.out / "work",
            ),
            self.provider,
        )
        self.stop_after = stop_after
        self._versions: dict[str, str] | None = None

    def run_key(self, spec: RunSpec) -> str:
        """``spec``'s key: the run, the protocol and the identity of the weights of its model(s)."""
        from .cache import fingerprint

        names = [spec.text_model, spec.speech_model] if spec.task == "multimodal" else [spec.model_entry]
        identities = {name: self.model(name).weights_identity() for name in names}
        identities = {k: v for k, v in identities.items() if v}
        return spec.key(self.protocol, fingerprint(identities)[:12] if identities else "")

    def model(self, name: str) -> ModelSpec:
        """The parsed model of a run's model name (or of a ``models:`` entry)."""
        spec = self._by_name.get(name) or self._models.get(name)
        if spec is None:
            spec = self._models[name] = parse_model(name, self.config.model_revisions)
            self._by_name.setdefault(spec.name, spec)
        return spec

    def splits(
        self,
        config_name: str,
        *,
        label_column: str = "label",
        dataset: str | None = None,
        revision: str | None = None,
    ) -> dict[str, Split]:
        """The train/validation/test `Split`s of a dataset config (loaded once).

        Args:
            dataset: the dataset (default: the config's ``dataset``, at ``dataset_revision``).
            revision: the revision of ``dataset`` when it is another one (cross-dataset sources name their own).
        """
        if dataset is None:
            dataset, revision = self.config.dataset, self.config.dataset_revision
        key = (resolve_dataset(dataset), revision, config_name, label_column)
        if key not in self._splits:
            splits = load_task_splits(dataset, config_name, revision=revision, label_column=label_column)
            segments = card_config_field(dataset, "segments", config_name, revision) or {}
            crop = self.config.config_max_seconds(config_name, segments.get("max_seconds"))
            if crop != self.config.default_max_seconds:
                splits = {name: dataclasses.replace(split, max_seconds=crop) for name, split in splits.items()}
            self._splits[key] = splits
        return self._splits[key]

    def _dataset_configs(self) -> dict[str, str]:
        """``{config: label column}`` of every config of the benchmark's dataset that its tasks read (cross-dataset
        sources that name another dataset are recorded in their results lines instead)."""
        cfg = self.config
        reads = {"multimodal": ("text", "speech", "multimodal"), "cross_modal": ("text", "cross_modal")}
        needed: dict[str, str] = {}
        for task in cfg.tasks:
            if task == "cross_dataset":
                for side in ("train", "test"):
                    if "dataset" not in cfg.cross_dataset[side]:
                        needed.setdefault(cfg.cross_dataset[side]["config"], "label")
            elif task in HOTLINE_LABEL_COLUMN:
                needed.setdefault(cfg.task_config(task), HOTLINE_LABEL_COLUMN[task])
            else:
                for read in reads.get(task, (task,)):
                    needed.setdefault(cfg.task_config(read), "label")
        return needed

    def dataset_manifest(self) -> dict:
        """What identifies the benchmark's dataset: source, name, revision and a fingerprint per config it reads
        (what `check_dataset_manifest` compares with the output folder's ``dataset.json``)."""
        fingerprints = {}
        for config_name, label_column in self._dataset_configs().items():
            splits = self.splits(config_name, label_column=label_column)
            digest = ids_hash([f"{name}:{split.fingerprint}" for name, split in splits.items()])
            fingerprints[config_name] = digest[:16]
        return {
            "source": dataset_source(self.config.dataset),
            "name": dataset_name(self.config.dataset),
            "revision": self.config.dataset_revision,
            "fingerprints": fingerprints,
        }

    def class_warnings(self, task: str) -> list[str]:
        """Where the data of a ``hotline_binary`` task has an empty class (`tasks.hotline_class_warnings`), logged
        once as a warning; ``[]`` for other tasks. Each run of the task records it, and the tables mark it ``†``."""
        if task != "hotline_binary":
            return []
        if task not in self._class_warnings:
            splits = self.splits(self.config.task_config(task), label_column=HOTLINE_LABEL_COLUMN[task])
            found = tasks.hotline_class_warnings(splits, self.config.hotline_folds)
            if found:
                logger.warning(
                    "Task %s on dataset %s (config %r) has an empty class in: %s. Its scores are not meaningful "
                    "(marked † in the tables); %s.",
                    task,
                    dataset_name(self.config.dataset),
                    self.config.task_config(task),
                    "; ".join(found),
                    ONE_CLASS_FIX,
                )
            self._class_warnings[task] = found
        return self._class_warnings[task]

    def _source_splits(self, source: dict) -> dict[str, Split]:
        """Splits of a ``cross_dataset`` source ``{dataset, revision, config}`` at its own revision."""
        if "dataset" not in source:
            return self.splits(source["config"])
        return self.splits(source["config"], dataset=source["dataset"], revision=source.get("revision"))

    def train_ids(self, config_name: str, budget: float, seed: int, *, dataset: str | None = None) -> list[str]:
        """Ids of the nested, stratified budget of a config's train split that a run trains on."""
        from sentiv_hf.data.budgets import budget_indices

        train = self.splits(config_name, dataset=dataset)["train"]
        return [train.ids[i] for i in budget_indices(train.labels.tolist(), budget, seed)]

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
            train = self._source_splits(self.config.cross_dataset["train"])["train"]
            modality = "speech" if train.has_audio else "text"
        else:
            cfg = self.config.task_config(task)
            split = self.splits(cfg, label_column=HOTLINE_LABEL_COLUMN[task])["train"]
            modality = "speech" if split.has_audio else "text"
            return self._hotline_rows(task, [m for m in models if modality in m.modalities], split)
        return [RunSpec(task, m.name, 0.0, 0) for m in models if modality in m.modalities]

    def _hotline_rows(self, task: str, models: list[ModelSpec], split: Split) -> list[RunSpec]:
        """One row per model and `BenchmarkConfig.hotline_variants` entry: ``tiny`` (segment), ``tiny (context)``,
        ``tiny (balanced)``. The context variant needs call columns and a frozen neural model; where it cannot run,
        a warning says why and the row is left out."""
        rows = []
        for m in models:
            for variant in self.config.hotline_variants:
                if variant == "context":
                    missing = [c for c in CALL_COLUMNS if c not in split.dataset.column_names]
                    why = (
                        "it is a baseline (no segment encoder)"
                        if m.is_baseline
                        else f"encoder {self.config.encoder!r} is not frozen"
                        if self.config.encoder != "frozen"
                        else f"config {self.config.task_config(task)!r} has no {missing} columns (build a calls "
                        "config with `sentiv data build-calls`)"
                        if missing
                        else ""
                    )
                    if why:
                        logger.warning("%s: no context variant for %s: %s.", task, m.name, why)
                        continue
                name = m.name if variant == "segment" else f"{m.name} ({variant})"
                rows.append(RunSpec(task, name, 0.0, 0, variant, base_model=m.name))
        return rows

    def plan(self) -> list[RunSpec]:
        """Every run of the config, in order (task, model, budget, seed; the fusion strategies of one model pair,
        budget and seed run one after the other, so they share the text and speech models just fitted)."""
        runs = []
        for task in self.config.tasks:
            rows = self._task_models(task)
            if not rows:
                logger.warning("No model in %s applies to task %r; skipping it.", self.config.models, task)
            pairs = list(dict.fromkeys((row.text_model, row.speech_model) for row in rows))
            for pair in pairs:
                for budget in self.config.budgets:
                    for seed in self.config.seeds:
                        for row in rows:
                            if (row.text_model, row.speech_model) == pair:
                                runs.append(dataclasses.replace(row, budget=budget, seed=seed))
        return runs

    # --- execution ----------------------------------------------------------------------------------------------
    def outcome(self, spec: RunSpec) -> Outcome:
        """Run the task of ``spec`` with its explicit inputs."""
        cfg, fitter = self.config, self.fitter
        if spec.task in ("text", "speech"):
            splits = self.splits(cfg.task_config(spec.task))
            return tasks.run_supervised(spec, self.model(spec.model), spec.task, splits, fitter)
        if spec.task == "multimodal":
            return tasks.run_multimodal(
                spec,
                self.model(spec.text_model),
                self.model(spec.speech_model),
                self.splits(cfg.task_config("text")),
                self.splits(cfg.task_config("speech")),
                self.splits(cfg.task_config("multimodal")),
                fitter,
                confidence=cfg.confidence,
            )
        if spec.task == "cross_modal":
            test = self.splits(cfg.task_config("cross_modal"))["test"]
            return tasks.run_cross_modal(
                spec, self.model(spec.model), self.splits(cfg.task_config("text")), test, fitter
            )
        if spec.task == "cross_dataset":
            train = self._source_splits(cfg.cross_dataset["train"])
            test = self._source_splits(cfg.cross_dataset["test"])["test"]
            return tasks.run_cross_dataset(spec, self.model(spec.model), train, test, fitter)
        splits = self.splits(cfg.task_config(spec.task), label_column=HOTLINE_LABEL_COLUMN[spec.task])
        return tasks.run_hotline(
            spec,
            self.model(spec.model_entry),
            splits,
            fitter,
            n_folds=cfg.hotline_folds,
            metric=headline_metric(spec.task),
            variant=spec.variant or "segment",
        )

    def run_one(self, spec: RunSpec) -> dict:
        """Run one spec and build its results record (not stored); with ``save_models``, write its checkpoint."""
        if self._versions is None:
            self._versions = package_versions()
        start = time.perf_counter()
        outcome = self.outcome(spec)
        metrics, predictions = evaluate_outcome(outcome)
        record = {
            "run_key": self.run_key(spec),
            "task": spec.task,
            "model": spec.model,
            "fusion": spec.variant if spec.task == "multimodal" else None,
            "variant": spec.variant if spec.task.startswith("hotline_") else None,
            "text_model": spec.text_model,
            "speech_model": spec.speech_model,
            "budget": spec.budget,
            "seed": spec.seed,
            "headline_metric": headline_metric(spec.task),
            "dataset": self._test_source(spec.task),
            "model_revision": self.model(spec.model_entry).revision if spec.task != "multimodal" else None,
            "label_names": list(outcome.label_names),
            "n_train": len(outcome.train_ids),
            "train_ids_sha256": ids_hash(outcome.train_ids),
            "n_test": len(outcome.ids),
            "test_class_counts": gold_class_counts(outcome),
            "class_warnings": self.class_warnings(spec.task),
            "metrics": metrics,
            "predictions": predictions,
            "selection": outcome.selection,
            "extra": outcome.extra,
            "checkpoint": None,
            "wall_time_s": None,
            "finished_at": None,
            "config": self.config.recorded(),
            "protocol_hash": self.protocol,
            "versions": self._versions,
        }
        if self.save_models:
            record["checkpoint"] = self._save_checkpoint(spec, outcome, record)
        record["wall_time_s"] = round(time.perf_counter() - start, 3)
        record["finished_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        return record

    def _save_checkpoint(self, spec: RunSpec, outcome: Outcome, record: dict) -> str | None:
        """Write the run's checkpoint under ``OUTPUT_DIR/models/``; return its path relative to OUTPUT_DIR, or None."""
        if outcome.checkpoint is None:
            reason = (
                "a scikit-learn baseline has no transformers checkpoint"
                if self.model(spec.model_entry if spec.task != "multimodal" else spec.text_model).is_baseline
                or (spec.speech_model and self.model(spec.speech_model).is_baseline)
                else f"{spec.task} runs are not saved (one model per cross-validation fold or a borrowed model)"
            )
            record["checkpoint_note"] = reason
            return None
        relative = Path("models") / run_slug(spec)
        save_run_checkpoint(outcome, self.out / relative, record, self._test_source(spec.task))
        return relative.as_posix()

    def _test_source(self, task: str) -> dict:
        """Where a task's gold test labels live (what a submission of this task is validated against)."""
        if task == "cross_dataset":
            test, train = self.config.cross_dataset["test"], self.config.cross_dataset["train"]
            test_dataset, train_dataset = (
                test.get("dataset", self.config.dataset),
                train.get("dataset", self.config.dataset),
            )
            return {
                "path": resolve_dataset(test_dataset),
                "name": dataset_name(test_dataset),
                "revision": test.get("revision") if "dataset" in test else self.config.dataset_revision,
                "config": test["config"],
                "trained_on": {
                    "path": resolve_dataset(train_dataset),
                    "name": dataset_name(train_dataset),
                    "revision": train.get("revision") if "dataset" in train else self.config.dataset_revision,
                    "config": train["config"],
                },
            }
        return {
            "path": resolve_dataset(self.config.dataset),
            "name": dataset_name(self.config.dataset),
            "revision": self.config.dataset_revision,
            "config": self.config.task_config(task),
        }

    def run(self) -> list[dict]:
        """Run every pending run, append each to the store, and return the records of this config's runs.

        Holds the output folder's lock throughout (`OutputLock`: a second process on the folder gets a `UserError`)
        and first checks that the folder holds no results of another dataset (`check_dataset_manifest`).
        """
        with self.lock:
            check_dataset_manifest(self.out, self.dataset_manifest())
            for task in self.config.tasks:
                self.class_warnings(task)  # warn before hours of runs, not after
            return self._run_plan()

    def _run_plan(self) -> list[dict]:
        plan = self.plan()
        done = self.store.finished_keys()
        pending = [s for s in plan if self.run_key(s) not in done]
        logger.info(
            "%d runs planned, %d already finished, %d to run", len(plan), len(plan) - len(pending), len(pending)
        )
        if self.progress and len(plan) != len(pending):
            print(f"Resuming: {len(plan) - len(pending)} of {len(plan)} runs already in {self.store.path}.")
        if self.save_models:
            keys = {self.run_key(s) for s in plan}
            unsaved = [r for r in self.store.load() if r["run_key"] in keys and not _has_checkpoint(r, self.out)]
            if unsaved:
                logger.warning(
                    "%d finished runs in %s were run without --save-models and are not run again, so they have no "
                    "checkpoint; use a new --output_dir folder to save every run's model.",
                    len(unsaved),
                    self.out,
                )
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
        # In plan order whatever order the runs finished in (workers, resumption), so that tables are identical.
        order = {self.run_key(s): i for i, s in enumerate(plan)}
        return sorted((r for r in self.store.load() if r["run_key"] in order), key=lambda r: order[r["run_key"]])

    def _run_pending(self, pending: list[RunSpec]) -> None:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(pending), desc="benchmark", unit="run", disable=not self.progress, dynamic_ncols=True)
        stored = 0
        for spec, record in self._records(pending):
            bar.set_postfix_str(f"{spec.task} {spec.model} {spec.budget:g} s{spec.seed}", refresh=False)
            self.store.append(record)
            bar.update()
            stored += 1
            if self.progress:
                bar.write(summary_line(record))
            if self.stop_after and stored >= self.stop_after:
                sys.stdout.flush()
                os._exit(3)  # simulate a kill between runs (test hook)
        bar.close()

    def _records(self, pending: list[RunSpec]) -> Iterator[tuple[RunSpec, dict]]:
        """``(spec, record)`` of every pending run, in plan order.

        With ``workers > 1``, the first pending run of each (task, models, variant) group runs here first: it fills
        the feature cache (and trains the tiny tokenizer) once; the rest of the group then runs in ``workers``
        spawned processes, each with its own `BenchmarkRunner` reading that cache. A run depends only on its spec
        (its seed, its budget's ids, the cached features), so its record is the same in any process.
        """
        if self.config.workers <= 1 or len(pending) < 2:
            for spec in pending:
                yield spec, self.run_one(spec)
            return
        firsts: dict[tuple, RunSpec] = {}
        for spec in pending:
            firsts.setdefault((spec.task, spec.model, spec.text_model, spec.speech_model, spec.variant), spec)
        warm = list(firsts.values())
        rest = [spec for spec in pending if spec not in warm]
        for spec in warm:
            yield spec, self.run_one(spec)
        if not rest:
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        workers = min(self.config.workers, len(rest))
        context = multiprocessing.get_context("spawn")  # fork after torch's thread pools start can deadlock
        setup = {"initializer": _start_worker, "initargs": (self.config, self.save_models)}
        with ProcessPoolExecutor(workers, mp_context=context, **setup) as pool:
            yield from zip(rest, pool.map(_run_in_worker, rest))


#: The runner of a worker process (`BenchmarkRunner._records`), and its BLAS thread limit (kept alive).
_WORKER: BenchmarkRunner | None = None
_WORKER_LIMITS = None


def _start_worker(config: BenchmarkConfig, save_models: bool) -> None:
    """Set up a worker process: the parent's config, one thread for heads as in the parent, no progress output."""
    global _WORKER, _WORKER_LIMITS
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    _WORKER_LIMITS = threadpool_limits(limits=1)
    _WORKER = BenchmarkRunner(config, progress=False, save_models=save_models)


def _run_in_worker(spec: RunSpec) -> dict:
    return _WORKER.run_one(spec)
