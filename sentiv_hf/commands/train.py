"""``sentiv train text|speech|fusion``: fine-tune a SentiV model with `SentiVTrainer`.

Arguments are three dataclasses parsed by `transformers.HfArgumentParser`: `DataArguments`, `ModelArguments` and
`SentiVTrainingArguments` (every `TrainingArguments` flag works), given as flags or as one YAML/JSON file.

Examples:
    sentiv train text --model tiny --output_dir out/text --max_steps 20
    sentiv train speech --dataset org/sentiv --model facebook/hubert-base-ls960 --budget 0.1 --seed 3 \\
        --loss focal --class_weighting inverse --sampler weighted --output_dir out/speech
    sentiv train fusion --text_model out/text --speech_model out/speech --fusion concat_mlp --output_dir out/fusion
    sentiv train speech config.yaml
    accelerate launch --config_file accelerate_configs/cpu_ddp.yaml -m sentiv_hf.cli train text --model tiny ...

Each run writes the checkpoint, ``train_ids.json`` (the label-budget ids it trained on), ``*_results.json``, the
trainer state and a model card (``README.md``) into ``--output_dir``; ``--push_to_hub`` uploads them.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

TASKS = ("text", "speech", "fusion")
#: The dataset config each task reads by default.
TASK_DATASET_CONFIGS = {"text": "text", "speech": "speech", "fusion": "multimodal"}
FREEZE_CHOICES = ("none", "feature_encoder", "encoder")


class CommandError(Exception):
    """A user error: printed to stderr without a traceback, exit status 2."""


@dataclass
class DataArguments:
    """Where the data comes from and which part of it is used."""

    dataset: str | None = field(
        default=None,
        metadata={"help": "Hub-ready dataset folder or Hub id (default: the bundled demo corpus)."},
    )
    dataset_config: str | None = field(
        default=None,
        metadata={"help": "Dataset config; defaults to 'text', 'speech' or 'multimodal' after the task."},
    )
    dataset_revision: str | None = field(default=None, metadata={"help": "Hub revision of the dataset."})
    budget: float = field(
        default=1.0,
        metadata={
            "help": "Label budget: the fraction of the training split to train on (nested, stratified; "
            "the budget seed is --seed). Validation and test are always used in full."
        },
    )
    train_split: str = field(default="train", metadata={"help": "Training split name."})
    eval_split: str | None = field(default="validation", metadata={"help": "Validation split ('' to skip)."})
    test_split: str | None = field(
        default="test", metadata={"help": "Test split evaluated after training ('' to skip)."}
    )
    text_column: str = field(default="text", metadata={"help": "Text column (text and fusion)."})
    audio_column: str = field(default="audio", metadata={"help": "Audio column (speech and fusion)."})
    label_column: str | None = field(
        default=None, metadata={"help": "Label column; default 'label', else 'labels' (multi-label)."}
    )
    max_train_samples: int | None = field(
        default=None, metadata={"help": "Keep only the first N training rows after the budget (quick runs)."}
    )
    max_eval_samples: int | None = field(
        default=None, metadata={"help": "Keep only the first N validation/test rows (quick runs)."}
    )


@dataclass
class ModelArguments:
    """Which model to start from and how inputs are preprocessed."""

    model: str = field(
        default="tiny",
        metadata={"help": "Pretrained model id or folder, or 'tiny' (a small model built in code, offline)."},
    )
    text_model: str | None = field(default=None, metadata={"help": "fusion: the fine-tuned text checkpoint."})
    speech_model: str | None = field(default=None, metadata={"help": "fusion: the fine-tuned speech checkpoint."})
    fusion: str = field(
        default="concat_mlp", metadata={"help": "fusion strategy: 'average', 'concat_mlp' or 'uncertainty'."}
    )
    word_segmenter: str = field(
        default="pyvi", metadata={"help": "Vietnamese word segmenter for text: 'pyvi' or 'none'."}
    )
    max_length: int = field(default=256, metadata={"help": "Maximum text length in tokens."})
    max_seconds: float = field(default=8.0, metadata={"help": "Audio window in seconds (random crop in training)."})
    sampling_rate: int = field(default=16000, metadata={"help": "Audio sampling rate of the model."})
    encoder: str = field(default="hubert", metadata={"help": "tiny speech model: hubert, wav2vec2, wavlm or whisper."})
    pooling: str | None = field(default=None, metadata={"help": "speech: 'mean', 'stats' or 'attentive'."})
    freeze: str = field(
        default="feature_encoder",
        metadata={"help": "speech: freeze 'none', the CNN 'feature_encoder', or the whole 'encoder'."},
    )
    gated: bool = field(default=False, metadata={"help": "Add gating fields (extra_gated_*) to the model card."})
    license: str = field(default="apache-2.0", metadata={"help": "License in the model card."})


# ---------------------------------------------------------------------------------------------------------------
# Parsing


def _usage() -> str:
    return (
        "usage: sentiv train {text,speech,fusion} [--flags ... | CONFIG.yaml | CONFIG.json]\n"
        "Run `sentiv train text --help` for every option."
    )


# `bool | None` fields of TrainingArguments that HfArgumentParser only accepts with a value (``--hub_private_repo
# true``); the documented form is the bare flag, so a bare one is read as "true".
_OPTIONAL_BOOL_FLAGS = ("--hub_private_repo", "--hub-private-repo")


def _bare_optional_bools(argv: list[str]) -> list[str]:
    out: list[str] = []
    for i, arg in enumerate(argv):
        out.append(arg)
        if arg in _OPTIONAL_BOOL_FLAGS and (i + 1 == len(argv) or argv[i + 1].startswith("--")):
            out.append("true")
    return out


def parse_train_args(argv: list[str]):
    """Parse ``TASK [flags | config file]`` into ``(task, DataArguments, ModelArguments, SentiVTrainingArguments)``.

    Example:
        >>> task, data, model, args = parse_train_args(["text", "--output_dir", "out", "--budget", "0.5"])
        >>> task, data.budget, model.model
        ('text', 0.5, 'tiny')
    """
    from transformers import HfArgumentParser

    from sentiv_hf.training.training_args import SentiVTrainingArguments

    if not argv or argv[0] in ("-h", "--help"):
        raise CommandError(_usage())
    task, rest = argv[0], argv[1:]
    if task not in TASKS:
        raise CommandError(f"Unknown task {task!r}; choose one of {', '.join(TASKS)}.\n{_usage()}")
    parser = HfArgumentParser((DataArguments, ModelArguments, SentiVTrainingArguments), prog=f"sentiv train {task}")
    rest = _bare_optional_bools(rest)
    try:
        if len(rest) == 1 and rest[0].endswith((".yaml", ".yml", ".json")):
            path = Path(rest[0])
            if not path.is_file():
                raise CommandError(f"Config file not found: {path}")
            parse = parser.parse_json_file if path.suffix == ".json" else parser.parse_yaml_file
            data_args, model_args, training_args = parse(str(path))
        else:
            data_args, model_args, training_args = parser.parse_args_into_dataclasses(rest)
    except ValueError as error:
        raise CommandError(f"Invalid argument: {error}") from None
    if not 0.0 < data_args.budget <= 1.0:
        raise CommandError(f"--budget must be in (0, 1], got {data_args.budget}.")
    if model_args.word_segmenter not in ("pyvi", "none"):
        raise CommandError(f"--word_segmenter must be 'pyvi' or 'none', got {model_args.word_segmenter!r}.")
    if model_args.freeze not in FREEZE_CHOICES:
        raise CommandError(f"--freeze must be one of {', '.join(FREEZE_CHOICES)}, got {model_args.freeze!r}.")
    return task, data_args, model_args, training_args


# ---------------------------------------------------------------------------------------------------------------
# Data


def load_splits(dataset: str | None, config: str, revision: str | None = None) -> dict[str, Any]:
    """Load every split of a Hub-ready dataset folder or Hub id as ``{split: datasets.Dataset}``.

    Raises `CommandError` naming the dataset and config (and the configs it has) when it cannot be loaded.
    """
    import datasets

    from sentiv_hf.data import demo_path

    source = dataset or str(demo_path())
    try:
        loaded = datasets.load_dataset(source, config, revision=revision)
    except (ValueError, FileNotFoundError, datasets.exceptions.DatasetNotFoundError) as error:
        try:
            available = datasets.get_dataset_config_names(source)
        except Exception:  # the dataset itself is missing: the original error says why
            available = None
        hint = f" It has the configs {available}." if available else ""
        raise CommandError(f"Cannot load config {config!r} of dataset {source!r}: {error}.{hint}") from None
    return dict(loaded)


def check_columns(split: Any, required: dict[str, str], where: str) -> None:
    """Raise `CommandError` naming the missing columns, the columns found and the flag that fixes it."""
    missing = {flag: col for flag, col in required.items() if col not in split.column_names}
    if missing:
        details = ", ".join(f"{col!r} (set with --{flag})" for flag, col in missing.items())
        raise CommandError(f"Unknown column {details} in {where}; the columns are {split.column_names}.")


def label_info(split: Any, label_column: str | None) -> tuple[str, list[str], bool]:
    """Return ``(label column, label names, multi_label)`` from the split's ``ClassLabel`` features."""
    from datasets import ClassLabel

    column = label_column or next((c for c in ("label", "labels") if c in split.column_names), None)
    if column is None or column not in split.column_names:
        raise CommandError(
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
    raise CommandError(f"Column {column!r} must be a datasets.ClassLabel (or a list of them); it is {feature}.")


def apply_budget(train: Any, budget: float, seed: int, label_column: str) -> tuple[Any, list[str]]:
    """Select the label budget of the training split (all of it for budget 1.0) and return ``(rows, ids)``."""
    if budget >= 1.0:
        ids = [str(x) for x in train.with_format(None)["id"]] if "id" in train.column_names else None
        return train, ids or [str(i) for i in range(len(train))]
    from sentiv_hf.data.budgets import label_budget

    id_column = "id" if "id" in train.column_names else None
    return label_budget(train.with_format(None), budget, seed, label_column=label_column, id_column=id_column)


def _first(split: Any, n: int | None) -> Any:
    return split.select(range(min(n, len(split)))) if n is not None and n < len(split) else split


# ---------------------------------------------------------------------------------------------------------------
# Models and preprocessing, one builder per task. Each returns a dict of Trainer pieces.


def _segmenter(name: str | None) -> str | None:
    return None if name in (None, "", "none") else name


def _text_preprocess(tokenizer, segmenter: str | None, max_length: int, text_column: str):
    from sentiv_hf.models.text import segment_texts

    def tokenize(batch: dict[str, list]) -> dict[str, Any]:
        return tokenizer(segment_texts(batch[text_column], segmenter), truncation=True, max_length=max_length)

    return tokenize


def build_text(splits, label_names, model_args, data_args, training_args) -> dict[str, Any]:
    from transformers import DataCollatorWithPadding

    from sentiv_hf.models.text import load_text_model_and_tokenizer, segment_texts

    segmenter = _segmenter(model_args.word_segmenter)
    id2label = dict(enumerate(label_names))
    train = splits["train"]
    if model_args.model == "tiny":
        from sentiv_hf.models.tiny import tiny_text_model, train_tiny_tokenizer

        # The tiny tokenizer learns its vocabulary from the (segmented) training split only.
        tokenizer = train_tiny_tokenizer(segment_texts(train[data_args.text_column], segmenter))
        model = tiny_text_model(
            tokenizer, len(label_names), id2label, word_segmenter=segmenter, seed=training_args.seed
        )
    else:
        model, tokenizer = load_text_model_and_tokenizer(
            model_args.model, len(label_names), id2label, word_segmenter=segmenter, ignore_mismatched_sizes=True
        )
    model.config.word_segmenter = segmenter
    model.config.text_max_length = model_args.max_length  # not "max_length": that is a generation parameter
    tokenize = _text_preprocess(tokenizer, segmenter, model_args.max_length, data_args.text_column)
    prepared = {}
    for name, split in splits.items():
        drop = [c for c in split.column_names if c not in ("label", "labels", data_args.label_column)]
        with training_args.main_process_first(desc=f"tokenizing {name}"):
            prepared[name] = split.map(tokenize, batched=True, remove_columns=drop, desc=f"Tokenizing {name}")
    return {
        "model": model,
        "processing_class": tokenizer,
        "data_collator": DataCollatorWithPadding(tokenizer),
        "splits": prepared,
        "preprocessing": f"word segmenter `{segmenter or 'none'}`, max length {model_args.max_length} tokens",
    }


def _load_speech_model(model_args, label_names: list[str], multi_label: bool, seed: int):
    from transformers import AutoConfig, AutoFeatureExtractor

    from sentiv_hf.models.modeling_sentiv_speech import SentiVSpeechForAudioClassification

    id2label = dict(enumerate(label_names))
    label2id = {name: i for i, name in enumerate(label_names)}
    extra: dict[str, Any] = {"id2label": id2label, "label2id": label2id}
    if multi_label:
        extra["head"] = "multi_label"
    if model_args.pooling:
        extra["pooling"] = model_args.pooling
    if model_args.model == "tiny":
        from sentiv_hf.models.tiny import tiny_speech_feature_extractor, tiny_speech_model

        model = tiny_speech_model(len(label_names), encoder=model_args.encoder, seed=seed, **extra)
        return model, tiny_speech_feature_extractor(model_args.encoder)
    config = AutoConfig.from_pretrained(model_args.model)
    if config.model_type == "sentiv-speech":
        model = SentiVSpeechForAudioClassification.from_pretrained(
            model_args.model, num_labels=len(label_names), ignore_mismatched_sizes=True, **extra
        )
    else:
        model = SentiVSpeechForAudioClassification.from_encoder_pretrained(
            model_args.model, num_labels=len(label_names), **extra
        )
    return model, AutoFeatureExtractor.from_pretrained(model_args.model)


def build_speech(splits, label_names, multi_label, model_args, data_args, training_args) -> dict[str, Any]:
    from transformers import DataCollatorWithPadding

    from sentiv_hf.data.audio import AudioPreprocessor

    model, feature_extractor = _load_speech_model(model_args, label_names, multi_label, training_args.seed)
    if model_args.freeze == "encoder":
        model.freeze_encoder()
    elif model_args.freeze == "feature_encoder" and hasattr(model, "freeze_feature_encoder"):
        model.freeze_feature_encoder()
    prepared = {}
    for name, split in splits.items():
        keep = [c for c in (data_args.audio_column, data_args.label_column or "label", "labels", "duration")]
        split = split.remove_columns([c for c in split.column_names if c not in keep])
        if data_args.audio_column != "audio":
            split = split.rename_column(data_args.audio_column, "audio")
        split.set_transform(
            AudioPreprocessor(
                feature_extractor,
                max_seconds=model_args.max_seconds,
                sampling_rate=model_args.sampling_rate,
                train=name == "train",
                seed=training_args.seed,
                label_column=data_args.label_column,
                num_labels=len(label_names),
            )
        )
        prepared[name] = split
    # The transform needs the raw audio column, which the Trainer would otherwise drop as "unused".
    training_args.remove_unused_columns = False
    if "duration" in splits["train"].column_names and training_args.length_column_name == "length":
        # group_by_length batches clips of similar duration (the default "length" column does not exist here).
        training_args.length_column_name = "duration"
    return {
        "model": model,
        "processing_class": feature_extractor,
        "data_collator": DataCollatorWithPadding(feature_extractor),
        "splits": prepared,
        "preprocessing": (
            f"mono {model_args.sampling_rate} Hz, {model_args.max_seconds:g} s window "
            "(random crop in training, centre crop in evaluation)"
        ),
    }


class FusionPreprocessor:
    """Batch transform for the multimodal config: segmented + tokenised text and preprocessed audio.

    The audio attention mask is renamed ``audio_attention_mask`` (the fusion model's argument), the text one stays
    ``attention_mask``.
    """

    def __init__(self, tokenizer, audio_preprocessor, segmenter: str | None, max_length: int, text_column: str):
        self.tokenizer = tokenizer
        self.audio = audio_preprocessor
        self.segmenter = segmenter
        self.max_length = max_length
        self.text_column = text_column

    def __call__(self, batch: dict[str, list]) -> dict[str, Any]:
        from sentiv_hf.models.text import segment_texts

        audio = self.audio(batch)
        # input_values (wav2vec2-style encoders) or input_features (Whisper): the fusion model takes either.
        out: dict[str, Any] = {self.audio.input_name: audio[self.audio.input_name]}
        if "attention_mask" in audio:
            out["audio_attention_mask"] = audio["attention_mask"]
        if "labels" in audio:
            out["labels"] = audio["labels"]
        texts = segment_texts(batch[self.text_column], self.segmenter)
        out.update(self.tokenizer(texts, truncation=True, max_length=self.max_length))
        return out


class FusionCollator:
    """Pads the text (tokenizer.pad) and the audio (feature_extractor.pad) halves of fusion examples."""

    def __init__(self, tokenizer, feature_extractor):
        self.tokenizer = tokenizer
        self.feature_extractor = feature_extractor

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        text = self.tokenizer.pad(
            [{"input_ids": f["input_ids"], "attention_mask": f["attention_mask"]} for f in features],
            return_tensors="pt",
        )
        name = "input_features" if "input_features" in features[0] else "input_values"
        audio_items = [{name: f[name]} for f in features]
        for item, f in zip(audio_items, features):
            if "audio_attention_mask" in f:
                item["attention_mask"] = f["audio_attention_mask"]
        audio = self.feature_extractor.pad(audio_items, return_tensors="pt", return_attention_mask=True)
        batch = {
            "input_ids": text["input_ids"],
            "attention_mask": text["attention_mask"],
            name: audio[name],
            "audio_attention_mask": audio["attention_mask"],
        }
        if "labels" in features[0]:
            batch["labels"] = torch.as_tensor(
                [f["labels"] for f in features],
                dtype=torch.float32 if hasattr(features[0]["labels"], "__len__") else torch.long,
            )
        return batch


def _tiny_base_models(splits, label_names, model_args, data_args, training_args) -> tuple[str, str]:
    """Build and save the tiny text and speech models a tiny fusion run starts from; returns their folders."""
    from sentiv_hf.labels import TEXT_LABELS
    from sentiv_hf.models.text import segment_texts
    from sentiv_hf.models.tiny import (
        tiny_speech_feature_extractor,
        tiny_speech_model,
        tiny_text_model,
        train_tiny_tokenizer,
    )

    base = Path(training_args.output_dir) / "base_models"
    text_dir, speech_dir = base / "text", base / "speech"
    segmenter = _segmenter(model_args.word_segmenter)
    with training_args.main_process_first(desc="building the tiny base models"):
        if training_args.process_index == 0:
            tokenizer = train_tiny_tokenizer(segment_texts(splits["train"][data_args.text_column], segmenter))
            text = tiny_text_model(tokenizer, len(TEXT_LABELS), dict(enumerate(TEXT_LABELS)), word_segmenter=segmenter)
            text.save_pretrained(text_dir)
            tokenizer.save_pretrained(text_dir)
            id2label = dict(enumerate(label_names))
            speech = tiny_speech_model(
                len(label_names),
                encoder=model_args.encoder,
                id2label=id2label,
                label2id={v: k for k, v in id2label.items()},
            )
            speech.save_pretrained(speech_dir)
            tiny_speech_feature_extractor(model_args.encoder).save_pretrained(speech_dir)
    return str(text_dir), str(speech_dir)


def build_fusion(splits, label_names, model_args, data_args, training_args) -> dict[str, Any]:
    from transformers import AutoConfig, AutoFeatureExtractor, AutoTokenizer

    from sentiv_hf.data.audio import AudioPreprocessor
    from sentiv_hf.models.modeling_sentiv_fusion import SentiVFusionModel

    text_path, speech_path = model_args.text_model, model_args.speech_model
    if model_args.model == "tiny" and (text_path is None or speech_path is None):
        tiny_text, tiny_speech = _tiny_base_models(splits, label_names, model_args, data_args, training_args)
        text_path, speech_path = text_path or tiny_text, speech_path or tiny_speech
    elif model_args.model != "tiny" and text_path is None and speech_path is None:
        config = _load_config(model_args.model)
        if config.model_type != "sentiv-fusion":
            raise CommandError(
                f"sentiv train fusion --model {model_args.model} needs a sentiv-fusion checkpoint (it is a "
                f"{config.model_type!r} model); pass --text_model and --speech_model instead."
            )
    if text_path is None or speech_path is None:
        raise CommandError("sentiv train fusion needs --text_model and --speech_model (or --model tiny).")
    for flag, path, wanted in (("text_model", text_path, None), ("speech_model", speech_path, "sentiv-speech")):
        config = _load_config(path)
        if wanted and config.model_type != wanted:
            raise CommandError(f"--{flag} {path} is a {config.model_type!r} model; expected a {wanted!r} checkpoint.")
    model = SentiVFusionModel.from_text_speech_pretrained(text_path, speech_path, fusion=model_args.fusion)
    tokenizer = AutoTokenizer.from_pretrained(text_path)
    feature_extractor = AutoFeatureExtractor.from_pretrained(speech_path)
    segmenter = getattr(AutoConfig.from_pretrained(text_path), "word_segmenter", _segmenter(model_args.word_segmenter))
    prepared = {}
    for name, split in splits.items():
        keep = (data_args.audio_column, data_args.text_column, data_args.label_column or "label")
        split = split.remove_columns([c for c in split.column_names if c not in keep])
        audio_prep = AudioPreprocessor(
            feature_extractor,
            max_seconds=model_args.max_seconds,
            sampling_rate=model_args.sampling_rate,
            train=name == "train",
            seed=training_args.seed,
            label_column=data_args.label_column,
            num_labels=len(label_names),
        )
        split.set_transform(
            FusionPreprocessor(tokenizer, audio_prep, segmenter, model_args.max_length, data_args.text_column)
        )
        prepared[name] = split
    training_args.remove_unused_columns = False
    _freeze_fusion_encoders(model)
    return {
        "model": model,
        "processing_class": tokenizer,
        "data_collator": FusionCollator(tokenizer, feature_extractor),
        "splits": prepared,
        "feature_extractor": feature_extractor,
        "base_model": f"{text_path} + {speech_path}",
        "trainable": any(p.requires_grad for p in model.parameters()),
        "preprocessing": (
            f"text: word segmenter `{segmenter or 'none'}`, max {model_args.max_length} tokens; audio: mono "
            f"{model_args.sampling_rate} Hz, {model_args.max_seconds:g} s window"
        ),
    }


def _freeze_fusion_encoders(model) -> None:
    """Train only the fusion head: the text and speech models are already fine-tuned."""
    model.freeze_submodels()


def _load_config(path: str):
    from transformers import AutoConfig

    import sentiv_hf  # noqa: F401  (registers the SentiV configs with AutoConfig)

    if not Path(path).exists() and (path.startswith((".", "/", "~")) or path.count("/") > 1):
        raise CommandError(f"Checkpoint not found: {path}")
    try:
        return AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as error:
        raise CommandError(f"Cannot load a model config from {path!r}: {error}") from None


# ---------------------------------------------------------------------------------------------------------------
# Running


def _setup_logging(training_args) -> None:
    import datasets
    import transformers

    logging.basicConfig(
        format="%(asctime)s - %(levelname)s - %(name)s - %(message)s",
        datefmt="%m/%d/%Y %H:%M:%S",
        handlers=[logging.StreamHandler(sys.stdout)],
    )
    log_level = training_args.get_process_log_level()
    logging.getLogger("sentiv_hf").setLevel(log_level if log_level != logging.NOTSET else logging.INFO)
    datasets.utils.logging.set_verbosity(log_level)
    transformers.utils.logging.set_verbosity(log_level)
    transformers.utils.logging.enable_default_handler()
    transformers.utils.logging.enable_explicit_format()


def _resume_checkpoint(training_args) -> str | bool | None:
    value = training_args.resume_from_checkpoint
    if value is None or value is False:
        return None
    if str(value).lower() in ("true", "last", "latest"):
        from transformers.trainer_utils import get_last_checkpoint

        last = get_last_checkpoint(training_args.output_dir)
        if last is None:
            raise CommandError(
                f"--resume_from_checkpoint {value}: no checkpoint-* folder in {training_args.output_dir}."
            )
        return last
    if not Path(value).is_dir():
        raise CommandError(f"Checkpoint not found: {value} (from --resume_from_checkpoint).")
    return str(value)


def run_training(task: str, data_args, model_args, training_args, callbacks=None) -> dict[str, Any]:
    """Train one model and write the checkpoint, metrics, ``train_ids.json`` and model card; returns the metrics.

    Example:
        >>> task, data, model, args = parse_train_args(["text", "--output_dir", "out", "--max_steps", "2"])
        >>> metrics = run_training(task, data, model, args)  # doctest: +SKIP
    """
    from sentiv_hf.data import demo_path
    from sentiv_hf.metrics import make_compute_metrics
    from sentiv_hf.training.model_card import SentiVModelCardData
    from sentiv_hf.training.trainer import SentiVTrainer
    from sentiv_hf.training.training_args import LossType

    config_name = data_args.dataset_config or TASK_DATASET_CONFIGS[task]
    raw = load_splits(data_args.dataset, config_name, data_args.dataset_revision)
    if data_args.train_split not in raw:
        raise CommandError(f"Dataset has no {data_args.train_split!r} split; it has {sorted(raw)}.")
    splits = {"train": raw[data_args.train_split]}
    for key, name in (("validation", data_args.eval_split), ("test", data_args.test_split)):
        if name:
            if name not in raw:
                logger.warning("Dataset has no %r split (it has %s); skipping it.", name, sorted(raw))
            else:
                splits[key] = _first(raw[name], data_args.max_eval_samples)
    train = splits["train"]
    label_column, label_names, multi_label = label_info(train, data_args.label_column)
    data_args.label_column = label_column
    required = {"label_column": label_column}
    if task in ("text", "fusion"):
        required["text_column"] = data_args.text_column
    if task in ("speech", "fusion"):
        required["audio_column"] = data_args.audio_column
    for name, split in splits.items():
        check_columns(split, required, f"the {name} split of {data_args.dataset or 'the demo corpus'}:{config_name}")
    if multi_label and training_args.loss != LossType.BCE:
        logger.info("Column %r is multi-label: using loss='bce'.", label_column)
        training_args.loss = LossType.BCE
    if task == "text" and multi_label:
        raise CommandError("Multi-label text training is not supported; use a single-label 'label' column.")

    train, train_ids = apply_budget(train, data_args.budget, training_args.seed, label_column)
    train = _first(train, data_args.max_train_samples)
    train_ids = train_ids[: len(train)]
    splits["train"] = train
    output_dir = Path(training_args.output_dir)
    if training_args.process_index == 0:
        output_dir.mkdir(parents=True, exist_ok=True)
        record = {
            "dataset": data_args.dataset or "demo",
            "config": config_name,
            "budget": data_args.budget,
            "seed": training_args.seed,
            "num_examples": len(train_ids),
            "ids": train_ids,
        }
        (output_dir / "train_ids.json").write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")

    if task == "text":
        parts = build_text(splits, label_names, model_args, data_args, training_args)
    elif task == "speech":
        parts = build_speech(splits, label_names, multi_label, model_args, data_args, training_args)
    else:
        parts = build_fusion(splits, label_names, model_args, data_args, training_args)
    prepared = parts["splits"]

    card_data = SentiVModelCardData(
        task=task,
        model_id=training_args.hub_model_id,
        base_model=parts.get("base_model", model_args.model),
        dataset_id=data_args.dataset or str(demo_path()),
        dataset_config=config_name,
        dataset_revision=data_args.dataset_revision,
        label_budget=data_args.budget,
        seed=training_args.seed,
        num_train_examples=len(train),
        labels=list(label_names),
        preprocessing=parts.get("preprocessing"),
        license=model_args.license,
        gated=model_args.gated,
    )
    trainer = SentiVTrainer(
        model=parts["model"],
        args=training_args,
        train_dataset=prepared["train"],
        eval_dataset=prepared.get("validation"),
        data_collator=parts["data_collator"],
        processing_class=parts["processing_class"],
        compute_metrics=make_compute_metrics(label_names, multi_label=multi_label),
        callbacks=callbacks,
        card_data=card_data,
        label_column=label_column,
    )
    metrics: dict[str, Any] = {}
    if parts.get("trainable", True):
        result = trainer.train(resume_from_checkpoint=_resume_checkpoint(training_args))
        trainer.log_metrics("train", result.metrics)
        trainer.save_metrics("train", result.metrics)
        metrics.update(result.metrics)
    else:
        logger.info("Fusion %r has no trainable parameters: skipping training.", model_args.fusion)
    if task == "fusion" and "validation" in prepared:
        _fit_fusion_temperatures(trainer, prepared["validation"])
    if not training_args.push_to_hub:  # push_to_hub saves the model itself; save_model() would push a second time
        trainer.save_model()
    trainer.save_state()
    if task == "fusion" and training_args.process_index == 0:
        parts["feature_extractor"].save_pretrained(training_args.output_dir)
    for split_name, prefix in (("validation", "eval"), ("test", "test")):
        if split_name in prepared:
            split_metrics = trainer.evaluate(prepared[split_name], metric_key_prefix=prefix)
            trainer.log_metrics(prefix, split_metrics)
            trainer.save_metrics(prefix, split_metrics)
            metrics.update(split_metrics)
    if training_args.push_to_hub:
        trainer.push_to_hub(commit_message=f"sentiv train {task}")
    else:
        trainer.create_model_card()
    return metrics


def _fit_fusion_temperatures(trainer, validation) -> None:
    """Fit each modality's temperature on the validation split's per-modality logits (stored in the config)."""
    import torch
    from torch.utils.data import DataLoader

    model = trainer.model
    model.eval()
    labels, text_logits, speech_logits = [], [], []
    with torch.no_grad():
        # A plain (unsharded) loader: under DDP every rank sees the whole split and fits the same temperatures.
        loader = DataLoader(validation, batch_size=trainer.args.eval_batch_size, collate_fn=trainer.data_collator)
        for batch in loader:
            batch = {k: v.to(trainer.args.device) for k, v in batch.items()}
            labels.append(batch.pop("labels").cpu())
            # fit_temperature wants the raw per-modality logits (the fused output holds calibrated log-probs).
            text, speech = model.modality_logits(
                input_ids=batch.get("input_ids") if model.text_model is not None else None,
                attention_mask=batch.get("attention_mask"),
                input_values=batch.get("input_values") if model.speech_model is not None else None,
                audio_attention_mask=batch.get("audio_attention_mask"),
                input_features=batch.get("input_features") if model.speech_model is not None else None,
            )
            if text is not None:
                text_logits.append(text.float().cpu())
            if speech is not None:
                speech_logits.append(speech.float().cpu())
    temperatures = model.fit_temperature(
        torch.cat(labels),
        text_logits=torch.cat(text_logits) if text_logits else None,
        speech_logits=torch.cat(speech_logits) if speech_logits else None,
    )
    trainer.card_data.hyperparameters.update({k: round(float(v), 4) for k, v in temperatures.items()})
    logger.info("Fusion temperatures fitted on validation: %s", temperatures)


def main(argv: list[str] | None = None) -> int:
    """``sentiv train``: returns 0 on success, 2 on a user error (message on stderr)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[1:2] in (["-h"], ["--help"]) and argv[0] in TASKS:
        from transformers import HfArgumentParser

        from sentiv_hf.training.training_args import SentiVTrainingArguments

        HfArgumentParser(
            (DataArguments, ModelArguments, SentiVTrainingArguments), prog=f"sentiv train {argv[0]}"
        ).print_help()
        return 0
    try:
        try:
            task, data_args, model_args, training_args = parse_train_args(argv)
        except SystemExit as exit_:  # argparse already printed its message (e.g. a value outside the choices)
            return int(exit_.code or 0)
        _setup_logging(training_args)
        run_training(task, data_args, model_args, training_args)
    except CommandError as error:
        print(f"sentiv train: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
