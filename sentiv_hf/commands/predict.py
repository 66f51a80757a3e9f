"""``sentiv predict CHECKPOINT INPUT...``: emotions for texts, audio files, or text + audio pairs (fusion).

A positional INPUT that is an existing file is audio; anything else is text. ``--text`` and ``--audio`` say it
explicitly. A text model takes texts, a speech model audio files, and a fusion model pairs the i-th text with the
i-th audio file (a missing half uses the other modality only). One JSON object per input is printed (or written
to ``OUTPUT_DIR/predictions.jsonl``): the inputs, the predicted label and the probabilities of the ``--top_k``
best labels.

Every input is checked before the model runs, with the pipeline's checks: a blank text (empty, spaces or zero-width
characters only), an audio file that is empty, undecodable, holds NaN/inf samples, or is shorter than the encoder's
first frame, is a one-line error naming it (exit 2). Scores are never NaN in the output.

Examples:
    sentiv predict out/text "Hôm nay tôi rất vui" "Tôi sợ quá"
    sentiv predict out/speech clip1.wav clip2.wav
    sentiv predict out/fusion --text "Tôi sợ quá" --audio clip1.wav
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .arguments import ArgumentParser, add_output_dir
from .errors import CommandError, run_reporting_errors

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="sentiv predict", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a folder written by `sentiv train` (or a Hub id)")
    parser.add_argument("inputs", nargs="*", help="texts and/or audio files (existing files are audio)")
    parser.add_argument("--text", nargs="+", default=[], help="texts (explicit)")
    parser.add_argument("--audio", nargs="+", default=[], help="audio files (explicit)")
    parser.add_argument("--top_k", type=int, default=3, help="how many labels to list per input")
    parser.add_argument("--batch_size", type=int, default=8)
    add_output_dir(parser, help="write OUTPUT_DIR/predictions.jsonl instead of printing the JSON lines")
    return parser


def _split_inputs(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    texts, audios = list(args.text), list(args.audio)
    for value in args.inputs:
        (audios if Path(value).is_file() else texts).append(value)
    for path in audios:
        if not Path(path).is_file():
            raise CommandError(f"Audio file not found: {path}")
    return texts, audios


def _check_texts(texts: list[str]) -> None:
    """Refuse non-strings and blank texts up front, with the ``sentiv-emotion`` pipeline's check."""
    from sentiv_hf.models.pipelines import TextInputError, check_text

    for index, text in enumerate(texts):
        try:
            check_text(text, f"text {index + 1} of {len(texts)}")
        except TextInputError as error:
            raise CommandError(str(error)) from None


def _check_audio_files(paths: list[str], parts: dict[str, Any]) -> None:
    """Decode every file up front with the pipeline's own check (speech checkpoints, which do not go through the
    pipeline): an unusable one is a clear error, a long one is cropped with a warning."""
    from sentiv_hf.models.audio_input import AudioInputError, prepare_waveform

    for path in paths:
        try:
            prepare_waveform(
                path,
                sampling_rate=parts["sampling_rate"],
                max_duration_s=parts["max_seconds"],
                min_samples=parts["min_audio_samples"],
            )
        except AudioInputError as error:
            raise CommandError(str(error)) from None


def _predict_fusion(parts: dict[str, Any], texts: list[str], audios: list[str], batch_size: int) -> np.ndarray:
    """Fusion through the ``sentiv-emotion`` pipeline, which also takes items with only one modality."""
    import torch

    from sentiv_hf.models.pipelines import SentiVEmotionPipeline

    pipe = SentiVEmotionPipeline(
        model=parts["model"],
        tokenizer=parts["tokenizer"],
        feature_extractor=parts["feature_extractor"],
        device=0 if torch.cuda.is_available() else -1,
    )
    count = max(len(texts), len(audios))
    items = [
        {**({"text": texts[i]} if texts else {}), **({"audio": audios[i]} if audios else {})} for i in range(count)
    ]
    results = pipe(items, batch_size=batch_size)
    return np.asarray([[result["scores"][name] for name in parts["label_names"]] for result in results])


def predict(parts: dict[str, Any], texts: list[str], audios: list[str], batch_size: int = 8) -> np.ndarray:
    """Return the probability matrix ``(N, num_labels)`` of a loaded checkpoint for the given inputs.

    Text and speech checkpoints run through `sentiv_hf.training.inference` (the preprocessing and Trainer of
    ``sentiv evaluate``); fusion checkpoints through the ``sentiv-emotion`` pipeline, which also takes a text or an
    audio file alone.

    Args:
        parts: what `sentiv_hf.training.inference.load_for_inference` returned.
        texts: the texts (text and fusion models); a single ``str`` is one text.
        audios: paths of audio files (speech and fusion models); a single path is one file.
        batch_size: examples per forward pass.

    Raises `UserError` for a blank or non-string text, an unusable audio file, or inputs the model cannot take.

    Example:
        >>> parts = load_for_inference("out/text")  # doctest: +SKIP
        >>> predict(parts, ["Tôi rất vui"], []).shape  # doctest: +SKIP
        (1, 7)
    """
    from datasets import Audio, Dataset

    from sentiv_hf.metrics import probabilities_from_logits
    from sentiv_hf.training.inference import predict_logits, prepare_split

    texts = [texts] if isinstance(texts, str) else list(texts)
    audios = [audios] if isinstance(audios, (str, Path)) else list(audios)
    task = parts["task"]
    if task == "text" and audios:
        raise CommandError(f"{len(audios)} audio file(s) given to a text model; pass texts only.")
    if task == "speech" and texts:
        raise CommandError(f"Texts given to a speech model ({texts[0]!r}...); pass audio files (missing file?).")
    if not texts and not audios:
        raise CommandError("Nothing to predict: pass texts and/or audio files.")
    if task == "fusion" and texts and audios and len(texts) != len(audios):
        raise CommandError(
            f"A fusion model pairs texts with audio files: got {len(texts)} texts, {len(audios)} files."
        )
    _check_texts(texts)
    if task == "fusion":  # the pipeline checks each file as it decodes it
        from sentiv_hf.models.audio_input import AudioInputError

        try:
            return _predict_fusion(parts, texts, audios, batch_size)
        except AudioInputError as error:
            raise CommandError(str(error)) from None
    if audios:
        _check_audio_files(audios, parts)
    if task == "text":
        rows = Dataset.from_dict({"text": texts})
    else:
        rows = Dataset.from_dict({"audio": [str(Path(p).resolve()) for p in audios]})
        rows = rows.cast_column("audio", Audio(sampling_rate=parts["sampling_rate"]))
    prepared, collator = prepare_split(rows, parts)
    logits, _ = predict_logits(parts, prepared, collator, batch_size)
    return probabilities_from_logits(logits, parts["multi_label"])


def main(argv: list[str] | None = None) -> int:
    """``sentiv predict``: 0 on success, 2 on a user error (message on stderr)."""
    return run_reporting_errors("sentiv predict", _parser(), argv, _run)


def _run(args: argparse.Namespace) -> None:
    """Predict every input and print (or write) one JSON line per input."""
    from sentiv_hf.training.inference import check_finite_scores, load_for_inference

    texts, audios = _split_inputs(args)
    parts = load_for_inference(args.checkpoint)
    probabilities = predict(parts, texts, audios, args.batch_size)
    inputs = [audios[i] if i < len(audios) else repr(texts[i]) for i in range(len(probabilities))]
    check_finite_scores(probabilities, args.checkpoint, inputs)
    names = parts["label_names"]
    lines = []
    for i, probs in enumerate(probabilities):
        order = np.argsort(-probs)[: max(1, args.top_k)]
        row: dict[str, Any] = {}
        if i < len(texts):
            row["text"] = texts[i]
        if i < len(audios):
            row["audio"] = audios[i]
        if parts["multi_label"]:
            row["labels"] = [names[j] for j in range(len(names)) if probs[j] >= 0.5]
        else:
            row["label"] = names[int(order[0])]
        row["scores"] = {names[int(j)]: round(float(probs[j]), 6) for j in order}
        lines.append(json.dumps(row, ensure_ascii=False, allow_nan=False))  # NaN is not JSON: fail, never print it
    text = "\n".join(lines) + "\n"
    if args.output_dir:
        out = Path(args.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "predictions.jsonl").write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    sys.exit(main())
