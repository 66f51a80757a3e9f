"""Loading a saved checkpoint for inference and running it over a dataset split, the way training scored it.

``sentiv evaluate`` and ``sentiv predict`` use these functions, so a checkpoint is scored with the preprocessing it
was trained with (`sentiv_hf.training.preprocessing`) and through the same Trainer (`SentiVTrainer.predict`).
Errors the user can fix raise `sentiv_hf.errors.UserError`.

Example:
    >>> parts = load_for_inference("out/speech")  # doctest: +SKIP
    >>> prepared, collator = prepare_split(splits["test"], parts, label_column="label")  # doctest: +SKIP
    >>> logits, label_ids = predict_logits(parts, prepared, collator)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sentiv_hf.errors import UserError
from sentiv_hf.hub_errors import hub_access

logger = logging.getLogger(__name__)

#: The dataset config each task reads by default.
TASK_DATASET_CONFIGS = {"text": "text", "speech": "speech", "fusion": "multimodal", "context": "calls"}

#: The tasks `load_for_inference` loads by default (``sentiv predict``, ``sentiv evaluate``).
INFERENCE_TASKS = ("text", "speech", "fusion")
#: The model type of a whole-call checkpoint (`SentiVContextModel`); ``sentiv predict-call`` runs it.
CONTEXT_MODEL_TYPE = "sentiv-context"

#: The file ``sentiv train`` writes next to a checkpoint: the dataset, config and ids the run trained on.
TRAIN_RECORD = "train_ids.json"
#: How that file names the bundled demo corpus (``sentiv train`` without ``--dataset``).
DEMO_DATASET = "demo"


@dataclass(frozen=True)
class TrainingDataset:
    """The dataset a checkpoint records it was trained on (see `recorded_training_dataset`).

    Attributes:
        dataset: a dataset folder or Hub id, as ``sentiv train --dataset`` got it; None for the bundled demo corpus.
        config: the dataset config it trained on (None when not recorded).
        revision: the Hub revision (None when not recorded: the default branch).
        record: the file that says so.
    """

    dataset: str | None
    config: str | None
    revision: str | None
    record: Path

    @property
    def name(self) -> str:
        """The dataset as a user would name it: the folder or Hub id, or ``demo``."""
        return self.dataset if self.dataset is not None else DEMO_DATASET


def task_of_config(config, checkpoint: str) -> str:
    """``text``, ``speech``, ``fusion`` or ``context`` from a checkpoint's config; `UserError` for anything else.

    Args:
        config: the checkpoint's `PreTrainedConfig`.
        checkpoint: the checkpoint's path or Hub id, for the message.

    Example:
        >>> from sentiv_hf.models import SentiVSpeechConfig  # doctest: +SKIP
        >>> task_of_config(SentiVSpeechConfig(), "out/speech")  # doctest: +SKIP
        'speech'
    """
    model_type = getattr(config, "model_type", None)
    if model_type == "sentiv-fusion":
        return "fusion"
    if model_type == "sentiv-speech":
        return "speech"
    if model_type == CONTEXT_MODEL_TYPE:
        return "context"
    architectures = getattr(config, "architectures", None) or []
    if any(a.endswith("ForSequenceClassification") for a in architectures):
        return "text"
    raise UserError(
        f"{checkpoint} is a {model_type!r} model ({', '.join(architectures) or 'no architectures'}), not a SentiV "
        "checkpoint: expected a sequence classifier (text), a 'sentiv-speech', 'sentiv-fusion' or "
        "'sentiv-context' model."
    )


def load_for_inference(checkpoint: str, tasks: tuple[str, ...] = INFERENCE_TASKS) -> dict[str, Any]:
    """Load a checkpoint for evaluation/prediction: ``{task, model, tokenizer, feature_extractor, segmenter, ...}``.

    Args:
        checkpoint: a folder written by ``sentiv train`` / ``save_pretrained``, or a Hub id.
        tasks: the tasks the caller can run; another kind of checkpoint is a `UserError` saying what runs it
            (``sentiv predict-call`` passes ``("speech", "context")``).

    Returns a dict with ``task`` (``text``/``speech``/``fusion``/``context``), ``model`` (in eval mode), ``tokenizer``,
    ``feature_extractor`` and ``segmenter`` (None where the task has none), ``max_length`` (text and fusion),
    ``label_names``, ``multi_label``, ``max_seconds``, ``sampling_rate`` and ``min_audio_samples`` (the shortest
    clip the speech encoder takes, see `sentiv_hf.models.audio_input.min_audio_samples`).

    Raises `UserError` for a missing checkpoint, a config that is not a SentiV text/speech/fusion model, or a Hub id
    that cannot be fetched (offline, unreachable, not found: one line, see `sentiv_hf.hub_errors.hub_access`).

    Example:
        >>> parts = load_for_inference("out/text")  # doctest: +SKIP
        >>> parts["task"], parts["label_names"][:2]  # doctest: +SKIP
        ('text', ['Anger', 'Disgust'])
    """
    from sentiv_hf.models.audio_input import min_audio_samples

    from .model_factory import load_model_config

    # load_model_config reports a missing local folder; a name that may be a Hub id is tried on the Hub.
    if Path(checkpoint).is_dir() and not (Path(checkpoint) / "config.json").is_file():
        raise UserError(f"{checkpoint} has no config.json: it is not a saved model (pass the training output_dir).")
    try:
        # Offline or unreachable Hub: one line, at once (hub_access retries nothing), not a loader traceback.
        with hub_access(f"model {checkpoint!r}"):
            config = load_model_config(checkpoint)
            task = task_of_config(config, checkpoint)
            _check_task(task, tasks, checkpoint)
            parts = _load_parts(checkpoint, config, task)
    except OSError as error:  # not a Hub failure: a file the checkpoint lacks (locally, or in the offline cache)
        raise UserError(_incomplete_checkpoint(checkpoint, error)) from None
    model = parts["model"]
    model.eval()
    id2label = model.config.id2label
    parts["label_names"] = [str(id2label[i]) for i in range(len(id2label))]
    parts["multi_label"] = getattr(model.config, "head", "single_label") == "multi_label"
    # A fusion checkpoint keeps the audio preprocessing in its speech sub-config (where the speech model read it),
    # a context checkpoint in its segment model's config.
    audio_config = {"fusion": "speech_config", "context": "segment_config"}.get(task)
    audio_config = getattr(model.config, audio_config, None) if audio_config else model.config
    parts["max_seconds"] = float(getattr(audio_config, "max_duration_s", None) or 8.0)
    parts["sampling_rate"] = int(getattr(audio_config, "sampling_rate", None) or 16000)
    parts["min_audio_samples"] = min_audio_samples(audio_config) if audio_config is not None else 1
    return parts


def _check_task(task: str, tasks: tuple[str, ...], checkpoint: str) -> None:
    """`UserError` when the caller cannot run a ``task`` checkpoint, naming the command that can."""
    if task in tasks:
        return
    runner = {"context": f"`sentiv predict-call CALL.wav --model {checkpoint}`"}.get(task, "`sentiv predict`")
    raise UserError(
        f"{checkpoint} is a {task} checkpoint, but this command takes {' or '.join(tasks)} checkpoints; "
        f"run it with {runner}."
    )


def _incomplete_checkpoint(checkpoint: str, error: OSError) -> str:
    """The one-line message for a checkpoint whose config loads but whose weights or processors do not."""
    from huggingface_hub import constants

    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if Path(checkpoint).exists():
        fix = "pass the output_dir of a finished `sentiv train` run"
    elif constants.HF_HUB_OFFLINE:
        fix = "offline mode is on (HF_HUB_OFFLINE=1) and the local cache holds only part of it: unset HF_HUB_OFFLINE"
        fix += " to download the rest, or pass a local folder"
    else:
        fix = "check that the Hub repo holds a complete checkpoint (config, weights, tokenizer or feature extractor)"
    return f"Cannot load the checkpoint {checkpoint!r}: {reason.rstrip('.')}. Fix: {fix}."


def _load_parts(checkpoint: str, config, task: str) -> dict[str, Any]:
    """The model and the processors of ``task`` (see `load_for_inference`), from ``checkpoint``."""
    from transformers import (
        AutoFeatureExtractor,
        AutoModel,
        AutoModelForAudioClassification,
        AutoModelForSequenceClassification,
        AutoTokenizer,
    )

    from sentiv_hf.models.text import TEXT_MAX_LENGTH

    parts: dict[str, Any] = {"task": task, "tokenizer": None, "feature_extractor": None, "segmenter": None}
    if task == "text":
        parts["model"] = AutoModelForSequenceClassification.from_pretrained(checkpoint)
        parts["tokenizer"] = AutoTokenizer.from_pretrained(checkpoint)
        parts["segmenter"] = getattr(config, "word_segmenter", None)
        parts["max_length"] = getattr(config, "text_max_length", None) or TEXT_MAX_LENGTH
    elif task == "speech":
        parts["model"] = AutoModelForAudioClassification.from_pretrained(checkpoint)
        parts["feature_extractor"] = AutoFeatureExtractor.from_pretrained(checkpoint)
    elif task == "context":
        parts["model"] = AutoModel.from_pretrained(checkpoint)
        parts["feature_extractor"] = AutoFeatureExtractor.from_pretrained(checkpoint)
    else:
        parts["model"] = AutoModel.from_pretrained(checkpoint)
        parts["tokenizer"] = AutoTokenizer.from_pretrained(checkpoint)
        parts["feature_extractor"] = AutoFeatureExtractor.from_pretrained(checkpoint)
        text_config = getattr(config, "text_config", None)
        parts["segmenter"] = getattr(text_config, "word_segmenter", None) if text_config is not None else None
        parts["max_length"] = getattr(text_config, "text_max_length", None) or TEXT_MAX_LENGTH
    return parts


def write_training_record(
    folder: str | Path,
    *,
    dataset: str | None,
    config: str,
    revision: str | None,
    budget: float,
    seed: int,
    ids: list[str],
    final_folder: str | Path | None = None,
) -> Path:
    """Write ``FOLDER/train_ids.json``: the dataset, config and revision a checkpoint was trained on, and its ids.

    ``sentiv train`` and the benchmark's ``--save-models`` both write it, and `recorded_training_dataset` reads it
    back for ``sentiv evaluate`` without ``--dataset``. A local dataset folder is stored relative to the checkpoint
    folder (it still resolves when both move together, and no absolute local path is written); the bundled demo
    corpus is stored as ``"demo"``, a Hub id as it is. ``final_folder`` is where ``folder`` will live when it is a
    staging folder (the relative path is taken from there). The file is written atomically.

    Example:
        >>> write_training_record("out/text", dataset=None, config="text", revision=None, budget=0.1, seed=0,
        ...                       ids=["text-000001"])  # doctest: +SKIP
    """
    from sentiv_hf.data import demo_path
    from sentiv_hf.data.staging import write_text_atomic

    folder = Path(folder)
    if dataset is None or (Path(dataset).is_dir() and Path(dataset).resolve() == demo_path().resolve()):
        stored = DEMO_DATASET
    elif Path(dataset).is_dir():
        stored = os.path.relpath(Path(dataset).resolve(), Path(final_folder or folder).resolve())
    else:
        stored = dataset
    record = {
        "dataset": stored,
        "config": config,
        "revision": revision,
        "budget": budget,
        "seed": seed,
        "num_examples": len(ids),
        "ids": list(ids),
    }
    return write_text_atomic(folder / TRAIN_RECORD, json.dumps(record, ensure_ascii=False, indent=1))


def recorded_training_dataset(checkpoint: str) -> TrainingDataset | None:
    """The dataset ``checkpoint`` was trained on, from the ``train_ids.json`` that ``sentiv train`` writes.

    Args:
        checkpoint: a checkpoint folder (a Hub id records nothing locally: None).

    Returns None when the checkpoint has no such record (a Hub id, a folder written by ``save_pretrained``).
    Raises `UserError` when the record exists but cannot be read or names no dataset.

    Example:
        >>> recorded_training_dataset("out/text")  # doctest: +SKIP
        TrainingDataset(dataset=None, config='text', revision=None, record=PosixPath('out/text/train_ids.json'))
    """
    path = Path(checkpoint) / TRAIN_RECORD
    if not path.is_file():
        return None
    fix = "pass --dataset (and --dataset_config) to say what to score"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(f"Cannot read {path} ({error}); {fix}.") from None
    dataset = record.get("dataset") if isinstance(record, dict) else None
    if not isinstance(dataset, str) or not dataset.strip():
        raise UserError(f"{path} names no training dataset (no 'dataset' field); {fix}.")
    relative = Path(checkpoint) / dataset  # local folders are stored relative to the checkpoint
    if dataset != DEMO_DATASET and relative.is_dir():
        dataset = os.path.normpath(relative)
    return TrainingDataset(
        dataset=None if dataset == DEMO_DATASET else dataset,
        config=record.get("config") or None,
        revision=record.get("revision") or None,
        record=path,
    )


def check_finite_scores(scores: np.ndarray, checkpoint: str, inputs: list[str]) -> None:
    """Refuse NaN or infinite model outputs: they are no prediction, and JSON cannot hold them.

    Args:
        scores: ``(N, num_labels)`` logits or probabilities.
        checkpoint: the checkpoint's path or Hub id, for the message.
        inputs: one name per row (an id, a text, a file), for the message.

    Example:
        >>> check_finite_scores(np.array([[0.2, float("nan")]]), "out/text", ["row 0"])  # doctest: +SKIP
        UserError: out/text gave NaN or infinite scores for 1 of 1 inputs (the first: row 0); ...
    """
    bad = np.flatnonzero(~np.isfinite(np.asarray(scores, dtype=np.float64)).all(axis=-1))
    if bad.size:
        raise UserError(
            f"{checkpoint} gave NaN or infinite scores for {bad.size} of {len(scores)} inputs (the first: "
            f"{inputs[bad[0]]}); its weights are probably broken (NaN): re-train it or load another checkpoint."
        )


def prepare_split(
    split,
    parts: dict[str, Any],
    *,
    label_column: str | None = None,
    text_column: str = "text",
    audio_column: str = "audio",
):
    """Tokenise a split, or attach its audio transform, as in training (evaluation mode: centre crops).

    Args:
        split: a `datasets.Dataset` with the task's columns.
        parts: what `load_for_inference` returned.
        label_column: the label column to keep (None: the split is unlabelled, e.g. for prediction).
        text_column: the column holding the texts (text and fusion).
        audio_column: the column holding the audio (speech and fusion).

    Returns ``(dataset, collator)`` for `predict_logits`.

    Example:
        >>> prepared, collator = prepare_split(splits["test"], parts, label_column="label")  # doctest: +SKIP
    """
    from transformers import DataCollatorWithPadding

    from sentiv_hf.data.audio import AudioPreprocessor

    from .collators import FusionCollator
    from .preprocessing import FusionPreprocessor, text_preprocessor

    task = parts["task"]
    audio_prep = None
    if task in ("speech", "fusion"):
        if audio_column != "audio":
            split = split.rename_column(audio_column, "audio")
        audio_prep = AudioPreprocessor(
            parts["feature_extractor"],
            max_seconds=parts["max_seconds"],
            sampling_rate=parts["sampling_rate"],
            train=False,
            label_column=label_column,
            num_labels=len(parts["label_names"]),
        )
    if task == "text":
        tokenize = text_preprocessor(parts["tokenizer"], parts["segmenter"], parts["max_length"], text_column)
        keep = {label_column} if label_column else set()
        split = split.map(tokenize, batched=True, remove_columns=[c for c in split.column_names if c not in keep])
        return split, DataCollatorWithPadding(parts["tokenizer"])
    keep = {"audio", text_column, label_column}
    split = split.remove_columns([c for c in split.column_names if c not in keep])
    if task == "speech":
        split.set_transform(audio_prep)
        return split, DataCollatorWithPadding(parts["feature_extractor"])
    split.set_transform(
        FusionPreprocessor(parts["tokenizer"], audio_prep, parts["segmenter"], parts["max_length"], text_column)
    )
    return split, FusionCollator(parts["tokenizer"], parts["feature_extractor"])


def predict_logits(parts: dict[str, Any], dataset, collator, batch_size: int = 8, output_dir: str | None = None):
    """Run the model over a prepared dataset with `SentiVTrainer.predict`.

    Args:
        parts: what `load_for_inference` returned.
        dataset, collator: what `prepare_split` returned.
        batch_size: examples per forward pass.
        output_dir: the Trainer's output folder (default: a temporary one, removed afterwards).

    Returns ``(logits, label_ids)``: float64 ``(N, num_labels)`` logits, and the labels (None for an unlabelled
    split).

    Example:
        >>> logits, label_ids = predict_logits(parts, prepared, collator, batch_size=16)  # doctest: +SKIP
    """
    import tempfile

    import torch

    from .trainer import SentiVTrainer
    from .training_args import SentiVTrainingArguments

    with tempfile.TemporaryDirectory() as tmp:
        args = SentiVTrainingArguments(
            output_dir=output_dir or tmp,
            per_device_eval_batch_size=batch_size,
            report_to=[],
            remove_unused_columns=False,
            loss="bce" if parts["multi_label"] else "ce",
            disable_tqdm=True,
            use_cpu=not torch.cuda.is_available(),
        )
        trainer = SentiVTrainer(model=parts["model"], args=args, data_collator=collator)
        output = trainer.predict(dataset)
    logits = output.predictions[0] if isinstance(output.predictions, tuple) else output.predictions
    return np.asarray(logits, dtype=np.float64), output.label_ids


__all__ = [
    "CONTEXT_MODEL_TYPE",
    "DEMO_DATASET",
    "INFERENCE_TASKS",
    "TASK_DATASET_CONFIGS",
    "TRAIN_RECORD",
    "TrainingDataset",
    "check_finite_scores",
    "load_for_inference",
    "predict_logits",
    "prepare_split",
    "recorded_training_dataset",
    "task_of_config",
]
