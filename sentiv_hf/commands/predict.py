"""``sentiv predict CHECKPOINT INPUT...``: emotions for texts, audio files, or text + audio pairs (fusion).

A positional INPUT that is an existing file is audio; anything else is text. ``--text`` and ``--audio`` say it
explicitly. A text model takes texts, a speech model audio files, and a fusion model pairs the i-th text with the
i-th audio file (a missing half uses the other modality only). One JSON object per input is printed (or written
to ``--output``): the inputs, the predicted label and the probabilities of the ``--top_k`` best labels.

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

from .errors import CommandError, run_reporting_errors
from .evaluate import load_for_inference

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sentiv predict", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a folder written by `sentiv train` (or a Hub id)")
    parser.add_argument("inputs", nargs="*", help="texts and/or audio files (existing files are audio)")
    parser.add_argument("--text", nargs="+", default=[], help="texts (explicit)")
    parser.add_argument("--audio", nargs="+", default=[], help="audio files (explicit)")
    parser.add_argument("--top_k", "--top-k", type=int, default=3, help="how many labels to list per input")
    parser.add_argument("--batch_size", "--batch-size", type=int, default=8)
    parser.add_argument("--output", default=None, help="write JSON lines here instead of stdout")
    return parser


def _split_inputs(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    texts, audios = list(args.text), list(args.audio)
    for value in args.inputs:
        (audios if Path(value).is_file() else texts).append(value)
    for path in audios:
        if not Path(path).is_file():
            raise CommandError(f"Audio file not found: {path}")
    return texts, audios


def _check_audio_files(paths: list[str], max_seconds: float | None) -> None:
    """Decode every file up front: an unusable one is a clear error, a long one is cropped with a warning."""
    from sentiv_hf.data.speech import AudioDecodeError, probe_audio

    for path in paths:
        try:
            info = probe_audio(path)
        except AudioDecodeError as error:
            raise CommandError(f"{error} Pass a non-empty audio file that FFmpeg can decode.") from None
        if max_seconds is not None and info.duration > max_seconds:
            message = "%s lasts %.1f s; the model uses its central %.1f s (max_duration_s)."
            logger.warning(message, path, info.duration, max_seconds)


def _audio_dataset(paths: list[str], sampling_rate: int):
    from datasets import Audio, Dataset

    return Dataset.from_dict({"audio": [str(Path(p).resolve()) for p in paths]}).cast_column(
        "audio", Audio(sampling_rate=sampling_rate)
    )


def predict(parts: dict[str, Any], texts: list[str], audios: list[str], batch_size: int = 8) -> np.ndarray:
    """Return the probability matrix ``(N, num_labels)`` of a loaded checkpoint for the given inputs.

    Example:
        >>> parts = load_for_inference("out/text")  # doctest: +SKIP
        >>> predict(parts, ["Tôi rất vui"], []).shape  # doctest: +SKIP
        (1, 7)
    """
    import torch

    from sentiv_hf.data.audio import AudioPreprocessor
    from sentiv_hf.models.text import segment_texts

    task, model = parts["task"], parts["model"]
    if task == "text" and audios:
        raise CommandError(f"{len(audios)} audio file(s) given to a text model; pass texts only.")
    if task == "speech" and texts:
        raise CommandError(f"Texts given to a speech model ({texts[0]!r}...); pass audio files (missing file?).")
    count = max(len(texts), len(audios))
    if count == 0:
        raise CommandError("Nothing to predict: pass texts and/or audio files.")
    if task == "fusion" and texts and audios and len(texts) != len(audios):
        raise CommandError(
            f"A fusion model pairs texts with audio files: got {len(texts)} texts, {len(audios)} files."
        )
    audio_prep = None
    audio_rows = None
    if audios:
        _check_audio_files(audios, parts["max_seconds"])
        audio_prep = AudioPreprocessor(
            parts["feature_extractor"], max_seconds=parts["max_seconds"], sampling_rate=parts["sampling_rate"]
        )
        audio_rows = _audio_dataset(audios, parts["sampling_rate"])
    outputs = []
    device = next(model.parameters()).device
    with torch.no_grad():
        for start in range(0, count, batch_size):
            stop = min(start + batch_size, count)
            inputs: dict[str, Any] = {}
            if texts:
                segmented = segment_texts(texts[start:stop], parts["segmenter"])
                encoded = parts["tokenizer"](
                    segmented,
                    truncation=True,
                    max_length=parts.get("max_length", 256),
                    padding=True,
                    return_tensors="pt",
                )
                inputs.update(encoded)
            if audios:
                batch = audio_prep({"audio": [audio_rows[i]["audio"] for i in range(start, stop)]})
                name = audio_prep.input_name
                inputs[name] = torch.as_tensor(batch[name])
                if "attention_mask" in batch:
                    key = "audio_attention_mask" if task == "fusion" else "attention_mask"
                    inputs[key] = torch.as_tensor(batch["attention_mask"])
            inputs = {k: v.to(device) for k, v in inputs.items() if k != "token_type_ids" or task == "text"}
            logits = model(**inputs).logits.float()
            if parts["multi_label"]:
                outputs.append(torch.sigmoid(logits).cpu().numpy())
            else:
                outputs.append(torch.softmax(logits, dim=-1).cpu().numpy())
    return np.concatenate(outputs, axis=0)


def main(argv: list[str] | None = None) -> int:
    """``sentiv predict``: 0 on success, 2 on a user error (message on stderr)."""
    return run_reporting_errors("sentiv predict", _parser(), argv, _run)


def _run(args: argparse.Namespace) -> None:
    """Predict every input and print (or write) one JSON line per input."""
    texts, audios = _split_inputs(args)
    parts = load_for_inference(args.checkpoint)
    probabilities = predict(parts, texts, audios, args.batch_size)
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
        lines.append(json.dumps(row, ensure_ascii=False))
    text = "\n".join(lines) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    sys.exit(main())
