"""Building the model a training run starts from: a tiny model made in code (offline) or a pretrained checkpoint.

One function per task: `build_text_model`, `build_speech_model` (+ `freeze_speech_model`) and `build_fusion_model`,
which checks that the text and speech checkpoints it fuses are the right kind. Errors the user can fix raise
`UserError`; every load that may reach the Hub runs inside `sentiv_hf.hub_errors.hub_access`, so an id that is not
cached while offline, or an unreachable Hub, is one line that says so (and nothing is retried).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sentiv_hf.errors import UserError
from sentiv_hf.hub_errors import hub_access, hub_failure

from .preprocessing import segmenter_or_none


def load_model_config(path: str, revision: str | None = None):
    """Load a checkpoint's config with `AutoConfig` (SentiV configs included).

    Raises `UserError` for a local path that does not exist, or a config that cannot be loaded.

    Example:
        >>> load_model_config("out/speech").model_type  # doctest: +SKIP
        'sentiv-speech'
    """
    from transformers import AutoConfig

    import sentiv_hf  # noqa: F401  (registers the SentiV configs with AutoConfig)

    if not Path(path).exists() and (path.startswith((".", "/", "~")) or path.count("/") > 1):
        raise UserError(f"Checkpoint not found: {path}")
    # hub_access (outside) turns Hub failures that are not an OSError (a refused request, ...) into one line.
    with hub_access(f"model {path!r}"):
        try:
            return AutoConfig.from_pretrained(path, revision=revision)
        except (OSError, ValueError) as error:
            if not Path(path).exists():
                # A mistyped folder and an uncached Hub id look alike: say both, with the Hub's reason (offline...).
                failure = hub_failure(error, f"model {path!r}")
                reason = str(failure).rstrip(".") if failure else str(error).splitlines()[0]
                raise UserError(
                    f"Checkpoint not found: {path!r} is not a local folder, and loading it as a Hub model id failed "
                    f"({reason}). Pass the output_dir of `sentiv train` or a Hub id."
                ) from None
            raise UserError(f"Cannot load a model config from {path!r}: {error}") from None


def _segmented_texts(split: Any, text_column: str, segmenter: str | None) -> list[str]:
    """The segmented texts of a ``datasets.Dataset`` (all cores, cached: `segment_dataset`) or of a plain
    ``{column: texts}`` mapping (segmented here)."""
    from datasets import Dataset

    from sentiv_hf.models.text import segment_dataset, segment_texts

    if isinstance(split, Dataset):
        return list(segment_dataset(split, text_column, segmenter)[text_column])
    return segment_texts(split[text_column], segmenter)


def build_text_model(
    model_name: str,
    label_names: list[str],
    *,
    train_split: Any,
    text_column: str,
    segmenter: str | None,
    max_length: int,
    seed: int,
    revision: str | None = None,
    segmented: bool = False,
):
    """Return ``(model, tokenizer)`` for a text run; the config records the segmenter and the max length.

    Args:
        model_name: ``"tiny"`` (a tiny RoBERTa whose tokenizer is trained on ``train_split``) or a checkpoint.
        label_names: the labels, in id order.
        train_split: the training split (read only for the tiny tokenizer).
        text_column: its text column.
        segmenter: ``"pyvi"`` or None.
        max_length: the maximum text length in tokens, stored as ``config.text_max_length``.
        seed: the seed of the tiny model's initialisation.
        revision: the Hub revision (branch, tag or commit hash) of ``model_name``, for the weights and the tokenizer.
        segmented: ``train_split``'s texts already went through `segment_dataset` with ``segmenter``.

    Example:
        >>> model, tokenizer = build_text_model(  # doctest: +SKIP
        ...     "tiny", labels, train_split=split, text_column="text", segmenter="pyvi", max_length=256, seed=0
        ... )
    """
    from sentiv_hf.models.text import load_text_model_and_tokenizer

    id2label = dict(enumerate(label_names))
    if model_name == "tiny":
        from sentiv_hf.models.tiny import tiny_text_model, train_tiny_tokenizer

        # The tiny tokenizer learns its vocabulary from the (segmented) training split only.
        texts = list(train_split[text_column]) if segmented else _segmented_texts(train_split, text_column, segmenter)
        tokenizer = train_tiny_tokenizer(texts)
        model = tiny_text_model(tokenizer, len(label_names), id2label, word_segmenter=segmenter, seed=seed)
    else:
        with hub_access(f"model {model_name!r}"):
            model, tokenizer = load_text_model_and_tokenizer(
                model_name,
                len(label_names),
                id2label,
                word_segmenter=segmenter,
                revision=revision,
                ignore_mismatched_sizes=True,
            )
    model.config.word_segmenter = segmenter
    model.config.text_max_length = max_length  # not "max_length": that is a generation parameter
    return model, tokenizer


def build_speech_model(model_args, label_names: list[str], multi_label: bool, seed: int, revision: str | None = None):
    """Return ``(model, feature_extractor)`` for a speech run.

    Args:
        model_args: the run's `ModelArguments` (``model``, ``encoder``, ``pooling``).
        label_names: the labels, in id order.
        multi_label: True for a multi-label head.
        seed: the seed of the tiny model's initialisation.
        revision: the Hub revision (branch, tag or commit hash) of ``model_args.model``, for the config, the
            weights (the encoder's too) and the feature extractor; defaults to ``model_args.revision`` if it has one.

    ``model`` is ``"tiny"``, a ``sentiv-speech`` checkpoint (its head is resized to the labels) or a bare encoder
    (HuBERT, wav2vec 2.0, WavLM, Whisper) that gets a new head.

    Example:
        >>> model, feature_extractor = build_speech_model(model_args, labels, False, seed=0)  # doctest: +SKIP
    """
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
    if revision is None:
        revision = getattr(model_args, "revision", None)
    with hub_access(f"model {model_args.model!r}"):
        config = AutoConfig.from_pretrained(model_args.model, revision=revision)
        if config.model_type == "sentiv-speech":
            model = SentiVSpeechForAudioClassification.from_pretrained(
                model_args.model, num_labels=len(label_names), ignore_mismatched_sizes=True, revision=revision, **extra
            )
        else:
            model = SentiVSpeechForAudioClassification.from_encoder_pretrained(
                model_args.model, num_labels=len(label_names), revision=revision, **extra
            )
        feature_extractor = AutoFeatureExtractor.from_pretrained(model_args.model, revision=revision)
    return model, feature_extractor


def freeze_speech_model(model, freeze: str) -> None:
    """Freeze ``"none"``, the CNN ``"feature_encoder"`` (when the encoder has one) or the whole ``"encoder"``.

    Example:
        >>> freeze_speech_model(model, "feature_encoder")  # doctest: +SKIP
    """
    if freeze == "encoder":
        model.freeze_encoder()
    elif freeze == "feature_encoder" and hasattr(model, "freeze_feature_encoder"):
        model.freeze_feature_encoder()


def save_tiny_base_models(splits, label_names, model_args, data_args, training_args) -> tuple[str, str]:
    """Build and save the tiny text and speech models a tiny fusion run starts from; returns their folders.

    They are written to ``OUTPUT_DIR/base_models/{text,speech}`` by the main process only.

    Example:
        >>> text_dir, speech_dir = save_tiny_base_models(  # doctest: +SKIP
        ...     splits, labels, model_args, data_args, training_args
        ... )
    """
    from sentiv_hf.labels import TEXT_LABELS
    from sentiv_hf.models.tiny import (
        tiny_speech_feature_extractor,
        tiny_speech_model,
        tiny_text_model,
        train_tiny_tokenizer,
    )

    base = Path(training_args.output_dir) / "base_models"
    text_dir, speech_dir = base / "text", base / "speech"
    segmenter = segmenter_or_none(model_args.word_segmenter)
    with training_args.main_process_first(desc="building the tiny base models"):
        if training_args.process_index == 0:
            tokenizer = train_tiny_tokenizer(_segmented_texts(splits["train"], data_args.text_column, segmenter))
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


def build_fusion_model(splits, label_names, model_args, data_args, training_args):
    """Return ``(model, text_path, speech_path)``: a `SentiVFusionModel` over a text and a speech checkpoint.

    The checkpoints are ``--text_model`` / ``--speech_model``; with ``--model tiny`` a missing one is a tiny model
    built by `save_tiny_base_models`. Raises `UserError` when one is missing or is the wrong kind of model.

    Example:
        >>> model, text_path, speech_path = build_fusion_model(  # doctest: +SKIP
        ...     splits, labels, model_args, data_args, training_args
        ... )
    """
    from sentiv_hf.models.modeling_sentiv_fusion import SentiVFusionModel

    text_path, speech_path = model_args.text_model, model_args.speech_model
    if model_args.model == "tiny" and (text_path is None or speech_path is None):
        tiny_text, tiny_speech = save_tiny_base_models(splits, label_names, model_args, data_args, training_args)
        text_path, speech_path = text_path or tiny_text, speech_path or tiny_speech
    elif model_args.model != "tiny" and text_path is None and speech_path is None:
        config = load_model_config(model_args.model, getattr(model_args, "revision", None))
        if config.model_type != "sentiv-fusion":
            raise UserError(
                f"sentiv train fusion --model {model_args.model} needs a sentiv-fusion checkpoint (it is a "
                f"{config.model_type!r} model); pass --text_model and --speech_model instead."
            )
    if text_path is None or speech_path is None:
        raise UserError("sentiv train fusion needs --text_model and --speech_model (or --model tiny).")
    for flag, path, wanted in (("text_model", text_path, None), ("speech_model", speech_path, "sentiv-speech")):
        config = load_model_config(path)
        if wanted and config.model_type != wanted:
            raise UserError(f"--{flag} {path} is a {config.model_type!r} model; expected a {wanted!r} checkpoint.")
    with hub_access(f"the models {text_path!r} and {speech_path!r}"):
        model = SentiVFusionModel.from_text_speech_pretrained(text_path, speech_path, fusion=model_args.fusion)
    return model, text_path, speech_path
