"""``sentiv evaluate CHECKPOINT``: score a text, speech or fusion checkpoint on one dataset split.

Without ``--dataset`` it scores the dataset the checkpoint records it was trained on (``train_ids.json``, written by
``sentiv train``; its config too, unless ``--dataset_config`` is given), and says so; a checkpoint that records none
(a Hub id, a folder written by ``save_pretrained``) is an error asking for ``--dataset``.

Writes into ``--output_dir`` (default ``CHECKPOINT/eval-<dataset>-<config>-<split>``, where ``<dataset>`` is the
dataset folder's name, the Hub id with ``--`` for ``/``, or ``demo``, so scores on two datasets never overwrite each
other). The folder is written whole into a staging folder and swapped in: a failed evaluation leaves an earlier one
intact.

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
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .arguments import ArgumentParser
from .errors import CommandError, run_reporting_errors

logger = logging.getLogger(__name__)

#: The files an evaluation writes; an existing output folder holding anything else is not replaced.
REPORT_FILES = (
    "metrics.json",
    "confusion_matrix.png",
    "per_class_report.csv",
    "per_class_report.txt",
    "predictions.jsonl",
)


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
    parser = ArgumentParser(prog="sentiv evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a folder written by `sentiv train` (or a Hub id)")
    parser.add_argument(
        "--dataset",
        default=None,
        help="Hub-ready dataset folder or Hub id (default: the dataset the checkpoint was trained on)",
    )
    parser.add_argument(
        "--dataset_config", default=None, help="default: the trained-on config, else after the model type"
    )
    parser.add_argument("--dataset_revision", default=None)
    parser.add_argument("--split", default="test", help="split to score (default: test)")
    parser.add_argument("--output_dir", default=None, help="default: CHECKPOINT/eval-<dataset>-<config>-<split>")
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--text_column", default="text")
    parser.add_argument("--audio_column", default="audio")
    parser.add_argument("--label_column", default=None, help="default: label, else labels")
    parser.add_argument("--max_samples", type=int, default=None, help="score only the first N rows")
    return parser


def _dataset_to_score(args: argparse.Namespace, task: str) -> dict[str, Any]:
    """Which dataset, config and revision to score: ``--dataset`` if given, else what the checkpoint records.

    Returns ``{"dataset", "config", "revision", "source", "why"}``: ``dataset`` None is the demo corpus;
    ``source`` is ``"--dataset"`` or ``"train_ids.json"``, and ``why`` says so in words. Raises `CommandError` when
    neither says.
    """
    from sentiv_hf.training.inference import TASK_DATASET_CONFIGS, TRAIN_RECORD, recorded_training_dataset

    chosen = {"dataset": args.dataset, "config": args.dataset_config, "revision": args.dataset_revision}
    if args.dataset is not None:
        chosen["source"], chosen["why"] = "--dataset", "from --dataset"
    else:
        recorded = recorded_training_dataset(args.checkpoint)
        if recorded is None:
            raise CommandError(
                f"{args.checkpoint} does not record the dataset it was trained on (no {TRAIN_RECORD}): pass "
                "--dataset (a dataset folder or Hub id) and --dataset_config."
            )
        chosen["dataset"] = recorded.dataset
        chosen["config"] = args.dataset_config or recorded.config
        chosen["revision"] = args.dataset_revision or recorded.revision
        chosen["source"], chosen["why"] = TRAIN_RECORD, f"the training dataset recorded in {recorded.record}"
    chosen["config"] = chosen["config"] or TASK_DATASET_CONFIGS[task]
    return chosen


def run_evaluation(args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate ``args.checkpoint`` on ``args.split`` and write the reports; returns the metrics dict."""
    from sentiv_hf.data.loading import dataset_name
    from sentiv_hf.data.staging import replaced_folder
    from sentiv_hf.metrics import compute_classification_metrics, compute_multilabel_metrics, softmax
    from sentiv_hf.naming import slug
    from sentiv_hf.training.dataset_loading import (
        check_columns,
        first_rows,
        label_info,
        load_splits,
        required_columns,
    )
    from sentiv_hf.training.inference import (
        check_finite_scores,
        load_for_inference,
        predict_logits,
        prepare_split,
    )

    parts = load_for_inference(args.checkpoint)
    task = parts["task"]
    chosen = _dataset_to_score(args, task)
    dataset, config_name = chosen["dataset"], chosen["config"]
    shown = dataset or dataset_name(None)
    default_name = f"eval-{slug(dataset_name(dataset))}-{config_name}-{args.split}"
    out_dir = Path(args.output_dir or Path(args.checkpoint) / default_name)
    _check_replaceable(out_dir)  # before the work, not after it
    print(f"Scoring {args.checkpoint} on {shown}:{config_name}/{args.split} ({chosen['why']})")
    try:
        splits = load_splits(dataset, config_name, chosen["revision"])
    except CommandError as error:
        if chosen["source"] == "--dataset":
            raise
        raise CommandError(f"{error} (It is {chosen['why']}; pass --dataset to score another.)") from None
    if args.split not in splits:
        raise CommandError(f"Dataset has no split {args.split!r}; it has {sorted(splits)}.")
    split = first_rows(splits[args.split], args.max_samples)
    label_column, data_labels, multi_label = label_info(split, args.label_column)
    required = required_columns(task, label_column, args.text_column, args.audio_column)
    check_columns(split, required, f"{shown}:{config_name}/{args.split}")
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
    prepared, collator = prepare_split(
        split, parts, label_column=label_column, text_column=args.text_column, audio_column=args.audio_column
    )
    logits, label_ids = predict_logits(parts, prepared, collator, args.batch_size)
    check_finite_scores(logits, args.checkpoint, [f"row {row_id}" for row_id in ids])
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
    record = {
        "checkpoint": str(args.checkpoint),
        "task": task,
        "dataset": dataset_name(dataset),
        "dataset_config": config_name,
        "dataset_revision": chosen["revision"],
        "dataset_source": chosen["source"],
        "split": args.split,
        "num_examples": len(split),
        "label_names": model_labels,
        "metrics": _jsonable(metrics),
    }
    with replaced_folder(out_dir) as folder:
        text = json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False)
        (folder / "metrics.json").write_text(text, encoding="utf-8")
        if predictions is not None:
            write_reports(folder, metrics, references, predictions, model_labels)
            _write_predictions(folder / "predictions.jsonl", ids, references, predictions, probabilities, model_labels)
    summary = ", ".join(f"{k}={metrics[k]:.4f}" for k in ("accuracy", "macro_f1", "weighted_f1") if k in metrics)
    print(f"{args.checkpoint} on {shown}:{config_name}/{args.split} ({len(split)} examples): {summary}")
    print(f"Reports written to {out_dir}")
    return metrics


def _write_predictions(path: Path, ids, references, predictions, probabilities, label_names: list[str]) -> None:
    """One JSON line per example: its id, reference, prediction and probabilities."""
    with open(path, "w", encoding="utf-8") as handle:
        for row_id, ref, pred, probs in zip(ids, references, predictions, probabilities):
            row = {
                "id": row_id,
                "label": label_names[int(ref)],
                "prediction": label_names[int(pred)],
                "probabilities": {n: round(float(p), 6) for n, p in zip(label_names, probs)},
            }
            handle.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")


def _check_replaceable(out_dir: Path) -> None:
    """Refuse an output folder that holds files an evaluation does not write: the evaluation replaces the whole
    folder, and ``--output_dir .`` must not wipe the current one."""
    if out_dir.is_file():
        raise CommandError(f"--output_dir {out_dir} is a file; pass a folder (it is created if missing).")
    others = sorted(p.name for p in out_dir.iterdir() if p.name not in REPORT_FILES) if out_dir.is_dir() else []
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise CommandError(
            f"--output_dir {out_dir} holds other files ({shown}); an evaluation replaces its whole folder, so pass "
            "a new or empty folder, or one an earlier evaluation wrote."
        )


def _jsonable(value: Any) -> Any:
    """``value`` with numpy types as Python ones, and NaN/inf (an undefined metric) as None: JSON has no NaN."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def main(argv: list[str] | None = None) -> int:
    """``sentiv evaluate``: 0 on success, 2 on a user error (message on stderr)."""
    return run_reporting_errors("sentiv evaluate", _parser(), argv, run_evaluation)


if __name__ == "__main__":
    sys.exit(main())
