"""Turning dataset rows into model inputs: Vietnamese word segmentation + tokenisation, and the fusion transform.

Training (`sentiv_hf.training.task_builders`) and ``sentiv evaluate`` use the same functions, so a checkpoint is
scored with exactly the preprocessing it was trained with. Audio goes through `sentiv_hf.data.audio.AudioPreprocessor`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sentiv_hf.models.text import segment_texts


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
    tokenizer, segmenter: str | None, max_length: int, text_column: str
) -> Callable[[dict[str, list]], dict[str, Any]]:
    """A batched ``Dataset.map`` function: word-segment ``text_column`` and tokenise it (truncated, unpadded).

    Args:
        tokenizer: the model's tokenizer.
        segmenter: ``"pyvi"`` or None (no segmentation).
        max_length: the maximum length in tokens.
        text_column: the column holding the texts.

    Example:
        >>> tokenize = text_preprocessor(tokenizer, "pyvi", 256, "text")  # doctest: +SKIP
        >>> split.map(tokenize, batched=True)  # doctest: +SKIP
    """

    def tokenize(batch: dict[str, list]) -> dict[str, Any]:
        return tokenizer(segment_texts(batch[text_column], segmenter), truncation=True, max_length=max_length)

    return tokenize


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

    Example:
        >>> split.set_transform(FusionPreprocessor(tokenizer, audio_prep, "pyvi", 256, "text"))  # doctest: +SKIP
    """

    def __init__(self, tokenizer, audio_preprocessor, segmenter: str | None, max_length: int, text_column: str):
        self.tokenizer = tokenizer
        self.audio = audio_preprocessor
        self.segmenter = segmenter
        self.max_length = max_length
        self.text_column = text_column

    def __call__(self, batch: dict[str, list]) -> dict[str, Any]:
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
