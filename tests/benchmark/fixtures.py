"""Small Hub-layout dataset folders for the benchmark tests, written to ``tmp_path``.

Texts carry class-specific words and clips are class-specific tones plus noise, so every model can learn something
and tests can assert on sensible values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from datasets import Audio, ClassLabel, Dataset, Features, Sequence, Value

from sentiv_hf.data.hub import write_config
from sentiv_hf.labels import BINARY_LABELS, SPEECH_LABELS, TEXT_LABELS

WORDS = {
    "Anger": "tức giận bực",
    "Disgust": "ghê tởm kinh",
    "Enjoyment": "vui vẻ thích",
    "Fear": "sợ hãi lo",
    "Neutral": "bình thường ổn",
    "Sadness": "buồn khóc chán",
    "Surprise": "bất ngờ ồ",
}
FILLER = ["hôm nay", "tôi thấy", "thật là", "bạn ơi", "quá", "lắm"]
SR = 16000


def _text(label: str, rng: np.random.Generator) -> str:
    words = WORDS[label].split()
    picked = rng.choice(words, size=2)
    return " ".join([rng.choice(FILLER), *picked, rng.choice(FILLER)])


def _tone(label_id: int, rng: np.random.Generator, seconds: float = 0.4) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    freq = 200.0 * (label_id + 1)
    return (0.5 * np.sin(2 * np.pi * freq * t) + 0.05 * rng.normal(size=t.shape)).astype(np.float32)


def make_corpus(root: Path, *, per_class: dict[str, int] | None = None, seed: int = 0) -> Path:
    """Write ``text``, ``speech`` and ``multimodal`` configs under ``root``; returns ``root``.

    Args:
        per_class: examples per class for ``train``/``validation``/``test``.
    """
    per_class = per_class or {"train": 8, "validation": 3, "test": 3}
    rng = np.random.default_rng(seed)
    text_features = Features({"id": Value("string"), "text": Value("string"), "label": ClassLabel(names=TEXT_LABELS)})
    text_splits, speech_splits, mm_splits = {}, {}, {}
    for split, n in per_class.items():
        rows = [(label, k) for label in TEXT_LABELS for k in range(n)]
        text_splits[split] = Dataset.from_dict(
            {
                "id": [f"text-{split}-{label}-{k}" for label, k in rows],
                "text": [_text(label, rng) for label, _ in rows],
                "label": [TEXT_LABELS.index(label) for label, _ in rows],
            },
            features=text_features,
        )
        speech_rows = [(label, k) for label in SPEECH_LABELS for k in range(n)]
        audio = [{"array": _tone(SPEECH_LABELS.index(lab), rng), "sampling_rate": SR} for lab, _ in speech_rows]
        ids = [f"speech-{split}-{label}-{k}" for label, k in speech_rows]
        labels = [SPEECH_LABELS.index(label) for label, _ in speech_rows]
        speakers = [f"spk{k % 4}" for _, k in speech_rows]
        texts = [_text(label, rng) for label, _ in speech_rows]
        speech_splits[split] = Dataset.from_dict(
            {"id": ids, "audio": audio, "label": labels, "speaker_id": speakers, "transcript": texts},
            features=Features(
                {
                    "id": Value("string"),
                    "audio": Audio(sampling_rate=SR),
                    "label": ClassLabel(names=SPEECH_LABELS),
                    "speaker_id": Value("string"),
                    "transcript": Value("string"),
                }
            ),
        )
        mm_splits[split] = Dataset.from_dict(
            {"id": ids, "text": texts, "audio": audio, "label": labels, "speaker_id": speakers},
            features=Features(
                {
                    "id": Value("string"),
                    "text": Value("string"),
                    "audio": Audio(sampling_rate=SR),
                    "label": ClassLabel(names=SPEECH_LABELS),
                    "speaker_id": Value("string"),
                }
            ),
        )
    write_config(root, "text", text_splits)
    write_config(root, "speech", speech_splits)
    write_config(root, "multimodal", mm_splits)
    return root


HOTLINE_TYPES = ("Abuse", "Bullying", "Neglect", "Violence")


def make_hotline(
    root: Path, *, n_speakers: int = 10, per_speaker: int = 4, seed: int = 0, all_negative: bool = False
) -> Path:
    """Write a ``hotline`` config: multi-label ``labels``, ``binary_label`` and ``speaker_id``, as audio clips.

    Args:
        all_negative: every call is negative (what a multi-label set whose labels all map to "negative" becomes):
            the binary task has one class.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_speakers):
        for k in range(per_speaker):
            negative = all_negative or (s + k) % 2 == 0
            labels = sorted(set(rng.choice(len(HOTLINE_TYPES), size=rng.integers(1, 3)).tolist())) if negative else []
            rows.append((f"call-{s}-{k}", f"caller{s}", labels, int(negative)))
    features = Features(
        {
            "id": Value("string"),
            "audio": Audio(sampling_rate=SR),
            "labels": Sequence(ClassLabel(names=HOTLINE_TYPES)),
            "binary_label": ClassLabel(names=BINARY_LABELS),
            "speaker_id": Value("string"),
        }
    )

    def tone(labels, negative):
        base = _tone(labels[0] + 1 if labels else 0, rng)
        return base * (1.0 if negative else 0.3)

    split_of = {
        f"caller{s}": ("train", "validation", "test")[0 if s < 6 else (1 if s < 8 else 2)] for s in range(n_speakers)
    }
    splits = {}
    for split in ("train", "validation", "test"):
        chosen = [r for r in rows if split_of[r[1]] == split]
        splits[split] = Dataset.from_dict(
            {
                "id": [r[0] for r in chosen],
                "audio": [{"array": tone(r[2], r[3]), "sampling_rate": SR} for r in chosen],
                "labels": [r[2] for r in chosen],
                "binary_label": [r[3] for r in chosen],
                "speaker_id": [r[1] for r in chosen],
            },
            features=features,
        )
    write_config(root, "hotline", splits)
    return root


def make_calls(root: Path, *, n_callers: int = 9, calls_per_caller: int = 2, segments: int = 8, seed: int = 0) -> Path:
    """Write a ``calls`` config (what ``sentiv data build-calls`` writes): consecutive segments of whole calls with
    ``call_id``, ``segment_index``, ``start``/``end``, multi-label ``labels`` and ``binary_label``.

    Emotions persist over runs of 2-4 segments, and one segment in three of a negative run sounds neutral but keeps
    the run's labels, so the neighbours carry signal that a segment alone lacks.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_callers):
        for k in range(calls_per_caller):
            index = 0
            while index < segments:
                length = int(rng.integers(2, 5))
                negative = bool(rng.integers(0, 2))
                labels = (
                    sorted(set(rng.choice(len(HOTLINE_TYPES), size=rng.integers(1, 3)).tolist())) if negative else []
                )
                for _ in range(min(length, segments - index)):
                    masked = negative and rng.random() < 0.34
                    audio = _tone(0, rng) * 0.3 if (masked or not negative) else _tone(labels[0] + 1, rng)
                    rows.append((f"call{c}-{k}", index, f"caller{c}", labels, int(negative), audio))
                    index += 1
    features = Features(
        {
            "id": Value("string"),
            "audio": Audio(sampling_rate=SR),
            "labels": Sequence(ClassLabel(names=HOTLINE_TYPES)),
            "binary_label": ClassLabel(names=BINARY_LABELS),
            "call_id": Value("string"),
            "segment_index": Value("int32"),
            "start": Value("float32"),
            "end": Value("float32"),
            "speaker_id": Value("string"),
        }
    )
    split_of = {f"caller{c}": ("train", "validation", "test")[min(c * 3 // n_callers, 2)] for c in range(n_callers)}
    splits = {}
    for split in ("train", "validation", "test"):
        chosen = [r for r in rows if split_of[r[2]] == split]
        splits[split] = Dataset.from_dict(
            {
                "id": [f"{r[0]}-{r[1]:04d}" for r in chosen],
                "audio": [{"array": r[5], "sampling_rate": SR} for r in chosen],
                "labels": [r[3] for r in chosen],
                "binary_label": [r[4] for r in chosen],
                "call_id": [r[0] for r in chosen],
                "segment_index": [r[1] for r in chosen],
                "start": [0.4 * r[1] for r in chosen],
                "end": [0.4 * (r[1] + 1) for r in chosen],
                "speaker_id": [r[2] for r in chosen],
            },
            features=features,
        )
    # as `sentiv data build-calls` records them: the benchmark crops this config to its segments' length
    segments = {"mode": "fixed", "segment_seconds": 0.4, "overlap": 0.0, "max_seconds": 0.4}
    write_config(root, "calls", splits, segments=segments)
    return root


def run_benchmark(corpus: Path, out: Path, **config) -> tuple[Any, list[dict]]:
    """Run a small benchmark on ``corpus`` into ``out`` without progress bars; returns ``(runner, records)``.

    ``config`` holds the other `BenchmarkConfig` fields; ``epochs`` defaults to 5 and ``max_seconds`` to 1.0.
    """
    from sentiv_hf.benchmark import BenchmarkConfig, BenchmarkRunner

    config = {"epochs": 5, "max_seconds": 1.0, **config}
    runner = BenchmarkRunner(BenchmarkConfig(dataset=str(corpus), output_dir=str(out), **config), progress=False)
    return runner, runner.run()
