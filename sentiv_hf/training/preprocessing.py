"""Turning dataset rows into model inputs: Vietnamese word segmentation + tokenisation, and the fusion transform.

Training (`sentiv_hf.training.task_builders`) and ``sentiv evaluate`` use the same functions, so a checkpoint is
scored with exactly the preprocessing it was trained with. Audio goes through `sentiv_hf.data.audio.AudioPreprocessor`.
A whole split is word-segmented once, on all cores and cached (`sentiv_hf.models.text.segment_dataset`), before it is
tokenised (`tokenize_text_split`); the per-batch functions take ``segmented=True`` for such a split.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sentiv_hf.models.text import segment_dataset, segment_texts


def segmenter_or_none(name: str | None) -> str | None:
    """The word segmenter to store in a config: None for ``"none"`` / ``""`` / None, else the name.

    Example:
        >>> segmenter_or_none("none"), segmenter_or_none("pyvi")
        (None, 'pyvi')
    """
    return None if name in (None, "", "none") else name


def describe_text_preprocessing(segmenter: str | None, max_length: int) -> str:
    """The model card's words for the text preprocessing.

    Example:
        >>> describe_text_preprocessing("pyvi", 256)
        'word segmenter `pyvi`, max length 256 tokens'
    """
    return f"word segmenter `{segmenter or 'none'}`, max length {max_length} tokens"


def describe_audio_preprocessing(sampling_rate: int, max_seconds: float) -> str:
    """The model card's words for the audio preprocessing (`sentiv_hf.data.audio.AudioPreprocessor`).

    Example:
        >>> describe_audio_preprocessing(16000, 8.0)
        'mono 16000 Hz, 8 s window (random crop in training, centre crop in evaluation)'
    """
    return f"mono {sampling_rate} Hz, {max_seconds:g} s window (random crop in training, centre crop in evaluation)"


def text_preprocessor(
    tokenizer, segmenter: str | None, max_length: int, text_column: str, *, segmented: bool = False
) -> Callable[[dict[str, list]], dict[str, Any]]:
    """A batched ``Dataset.map`` function: word-segment ``text_column`` and tokenise it (truncated, unpadded).

    Args:
        tokenizer: the model's tokenizer.
        segmenter: ``"pyvi"`` or None (no segmentation).
        max_length: the maximum length in tokens.
        text_column: the column holding the texts.
        segmented: the column already went through `segment_dataset` with ``segmenter``: tokenise it as it is.

    Example:
        >>> tokenize = text_preprocessor(tokenizer, "pyvi", 256, "text")  # doctest: +SKIP
        >>> split.map(tokenize, batched=True)  # doctest: +SKIP
    """

    def tokenize(batch: dict[str, list]) -> dict[str, Any]:
        texts = batch[text_column] if segmented else segment_texts(batch[text_column], segmenter)
        return tokenizer(texts, truncation=True, max_length=max_length)

    return tokenize


def tokenize_text_split(
    split,
    tokenizer,
    segmenter: str | None,
    max_length: int,
    text_column: str,
    *,
    remove_columns: list[str] | None = None,
    segmented: bool = False,
    num_proc: int | None = None,
    desc: str = "Tokenizing",
):
    """Word-segment a whole ``datasets.Dataset`` once (all cores, cached: `segment_dataset`), then tokenise it.

    The result equals ``split.map(text_preprocessor(...), batched=True)``; only the segmentation moved to a cached,
    parallel pass of its own (tokenisation is fast and stays in this process).

    Args:
        split: the dataset.
        tokenizer, segmenter, max_length, text_column: as for `text_preprocessor`.
        remove_columns: columns to drop from the result (e.g. everything but the labels).
        segmented: ``split`` already went through `segment_dataset`.
        num_proc: segmentation processes (``None``: chosen from the core count and the split size).
        desc: the progress bar's label.

    Example:
        >>> tokenize_text_split(split, tokenizer, "pyvi", 256, "text", remove_columns=["text"])  # doctest: +SKIP
    """
    if not segmented:
        split = segment_dataset(split, text_column, segmenter, num_proc=num_proc)
    tokenize = text_preprocessor(tokenizer, segmenter, max_length, text_column, segmented=True)
    return split.map(tokenize, batched=True, remove_columns=remove_columns, desc=desc)


class FusionPreprocessor:
    """Batch transform for the multimodal config: segmented + tokenised text and preprocessed audio.

    The audio attention mask is renamed ``audio_attention_mask`` (the fusion model's argument), the text one stays
    ``attention_mask``.

    Args:
        tokenizer: the text model's tokenizer.
        audio_preprocessor: an `AudioPreprocessor` for the speech model.
        segmenter: ``"pyvi"`` or None.
        max_length: the maximum text length in tokens.
        text_column: the column holding the transcripts.
        segmented: the column already went through `segment_dataset` with ``segmenter`` (training segments each
            split once up front instead of on every batch of every epoch).

    Example:
        >>> split.set_transform(FusionPreprocessor(tokenizer, audio_prep, "pyvi", 256, "text"))  # doctest: +SKIP
    """

    def __init__(
        self,
        tokenizer,
        audio_preprocessor,
        segmenter: str | None,
        max_length: int,
        text_column: str,
        *,
        segmented: bool = False,
    ):
        self.tokenizer = tokenizer
        self.audio = audio_preprocessor
        self.segmenter = segmenter
        self.max_length = max_length
        self.text_column = text_column
        self.segmented = segmented

    def __call__(self, batch: dict[str, list]) -> dict[str, Any]:
        audio = self.audio(batch)
        # input_values (wav2vec2-style encoders) or input_features (Whisper): the fusion model takes either.
        out: dict[str, Any] = {self.audio.input_name: audio[self.audio.input_name]}
        if "attention_mask" in audio:
            out["audio_attention_mask"] = audio["attention_mask"]
        if "labels" in audio:
            out["labels"] = audio["labels"]
        texts = batch[self.text_column]
        if not self.segmented:
            texts = segment_texts(texts, self.segmenter)
        out.update(self.tokenizer(texts, truncation=True, max_length=self.max_length))
        return out
