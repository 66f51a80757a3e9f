"""The pieces of a ``sentiv train`` run, one builder per task: model, preprocessed splits, collator and card text.

Each builder returns a dict with ``model``, ``processing_class``, ``data_collator``, ``splits`` (prepared, keyed
``train``/``validation``/``test``) and ``preprocessing`` (the model card's description of it); fusion adds
``feature_extractor``, ``base_model`` and ``trainable``. `sentiv_hf.commands.train.run_training` hands them to
`SentiVTrainer`. `build_context` builds the model of a context run only (its features and Trainer come from
`sentiv_hf.training.context`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from transformers import AutoConfig, AutoFeatureExtractor, AutoTokenizer, DataCollatorWithPadding

from sentiv_hf.data.audio import AudioPreprocessor
from sentiv_hf.hub_errors import hub_access
from sentiv_hf.models.text import segment_dataset

from .collators import FusionCollator
from .model_factory import build_fusion_model, build_speech_model, build_text_model, freeze_speech_model
from .preprocessing import (
    FusionPreprocessor,
    describe_audio_preprocessing,
    describe_text_preprocessing,
    segmenter_or_none,
    tokenize_text_split,
)


def _audio_preprocessor(feature_extractor, split_name: str, num_labels: int, model_args, data_args, training_args):
    """The audio transform of one split: random crops in training, centre crops in evaluation."""
    return AudioPreprocessor(
        feature_extractor,
        max_seconds=model_args.max_seconds,
        sampling_rate=model_args.sampling_rate,
        train=split_name == "train",
        seed=training_args.seed,
        label_column=data_args.label_column,
        num_labels=num_labels,
    )


def _segment_splits(splits, segmenter: str | None, text_column: str, training_args) -> dict:
    """Every split word-segmented once (all cores, cached by ``datasets``; the main process goes first, so other
    ranks read its cache instead of segmenting again)."""
    segmented = {}
    for name, split in splits.items():
        with training_args.main_process_first(desc=f"word-segmenting {name}"):
            segmented[name] = segment_dataset(split, text_column, segmenter)
    return segmented


def build_text(splits, label_names, model_args, data_args, training_args) -> dict[str, Any]:
    """Text run: tokenised splits (word-segmented first), padded by `DataCollatorWithPadding`.

    Example:
        >>> parts = build_text(splits, labels, model_args, data_args, training_args)  # doctest: +SKIP
        >>> parts["preprocessing"]  # doctest: +SKIP
        'word segmenter `pyvi`, max length 256 tokens'
    """
    segmenter = segmenter_or_none(model_args.word_segmenter)
    splits = _segment_splits(splits, segmenter, data_args.text_column, training_args)
    model, tokenizer = build_text_model(
        model_args.model,
        label_names,
        train_split=splits["train"],
        text_column=data_args.text_column,
        segmenter=segmenter,
        max_length=model_args.max_length,
        seed=training_args.seed,
        revision=getattr(model_args, "revision", None),
        segmented=True,
    )
    prepared = {}
    for name, split in splits.items():
        drop = [c for c in split.column_names if c not in ("label", "labels", data_args.label_column)]
        with training_args.main_process_first(desc=f"tokenizing {name}"):
            prepared[name] = tokenize_text_split(
                split,
                tokenizer,
                segmenter,
                model_args.max_length,
                data_args.text_column,
                remove_columns=drop,
                segmented=True,
                desc=f"Tokenizing {name}",
            )
    return {
        "model": model,
        "processing_class": tokenizer,
        "data_collator": DataCollatorWithPadding(tokenizer),
        "splits": prepared,
        "preprocessing": describe_text_preprocessing(segmenter, model_args.max_length),
    }


def build_speech(splits, label_names, multi_label, model_args, data_args, training_args) -> dict[str, Any]:
    """Speech run: splits with an on-the-fly `AudioPreprocessor` transform, padded by the feature extractor.

    Example:
        >>> parts = build_speech(splits, labels, False, model_args, data_args, training_args)  # doctest: +SKIP
    """
    model, feature_extractor = build_speech_model(model_args, label_names, multi_label, training_args.seed)
    freeze_speech_model(model, model_args.freeze)
    prepared = {}
    for name, split in splits.items():
        keep = (data_args.audio_column, data_args.label_column or "label", "labels", "duration")
        split = split.remove_columns([c for c in split.column_names if c not in keep])
        if data_args.audio_column != "audio":
            split = split.rename_column(data_args.audio_column, "audio")
        split.set_transform(
            _audio_preprocessor(feature_extractor, name, len(label_names), model_args, data_args, training_args)
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
        "preprocessing": describe_audio_preprocessing(model_args.sampling_rate, model_args.max_seconds),
    }


def build_fusion(splits, label_names, model_args, data_args, training_args) -> dict[str, Any]:
    """Fusion run: a fusion head over fine-tuned text and speech models, which stay frozen.

    Example:
        >>> parts = build_fusion(splits, labels, model_args, data_args, training_args)  # doctest: +SKIP
        >>> parts["trainable"]  # doctest: +SKIP
        True
    """
    model, text_path, speech_path = build_fusion_model(splits, label_names, model_args, data_args, training_args)
    with hub_access(f"the processors of {text_path!r} and {speech_path!r}"):
        tokenizer = AutoTokenizer.from_pretrained(text_path)
        feature_extractor = AutoFeatureExtractor.from_pretrained(speech_path)
        text_config = AutoConfig.from_pretrained(text_path)
    segmenter = getattr(text_config, "word_segmenter", segmenter_or_none(model_args.word_segmenter))
    # Segmented once here (cached under the raw split's fingerprint, which the tiny base model's tokenizer used too),
    # not by the transform on every batch of every epoch.
    splits = _segment_splits(splits, segmenter, data_args.text_column, training_args)
    keep = (data_args.audio_column, data_args.text_column, data_args.label_column or "label")
    splits = {
        name: split.remove_columns([c for c in split.column_names if c not in keep]) for name, split in splits.items()
    }
    prepared = {}
    for name, split in splits.items():
        audio_prep = _audio_preprocessor(
            feature_extractor, name, len(label_names), model_args, data_args, training_args
        )
        split.set_transform(
            FusionPreprocessor(
                tokenizer, audio_prep, segmenter, model_args.max_length, data_args.text_column, segmented=True
            )
        )
        prepared[name] = split
    training_args.remove_unused_columns = False
    # Train only the fusion head: the text and speech models are already fine-tuned.
    model.freeze_submodels()
    return {
        "model": model,
        "processing_class": tokenizer,
        "data_collator": FusionCollator(tokenizer, feature_extractor),
        "splits": prepared,
        "feature_extractor": feature_extractor,
        "base_model": [text_path, speech_path],
        "trainable": any(p.requires_grad for p in model.parameters()),
        "preprocessing": (
            f"text: {describe_text_preprocessing(segmenter, model_args.max_length)}; "
            f"audio: {describe_audio_preprocessing(model_args.sampling_rate, model_args.max_seconds)}"
        ),
    }


def build_context(
    label_names: list[str],
    multi_label: bool,
    model_args,
    training_args,
    *,
    segment_seconds: float,
    segment_overlap: float,
    max_seconds: float,
) -> dict[str, Any]:
    """Context run: a `SentiVContextModel` around the segment model ``model_args.segment_model`` (default
    ``model_args.model``), with a fresh context head seeded by ``training_args.seed``.

    The segment model is a ``sentiv-speech`` checkpoint (loaded as it is), ``tiny`` or a bare encoder (both built by
    `build_speech_model` with the dataset's labels). Its ``max_duration_s`` becomes ``max_seconds``, the crop its
    segments are embedded with, so that ``sentiv predict-call`` prepares a segment the same way.

    Returns ``{"model", "feature_extractor", "base_model", "preprocessing"}``.

    Example:
        >>> parts = build_context(["non-negative", "negative"], False, model_args, training_args,
        ...                       segment_seconds=4.0, segment_overlap=0.0, max_seconds=4.0)  # doctest: +SKIP
        >>> parts["model"].config.model_type  # doctest: +SKIP
        'sentiv-context'
    """
    import torch

    from sentiv_hf.models import SentiVContextModel
    from sentiv_hf.models.modeling_sentiv_speech import SentiVSpeechForAudioClassification

    name = model_args.segment_model or model_args.model
    revision = getattr(model_args, "revision", None)
    config = None
    if name != "tiny":
        with hub_access(f"model {name!r}"):
            config = AutoConfig.from_pretrained(name, revision=revision)
    if config is not None and config.model_type == "sentiv-speech":
        with hub_access(f"model {name!r}"):
            segment_model = SentiVSpeechForAudioClassification.from_pretrained(name, revision=revision)
            feature_extractor = AutoFeatureExtractor.from_pretrained(name, revision=revision)
    else:
        segment_model, feature_extractor = build_speech_model(
            replace(model_args, model=name), label_names, multi_label, training_args.seed
        )
    segment_model.config.max_duration_s = float(max_seconds)
    with torch.random.fork_rng():
        torch.manual_seed(training_args.seed)
        model = SentiVContextModel.from_segment_model(
            segment_model,
            head="multi_label" if multi_label else "single_label",
            id2label=dict(enumerate(label_names)),
            label2id={label: i for i, label in enumerate(label_names)},
            causal=model_args.causal,
            positions=model_args.positions,
            d_model=model_args.context_d_model,
            num_layers=model_args.context_layers,
            num_heads=model_args.context_heads,
            segment_seconds=segment_seconds,
            segment_overlap=segment_overlap,
            sampling_rate=feature_extractor.sampling_rate,
        )
    return {
        "model": model,
        "feature_extractor": feature_extractor,
        "base_model": name,
        "preprocessing": (
            f"calls cut into {segment_seconds:g} s segments ({segment_overlap:g} s overlap); each segment mono "
            f"{feature_extractor.sampling_rate} Hz, centre-cropped to {max_seconds:g} s and embedded once by the "
            "frozen segment model; the context head attends over the segments of a call"
        ),
    }
