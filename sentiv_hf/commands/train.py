"""``sentiv train text|speech|fusion|context``: fine-tune a SentiV model with `SentiVTrainer`.

Arguments are three dataclasses parsed by `transformers.HfArgumentParser`: `DataArguments`, `ModelArguments` and
`SentiVTrainingArguments` (every `TrainingArguments` flag works), given as flags or as one YAML/JSON file.

Examples:
    sentiv train text --model tiny --output_dir out/text --max_steps 20
    sentiv train speech --dataset org/sentiv --model facebook/hubert-base-ls960 --budget 0.1 --seed 3 \\
        --loss focal --class_weighting inverse --sampler weighted --output_dir out/speech
    sentiv train fusion --text_model out/text --speech_model out/speech --fusion concat_mlp --output_dir out/fusion
    sentiv train context --dataset_config calls --segment_model out/speech --label_column binary_label \\
        --budget 0.5 --causal --output_dir out/context
    sentiv train speech config.yaml
    accelerate launch --config_file accelerate_configs/cpu_ddp.yaml -m sentiv_hf.cli train text --model tiny ...

Each run writes the checkpoint, ``train_ids.json`` (the label-budget ids it trained on), ``*_results.json``, the
trainer state and a model card (``README.md``) into ``--output_dir``; ``--push_to_hub`` uploads them.

``context`` trains a `SentiVContextModel` on a calls config (``sentiv data build-calls``): the segment model
(``--segment_model``: a ``sentiv train speech`` checkpoint, a bare encoder or ``tiny``) stays frozen and embeds every
segment once; the context head attends over each call's segments and is trained on the budget's segments, the rest
of the training calls being unlabelled context. The folder holds the whole model (segment model + head) and its
feature extractor, for ``sentiv predict-call CALL.wav --model OUT`` and ``AutoModel.from_pretrained(OUT)``. Its
defaults are those of the benchmark's context variant (`sentiv_hf.training.context.CONTEXT_TRAINING_DEFAULTS`).

This module parses the arguments and runs the steps; the steps live in `sentiv_hf.training`: `dataset_loading`
(splits, columns, label budget), `task_builders` (model + preprocessed splits + collator per task, built with
`model_factory`, `preprocessing` and `collators`) and `fusion_calibration` (fusion temperatures).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import CommandError

logger = logging.getLogger(__name__)

TASKS = ("text", "speech", "fusion", "context")
FREEZE_CHOICES = ("none", "feature_encoder", "encoder")


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
    revision: str | None = field(
        default=None,
        metadata={"help": "Hub revision (branch, tag or commit hash) of --model."},
    )
    freeze: str = field(
        default="feature_encoder",
        metadata={"help": "speech: freeze 'none', the CNN 'feature_encoder', or the whole 'encoder'."},
    )
    gated: Literal["manual", "auto"] | None = field(
        default=None,
        metadata={
            "help": "Gate the model: add the access-request fields (extra_gated_*) to the model card and, with "
            "--push_to_hub, turn on gated access on the repo with this approval mode ('manual' or 'auto')."
        },
    )
    license: str = field(default="apache-2.0", metadata={"help": "License in the model card."})
    segment_model: str | None = field(
        default=None,
        metadata={
            "help": "context: the model that embeds each segment (a `sentiv train speech` checkpoint, a bare "
            "encoder or 'tiny'; default --model). It stays frozen and is saved inside the context checkpoint."
        },
    )
    causal: bool = field(
        default=False, metadata={"help": "context: a segment sees only itself and earlier ones (live monitoring)."}
    )
    positions: Literal["learned", "relative"] = field(
        default="learned", metadata={"help": "context: segment positions, 'learned' or 'relative' (ALiBi)."}
    )
    context_d_model: int = field(default=256, metadata={"help": "context: width of the context Transformer."})
    context_layers: int = field(default=2, metadata={"help": "context: layers of the context Transformer."})
    context_heads: int = field(default=4, metadata={"help": "context: attention heads of the context Transformer."})


# ---------------------------------------------------------------------------------------------------------------
# Parsing


def _usage() -> str:
    return (
        "usage: sentiv train {text,speech,fusion,context} [--flags ... | CONFIG.yaml | CONFIG.json]\n"
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


def _argument_parser(task: str):
    """The `HfArgumentParser` of ``sentiv train TASK`` (data, model and training arguments)."""
    from transformers import HfArgumentParser

    from sentiv_hf.training.training_args import SentiVTrainingArguments

    parser = HfArgumentParser((DataArguments, ModelArguments, SentiVTrainingArguments), prog=f"sentiv train {task}")
    if task == "context":
        from sentiv_hf.training.context import CONTEXT_TRAINING_DEFAULTS

        parser.set_defaults(**CONTEXT_TRAINING_DEFAULTS)
    return parser


def parse_train_args(argv: list[str]):
    """Parse ``TASK [flags | config file]`` into ``(task, DataArguments, ModelArguments, SentiVTrainingArguments)``.

    Example:
        >>> task, data, model, args = parse_train_args(["text", "--output_dir", "out", "--budget", "0.5"])
        >>> task, data.budget, model.model
        ('text', 0.5, 'tiny')
    """
    if not argv or argv[0] in ("-h", "--help"):
        raise CommandError(_usage())
    task, rest = argv[0], argv[1:]
    if task not in TASKS:
        raise CommandError(f"Unknown task {task!r}; choose one of {', '.join(TASKS)}.\n{_usage()}")
    parser = _argument_parser(task)
    rest = _bare_optional_bools(rest)
    try:
        if len(rest) == 1 and rest[0].endswith((".yaml", ".yml", ".json")):
            path = Path(rest[0])
            if not path.is_file():
                raise CommandError(f"Config file not found: {path}")
            if task == "context":  # a file's parse ignores the parser's defaults: the context ones go in first
                import yaml

                from sentiv_hf.training.context import CONTEXT_TRAINING_DEFAULTS

                values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                data_args, model_args, training_args = parser.parse_dict({**CONTEXT_TRAINING_DEFAULTS, **values})
            else:
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
    if model_args.gated not in (None, "manual", "auto"):  # a config file is not checked against the choices
        raise CommandError(f"--gated must be 'manual' or 'auto' (the approval mode), got {model_args.gated!r}.")
    if model_args.positions not in ("learned", "relative"):
        raise CommandError(f"--positions must be 'learned' or 'relative', got {model_args.positions!r}.")
    return task, data_args, model_args, training_args


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
    # datasets and transformers print through their own handlers; propagating to the root handler set up above
    # (datasets always does, transformers when CI is set) would print every warning a second time.
    datasets.utils.logging.disable_propagation()
    transformers.utils.logging.disable_propagation()


def _resume_checkpoint(training_args) -> str | None:
    """The checkpoint folder ``--resume_from_checkpoint`` names: a path, or ``true``/``last`` for the newest
    complete ``checkpoint-N`` of ``--output_dir`` (an interrupted save is skipped, with a warning)."""
    from sentiv_hf.training.checkpoints import check_resumable, last_complete_checkpoint

    value = training_args.resume_from_checkpoint
    if value is None or value is False or str(value).lower() in ("", "false", "none"):
        return None
    needs_optimizer = not training_args.save_only_model
    if str(value).lower() in ("true", "last", "latest"):
        return last_complete_checkpoint(training_args.output_dir, needs_optimizer=needs_optimizer)
    return check_resumable(value, needs_optimizer=needs_optimizer)


def run_training(task: str, data_args, model_args, training_args, callbacks=None) -> dict[str, Any]:
    """Train one model and write the checkpoint, metrics, ``train_ids.json`` and model card; returns the metrics.

    Example:
        >>> task, data, model, args = parse_train_args(["text", "--output_dir", "out", "--max_steps", "2"])
        >>> metrics = run_training(task, data, model, args)  # doctest: +SKIP
    """
    from sentiv_hf.data import demo_path
    from sentiv_hf.metrics import make_compute_metrics
    from sentiv_hf.training.dataset_loading import (
        apply_budget,
        check_call_columns,
        check_columns,
        first_rows,
        label_info,
        load_splits,
        required_columns,
    )
    from sentiv_hf.training.fusion_calibration import fit_fusion_temperatures
    from sentiv_hf.training.inference import TASK_DATASET_CONFIGS, write_training_record
    from sentiv_hf.training.model_card import SentiVModelCardData
    from sentiv_hf.training.task_builders import build_fusion, build_speech, build_text
    from sentiv_hf.training.trainer import SentiVTrainer
    from sentiv_hf.training.training_args import LossType

    # Checked before any work, so that a broken launch or a bad checkpoint fails at once.
    training_args.check_distributed_launch()
    if task == "context":
        _check_context_args(training_args)
    resume_from = _resume_checkpoint(training_args)
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
                splits[key] = first_rows(raw[name], data_args.max_eval_samples)
    train = splits["train"]
    label_column, label_names, multi_label = label_info(train, data_args.label_column)
    data_args.label_column = label_column
    required = required_columns(task, label_column, data_args.text_column, data_args.audio_column)
    for name, split in splits.items():
        where = f"the {name} split of {data_args.dataset or 'the demo corpus'}:{config_name}"
        check_columns(split, required, where)
        if task == "context":
            check_call_columns(split, where)
    if multi_label and training_args.loss != LossType.BCE:
        logger.info("Column %r is multi-label: using loss='bce'.", label_column)
        training_args.loss = LossType.BCE
    if task == "text" and multi_label:
        raise CommandError("Multi-label text training is not supported; use a single-label 'label' column.")

    if task == "context" and "validation" not in splits:
        raise CommandError(
            "Context training picks its epoch on the validation calls, but the dataset has no validation split; "
            "name one with --eval_split."
        )

    budgeted, train_ids = apply_budget(train, data_args.budget, training_args.seed, label_column)
    budgeted = first_rows(budgeted, data_args.max_train_samples)
    train_ids = train_ids[: len(budgeted)]
    output_dir = Path(training_args.output_dir)
    if training_args.process_index == 0:
        output_dir.mkdir(parents=True, exist_ok=True)
        write_training_record(
            output_dir,
            dataset=data_args.dataset,
            config=config_name,
            revision=data_args.dataset_revision,
            budget=data_args.budget,
            seed=training_args.seed,
            ids=train_ids,
        )
    if task == "context":  # trains on whole calls: the budget's segments are labelled, the rest are context
        return _run_context(
            splits, config_name, train_ids, label_names, multi_label, data_args, model_args, training_args
        )
    splits["train"] = train = budgeted

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
    if task == "fusion" and "validation" in prepared:
        # Temperatures first: the concat-MLP then trains on the calibrated inputs it is fed at inference.
        fit_fusion_temperatures(trainer, prepared["validation"])
    metrics: dict[str, Any] = {}
    if parts.get("trainable", True):
        result = trainer.train(resume_from_checkpoint=resume_from)
        trainer.log_metrics("train", result.metrics)
        trainer.save_metrics("train", result.metrics)
        metrics.update(result.metrics)
    else:
        logger.info("Fusion %r has no trainable parameters: skipping training.", model_args.fusion)
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


def _check_context_args(training_args) -> None:
    """Refuse the options a context run cannot honour, and set the ones its Trainer needs."""
    from transformers.trainer_utils import IntervalStrategy, SaveStrategy

    from sentiv_hf.training.training_args import SamplerType

    if training_args.push_to_hub:
        raise CommandError(
            "--push_to_hub is not supported for context runs yet; train without it, then upload the folder with "
            "`hf upload REPO_ID OUTPUT_DIR`."
        )
    if training_args.resume_from_checkpoint not in (None, False, "", "false", "False", "none", "None"):
        raise CommandError(
            "A context run writes no checkpoints to resume from (it trains in minutes); drop --resume_from_checkpoint."
        )
    if training_args.sampler != SamplerType.RANDOM:
        raise CommandError(
            f"--sampler {training_args.sampler.value} does not apply to context training, which draws whole calls; "
            "use --sampler random (the default; --class_weighting balances the loss)."
        )
    # Whole calls come from in-memory features; the best epoch is picked on validation and kept in memory.
    training_args.remove_unused_columns = False
    if training_args.eval_strategy != IntervalStrategy.EPOCH:
        logger.info("Context training evaluates every epoch to keep the best one: using --eval_strategy epoch.")
        training_args.eval_strategy = IntervalStrategy.EPOCH
    if training_args.save_strategy != SaveStrategy.NO:
        logger.info("Context training keeps the best epoch in memory: using --save_strategy no.")
        training_args.save_strategy = SaveStrategy.NO


def _context_metric(label_names: list[str], multi_label: bool) -> str:
    """The validation metric that picks the epoch: the headline of the hotline tasks (F1 of the negative class for
    the binary task, weighted F1 for multi-label), macro-F1 otherwise."""
    if multi_label:
        return "weighted_f1"
    return "f1_negative" if "negative" in label_names else "macro_f1"


def _run_context(
    splits, config_name, train_ids, label_names, multi_label, data_args, model_args, training_args
) -> dict:
    """``sentiv train context``: embed every segment once, train the context head on the budget's segments (the
    rest of the training calls as context), save the whole model and score the test calls."""
    import numpy as np

    from sentiv_hf.data import demo_path
    from sentiv_hf.data.loading import card_config_field
    from sentiv_hf.metrics import metrics_from_logits
    from sentiv_hf.training.context import embed_calls, predict_context, train_context_model
    from sentiv_hf.training.task_builders import build_context
    from sentiv_hf.training.trainer import _multi_hot

    train, label_column = splits["train"], data_args.label_column
    all_ids = [str(x) for x in train.with_format(None)["id"]] if "id" in train.column_names else None
    row_of = {row_id: i for i, row_id in enumerate(all_ids or [str(i) for i in range(len(train))])}
    budget_rows = np.array([row_of[row_id] for row_id in train_ids], dtype=np.int64)
    output_dir = Path(training_args.output_dir)

    segments = card_config_field(data_args.dataset, "segments", config_name, data_args.dataset_revision) or {}
    if not segments:
        logger.warning(
            "The dataset card records no segment settings for %r (a `sentiv data build-calls` card does): assuming "
            "30 s segments without overlap.",
            config_name,
        )
    segment_seconds = float(segments.get("segment_seconds") or 30.0)
    # A call's last window may take in a remainder of up to half a window.
    max_seconds = float(segments.get("max_seconds") or 1.5 * segment_seconds)
    parts = build_context(
        label_names,
        multi_label,
        model_args,
        training_args,
        segment_seconds=segment_seconds,
        segment_overlap=float(segments.get("overlap") or 0.0),
        max_seconds=max_seconds,
    )
    model, feature_extractor = parts["model"], parts["feature_extractor"]
    model.to(training_args.device)

    def embed(split):
        return embed_calls(
            model,
            split,
            feature_extractor,
            training_args.per_device_eval_batch_size,
            max_seconds=max_seconds,
            audio_column=data_args.audio_column,
            show_progress=not training_args.disable_tqdm,
        )

    def labels(split) -> np.ndarray:
        values = split.with_format(None)[label_column]
        return _multi_hot(values, len(label_names)) if multi_label else np.asarray(values, dtype=np.int64)

    def calls(split, name: str) -> tuple[np.ndarray, np.ndarray]:
        rows = split.with_format(None).select_columns(["call_id", "segment_index"])
        return np.array([f"{name}/{c}" for c in rows["call_id"]]), np.asarray(rows["segment_index"])

    validation = splits["validation"]
    features = np.concatenate([embed(train), embed(validation)])
    call_parts = [calls(train, "train"), calls(validation, "validation")]
    call_ids = np.concatenate([c for c, _ in call_parts])
    positions = np.concatenate([p for _, p in call_parts])
    y = np.concatenate([labels(train), labels(validation)])
    labelled = np.zeros(len(features), dtype=bool)
    labelled[budget_rows] = True
    labelled[len(train) :] = True
    trainer, selection = train_context_model(
        model,
        features,
        call_ids,
        positions,
        y,
        labelled,
        np.arange(len(train)),
        np.arange(len(train), len(features)),
        args=training_args,
        label_names=list(label_names),
        multi_label=multi_label,
        metric=_context_metric(list(label_names), multi_label),
    )
    logger.info("Best validation epoch %s (score %.4f).", selection["best_epoch"], selection["validation_score"])
    if training_args.process_index == 0:
        model.save_pretrained(output_dir)
        feature_extractor.save_pretrained(output_dir)

    metrics: dict[str, Any] = {}
    eval_metrics = trainer.evaluate(metric_key_prefix="eval")
    trainer.log_metrics("eval", eval_metrics)
    trainer.save_metrics("eval", eval_metrics)
    metrics.update(eval_metrics)
    if "test" in splits:
        test = splits["test"]
        test_calls, test_positions = calls(test, "test")
        logits = predict_context(model, embed(test), test_calls, test_positions, np.arange(len(test)))
        scores = metrics_from_logits(logits, labels(test), label_names=list(label_names), multi_label=multi_label)
        test_metrics = {f"test_{k}": float(v) for k, v in scores.items() if isinstance(v, (int, float))}
        trainer.log_metrics("test", test_metrics)
        trainer.save_metrics("test", test_metrics)
        trainer.card_data.add_metrics(test_metrics, "test")
        metrics.update(test_metrics)
    trainer.save_state()
    card = trainer.card_data
    card.task = "context"
    card.model_id = training_args.hub_model_id
    card.base_model = parts["base_model"]
    card.dataset_id = data_args.dataset or str(demo_path())
    card.dataset_config = config_name
    card.dataset_revision = data_args.dataset_revision
    card.label_budget = data_args.budget
    card.seed = training_args.seed
    card.num_train_examples = len(budget_rows)
    card.labels = list(label_names)
    card.preprocessing = parts["preprocessing"]
    card.license = model_args.license
    card.gated = model_args.gated
    trainer.create_model_card()
    return metrics


def main(argv: list[str] | None = None) -> int:
    """``sentiv train``: returns 0 on success, 2 on a user error (message on stderr)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(_usage())
        return 0
    if argv[1:2] in (["-h"], ["--help"]) and argv[0] in TASKS:
        _argument_parser(argv[0]).print_help()
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
