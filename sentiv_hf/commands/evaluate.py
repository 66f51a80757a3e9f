"""``sentiv evaluate CHECKPOINT``: score a text, speech or fusion checkpoint on one dataset split.

Writes into ``--output_dir`` (default ``CHECKPOINT/eval-<config>-<split>``):

* ``metrics.json``: accuracy, macro/weighted F1, per-class F1, UAR, ECE and the confusion matrix, plus where they
  came from (checkpoint, dataset, config, split, number of examples);
* ``confusion_matrix.png``: the confusion matrix plot (matplotlib, Agg backend);
* ``per_class_report.csv`` / ``per_class_report.txt``: scikit-learn's precision/recall/F1/support per class;
* ``predictions.jsonl``: one line per example with its id, reference, prediction and probabilities.

Example:
    sentiv evaluate out/speech --dataset org/sentiv --split test
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CommandError, run_reporting_errors
from .train import TASK_DATASET_CONFIGS

logger = logging.getLogger(__name__)


def task_of_config(config, checkpoint: str) -> str:
    """``text``, ``speech`` or ``fusion`` from a checkpoint's config; `CommandError` for anything else."""
    model_type = getattr(config, "model_type", None)
    if model_type == "sentiv-fusion":
        return "fusion"
    if model_type == "sentiv-speech":
        return "speech"
    architectures = getattr(config, "architectures", None) or []
    if any(a.endswith("ForSequenceClassification") for a in architectures):
        return "text"
    raise CommandError(
        f"{checkpoint} is a {model_type!r} model ({', '.join(architectures) or 'no architectures'}), not a SentiV "
        "checkpoint: expected a sequence classifier (text), a 'sentiv-speech' or a 'sentiv-fusion' model."
    )


def load_for_inference(checkpoint: str) -> dict[str, Any]:
    """Load a checkpoint for evaluation/prediction: ``{task, model, tokenizer, feature_extractor, segmenter, ...}``.

    Raises `CommandError` for a missing checkpoint or a config that is not a SentiV text/speech/fusion model.

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
    from sentiv_hf.training.model_factory import load_model_config

    # load_model_config reports a missing local folder; a name that may be a Hub id is tried on the Hub.
    if Path(checkpoint).is_dir() and not (Path(checkpoint) / "config.json").is_file():
        raise CommandError(f"{checkpoint} has no config.json: it is not a saved model (pass the training output_dir).")
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
    parts["max_seconds"] = float(getattr(model.config, "max_duration_s", None) or 8.0)
    parts["sampling_rate"] = int(getattr(model.config, "sampling_rate", None) or 16000)
    return parts


def _prepare_split(split, parts: dict[str, Any], args, label_column: str | None):
    """Tokenise / attach the audio transform for one split, as in training (evaluation mode)."""
    from transformers import DataCollatorWithPadding

    from sentiv_hf.data.audio import AudioPreprocessor
    from sentiv_hf.training.collators import FusionCollator
    from sentiv_hf.training.preprocessing import FusionPreprocessor, text_preprocessor

    task = parts["task"]
    audio_prep = None
    if task in ("speech", "fusion"):
        if args.audio_column != "audio":
            split = split.rename_column(args.audio_column, "audio")
        audio_prep = AudioPreprocessor(
            parts["feature_extractor"],
            max_seconds=parts["max_seconds"],
            sampling_rate=parts["sampling_rate"],
            train=False,
            label_column=label_column,
            num_labels=len(parts["label_names"]),
        )
    if task == "text":
        tokenize = text_preprocessor(parts["tokenizer"], parts["segmenter"], parts["max_length"], args.text_column)
        keep = {label_column} if label_column else set()
        split = split.map(tokenize, batched=True, remove_columns=[c for c in split.column_names if c not in keep])
        return split, DataCollatorWithPadding(parts["tokenizer"])
    keep = {"audio", args.text_column, label_column}
    split = split.remove_columns([c for c in split.column_names if c not in keep])
    if task == "speech":
        split.set_transform(audio_prep)
        return split, DataCollatorWithPadding(parts["feature_extractor"])
    split.set_transform(
        FusionPreprocessor(parts["tokenizer"], audio_prep, parts["segmenter"], parts["max_length"], args.text_column)
    )
    return split, FusionCollator(parts["tokenizer"], parts["feature_extractor"])


def predict_logits(parts: dict[str, Any], dataset, collator, batch_size: int = 8, output_dir: str | None = None):
    """Run the model over a prepared dataset with `SentiVTrainer.predict`; returns ``(logits, label_ids)``."""
    import tempfile

    from sentiv_hf.training.trainer import SentiVTrainer
    from sentiv_hf.training.training_args import SentiVTrainingArguments

    with tempfile.TemporaryDirectory() as tmp:
        args = SentiVTrainingArguments(
            output_dir=output_dir or tmp,
            per_device_eval_batch_size=batch_size,
            report_to=[],
            remove_unused_columns=False,
            loss="bce" if parts["multi_label"] else "ce",
            disable_tqdm=True,
            use_cpu=not _has_accelerator(),
        )
        trainer = SentiVTrainer(model=parts["model"], args=args, data_collator=collator)
        output = trainer.predict(dataset)
    logits = output.predictions[0] if isinstance(output.predictions, tuple) else output.predictions
    return np.asarray(logits, dtype=np.float64), output.label_ids


def _has_accelerator() -> bool:
    import torch

    return torch.cuda.is_available()


def write_reports(
    out_dir: Path, metrics: dict[str, Any], references, predictions, label_names: list[str]
) -> dict[str, Path]:
    """Write the confusion-matrix PNG and the per-class report (CSV and text); returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    from sklearn.metrics import ConfusionMatrixDisplay, classification_report, confusion_matrix

    labels = list(range(len(label_names)))
    matrix = confusion_matrix(references, predictions, labels=labels)
    fig, ax = plt.subplots(figsize=(1.0 + 0.8 * len(labels), 1.0 + 0.8 * len(labels)))
    ConfusionMatrixDisplay(matrix, display_labels=label_names).plot(ax=ax, cmap="Blues", colorbar=False)
    ax.set_title(f"macro-F1 {metrics.get('macro_f1', float('nan')):.3f}")
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    fig.tight_layout()
    png = out_dir / "confusion_matrix.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)
    kwargs = {"labels": labels, "target_names": label_names, "zero_division": 0}
    report = classification_report(references, predictions, output_dict=True, **kwargs)
    csv = out_dir / "per_class_report.csv"
    pd.DataFrame(report).transpose().to_csv(csv, index_label="label")
    txt = out_dir / "per_class_report.txt"
    txt.write_text(classification_report(references, predictions, digits=4, **kwargs), encoding="utf-8")
    return {"confusion_matrix": png, "per_class_csv": csv, "per_class_txt": txt}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sentiv evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a folder written by `sentiv train` (or a Hub id)")
    parser.add_argument("--dataset", default=None, help="Hub-ready dataset folder or Hub id (default: demo corpus)")
    parser.add_argument("--dataset_config", "--dataset-config", default=None, help="default: after the model type")
    parser.add_argument("--dataset_revision", "--dataset-revision", default=None)
    parser.add_argument("--split", default="test", help="split to score (default: test)")
    parser.add_argument("--output_dir", "--output-dir", default=None, help="default: CHECKPOINT/eval-<config>-<split>")
    parser.add_argument("--batch_size", "--batch-size", type=int, default=8)
    parser.add_argument("--text_column", "--text-column", default="text")
    parser.add_argument("--audio_column", "--audio-column", default="audio")
    parser.add_argument("--label_column", "--label-column", default=None, help="default: label, else labels")
    parser.add_argument("--max_samples", "--max-samples", type=int, default=None, help="score only the first N rows")
    return parser


def run_evaluation(args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate ``args.checkpoint`` on ``args.split`` and write the reports; returns the metrics dict."""
    from sentiv_hf.metrics import compute_classification_metrics, compute_multilabel_metrics, softmax
    from sentiv_hf.training.dataset_loading import (
        check_columns,
        first_rows,
        label_info,
        load_splits,
        required_columns,
    )

    parts = load_for_inference(args.checkpoint)
    task = parts["task"]
    config_name = args.dataset_config or TASK_DATASET_CONFIGS[task]
    splits = load_splits(args.dataset, config_name, args.dataset_revision)
    if args.split not in splits:
        raise CommandError(f"Dataset has no split {args.split!r}; it has {sorted(splits)}.")
    split = first_rows(splits[args.split], args.max_samples)
    label_column, data_labels, multi_label = label_info(split, args.label_column)
    required = required_columns(task, label_column, args.text_column, args.audio_column)
    check_columns(split, required, f"{args.dataset or 'the demo corpus'}:{config_name}/{args.split}")
    model_labels = parts["label_names"]
    unknown = [name for name in data_labels if name not in model_labels]
    if unknown:
        raise CommandError(
            f"The {task} checkpoint predicts {model_labels}, but the dataset config {config_name!r} has the labels "
            f"{unknown} it does not know: wrong dataset config for this model (pass --dataset_config)."
        )
    ids = [str(x) for x in split["id"]] if "id" in split.column_names else [str(i) for i in range(len(split))]
    if data_labels != model_labels and not multi_label:
        remap = {i: model_labels.index(name) for i, name in enumerate(data_labels)}
        from datasets import ClassLabel

        # Score in the model's label space: dataset ids are re-encoded by name (e.g. 6 speech labels -> 7 text ids).
        features = split.features.copy()
        features[label_column] = ClassLabel(names=model_labels)
        split = split.map(
            lambda batch: {label_column: [remap[v] for v in batch[label_column]]},
            batched=True,
            features=features,
            desc="Relabelling",
        )
    prepared, collator = _prepare_split(split, parts, args, label_column)
    logits, label_ids = predict_logits(parts, prepared, collator, args.batch_size)
    if multi_label or parts["multi_label"]:
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        metrics = compute_multilabel_metrics(probabilities, np.asarray(label_ids), label_names=model_labels)
        references = predictions = None
    else:
        probabilities = softmax(logits)
        predictions = logits.argmax(-1)
        references = np.asarray(label_ids).reshape(-1)
        metrics = compute_classification_metrics(
            predictions, references, label_names=model_labels, probabilities=probabilities
        )
    out_dir = Path(args.output_dir or Path(args.checkpoint) / f"eval-{config_name}-{args.split}")
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "checkpoint": str(args.checkpoint),
        "task": task,
        "dataset": args.dataset or "demo",
        "dataset_config": config_name,
        "split": args.split,
        "num_examples": len(split),
        "label_names": model_labels,
        "metrics": _jsonable(metrics),
    }
    (out_dir / "metrics.json").write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    if predictions is not None:
        write_reports(out_dir, metrics, references, predictions, model_labels)
        with open(out_dir / "predictions.jsonl", "w", encoding="utf-8") as handle:
            for row_id, ref, pred, probs in zip(ids, references, predictions, probabilities):
                row = {
                    "id": row_id,
                    "label": model_labels[int(ref)],
                    "prediction": model_labels[int(pred)],
                    "probabilities": {n: round(float(p), 6) for n, p in zip(model_labels, probs)},
                }
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary = ", ".join(f"{k}={metrics[k]:.4f}" for k in ("accuracy", "macro_f1", "weighted_f1") if k in metrics)
    print(f"{args.checkpoint} on {config_name}/{args.split} ({len(split)} examples): {summary}")
    print(f"Reports written to {out_dir}")
    return metrics


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def main(argv: list[str] | None = None) -> int:
    """``sentiv evaluate``: 0 on success, 2 on a user error (message on stderr)."""
    return run_reporting_errors("sentiv evaluate", _parser(), argv, run_evaluation)


if __name__ == "__main__":
    sys.exit(main())
