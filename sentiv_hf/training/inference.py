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

import logging
from pathlib import Path
from typing import Any

import numpy as np

from sentiv_hf.errors import UserError

logger = logging.getLogger(__name__)

#: The dataset config each task reads by default.
TASK_DATASET_CONFIGS = {"text": "text", "speech": "speech", "fusion": "multimodal"}


def task_of_config(config, checkpoint: str) -> str:
    """``text``, ``speech`` or ``fusion`` from a checkpoint's config; `UserError` for anything else.

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
    architectures = getattr(config, "architectures", None) or []
    if any(a.endswith("ForSequenceClassification") for a in architectures):
        return "text"
    raise UserError(
        f"{checkpoint} is a {model_type!r} model ({', '.join(architectures) or 'no architectures'}), not a SentiV "
        "checkpoint: expected a sequence classifier (text), a 'sentiv-speech' or a 'sentiv-fusion' model."
    )


def load_for_inference(checkpoint: str) -> dict[str, Any]:
    """Load a checkpoint for evaluation/prediction: ``{task, model, tokenizer, feature_extractor, segmenter, ...}``.

    Args:
        checkpoint: a folder written by ``sentiv train`` / ``save_pretrained``, or a Hub id.

    Returns a dict with ``task`` (``text``/``speech``/``fusion``), ``model`` (in eval mode), ``tokenizer``,
    ``feature_extractor`` and ``segmenter`` (None where the task has none), ``max_length`` (text and fusion),
    ``label_names``, ``multi_label``, ``max_seconds`` and ``sampling_rate``.

    Raises `UserError` for a missing checkpoint or a config that is not a SentiV text/speech/fusion model.

    Example:
        >>> parts = load_for_inference("out/text")  # doctest: +SKIP
        >>> parts["task"], parts["label_names"][:2]  # doctest: +SKIP
        ('text', ['Anger', 'Disgust'])
    """
    from transformers import (
        AutoFeatureExtractor,
        AutoModel,
        AutoModelForAudioClassification,
        AutoModelForSequenceClassification,
        AutoTokenizer,
    )

    from sentiv_hf.models.text import TEXT_MAX_LENGTH

    from .model_factory import load_model_config

    # load_model_config reports a missing local folder; a name that may be a Hub id is tried on the Hub.
    if Path(checkpoint).is_dir() and not (Path(checkpoint) / "config.json").is_file():
        raise UserError(f"{checkpoint} has no config.json: it is not a saved model (pass the training output_dir).")
    config = load_model_config(checkpoint)
    task = task_of_config(config, checkpoint)
    parts: dict[str, Any] = {"task": task, "tokenizer": None, "feature_extractor": None, "segmenter": None}
    if task == "text":
        parts["model"] = AutoModelForSequenceClassification.from_pretrained(checkpoint)
        parts["tokenizer"] = AutoTokenizer.from_pretrained(checkpoint)
        parts["segmenter"] = getattr(config, "word_segmenter", None)
        parts["max_length"] = getattr(config, "text_max_length", None) or TEXT_MAX_LENGTH
    elif task == "speech":
        parts["model"] = AutoModelForAudioClassification.from_pretrained(checkpoint)
        parts["feature_extractor"] = AutoFeatureExtractor.from_pretrained(checkpoint)
    else:
        parts["model"] = AutoModel.from_pretrained(checkpoint)
        parts["tokenizer"] = AutoTokenizer.from_pretrained(checkpoint)
        parts["feature_extractor"] = AutoFeatureExtractor.from_pretrained(checkpoint)
        text_config = getattr(config, "text_config", None)
        parts["segmenter"] = getattr(text_config, "word_segmenter", None) if text_config is not None else None
        parts["max_length"] = getattr(text_config, "text_max_length", None) or TEXT_MAX_LENGTH
    model = parts["model"]
    model.eval()
    id2label = model.config.id2label
    parts["label_names"] = [str(id2label[i]) for i in range(len(id2label))]
    parts["multi_label"] = getattr(model.config, "head", "single_label") == "multi_label"
    # A fusion checkpoint keeps the audio preprocessing in its speech sub-config (where the speech model read it).
    audio_config = getattr(model.config, "speech_config", None) if task == "fusion" else model.config
    parts["max_seconds"] = float(getattr(audio_config, "max_duration_s", None) or 8.0)
    parts["sampling_rate"] = int(getattr(audio_config, "sampling_rate", None) or 16000)
    return parts


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


__all__ = ["TASK_DATASET_CONFIGS", "load_for_inference", "predict_logits", "prepare_split", "task_of_config"]
