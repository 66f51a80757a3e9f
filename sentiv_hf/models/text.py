"""Text side of SentiV: Vietnamese word segmentation ahead of the PhoBERT tokenizer, and text model loading.

PhoBERT was pre-trained on word-segmented text (``sinh_viên``), so raw Vietnamese is segmented with pyvi before
tokenisation. The choice is stored on the text model's config as ``word_segmenter`` (``"pyvi"`` or ``None``) so that
training, prediction and the pipelines preprocess the same way.

Example:
    >>> segment_texts(["Tôi là sinh viên"])
    ['Tôi là sinh_viên']
    >>> segment_texts(["Tôi là sinh viên"], segmenter=None)
    ['Tôi là sinh viên']
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Sequence

logger = logging.getLogger(__name__)

TEXT_MAX_LENGTH = 256
DEFAULT_TEXT_MODEL = "vinai/phobert-base"
WORD_SEGMENTERS: tuple[str | None, ...] = ("pyvi", None)


def _check_segmenter(name: str | None) -> None:
    if name not in WORD_SEGMENTERS:
        raise ValueError(f"Unknown word_segmenter {name!r}; choose one of {list(WORD_SEGMENTERS)}.")


class VietnameseWordSegmenter:
    """Callable that NFC-normalises Vietnamese text and joins multi-syllable words with ``_`` (pyvi).

    Args:
        name: ``"pyvi"`` (`pyvi.ViTokenizer.tokenize`) or ``None`` (NFC only, no segmentation).

    Example:
        >>> VietnameseWordSegmenter()("học sinh")
        'học_sinh'
    """

    def __init__(self, name: str | None = "pyvi") -> None:
        _check_segmenter(name)
        self.name = name
        self._tokenize = None
        if name == "pyvi":
            from pyvi import ViTokenizer  # imported lazily: loading its CRF model takes a moment

            self._tokenize = ViTokenizer.tokenize

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFC", str(text))
        if self._tokenize is None or not text.strip():
            return text
        return self._tokenize(text)

    def __repr__(self) -> str:
        return f"VietnameseWordSegmenter(name={self.name!r})"


@functools.cache
def get_word_segmenter(name: str | None = "pyvi") -> VietnameseWordSegmenter:
    """Shared segmenter instance for ``name`` (cached, pyvi loads its model once)."""
    return VietnameseWordSegmenter(name)


def segment_texts(texts: Sequence[str], segmenter: str | None = "pyvi") -> list[str]:
    """Word-segment ``texts`` with ``segmenter`` (``"pyvi"`` or ``None`` for NFC only).

    Example:
        >>> segment_texts(["Hôm nay tôi rất vui"])
        ['Hôm_nay tôi rất vui']
    """
    seg = get_word_segmenter(segmenter)
    return [seg(t) for t in texts]


def word_segmenter_of(config) -> str | None:
    """The ``word_segmenter`` a text model config asks for (``None`` when the config does not say)."""
    name = getattr(config, "word_segmenter", None)
    _check_segmenter(name)
    return name


def tokenize_texts(
    tokenizer,
    texts: Sequence[str],
    *,
    word_segmenter: str | None = "pyvi",
    max_length: int = TEXT_MAX_LENGTH,
    **kwargs,
):
    """Segment then tokenise ``texts``; longer inputs are truncated to ``max_length`` tokens (documented behaviour).

    Args:
        tokenizer: a transformers tokenizer.
        texts: raw strings.
        word_segmenter: ``"pyvi"`` or ``None``.
        max_length: token budget including ``<s>``/``</s>`` (256 for PhoBERT).
        kwargs: passed to the tokenizer (``padding``, ``return_tensors``, ...).

    Example:
        >>> tokenize_texts(tok, ["Tôi rất vui"], padding=True, return_tensors="pt")["input_ids"].shape[0]
        1
    """
    segmented = segment_texts(texts, word_segmenter)
    return tokenizer(segmented, truncation=True, max_length=max_length, **kwargs)


def load_text_model_and_tokenizer(
    path_or_id: str = DEFAULT_TEXT_MODEL,
    num_labels: int | None = None,
    id2label: dict[int, str] | None = None,
    *,
    word_segmenter: str | None = "auto",
    revision: str | None = None,
    **model_kwargs,
):
    """Load a sequence classifier and its tokenizer (``max_length`` 256) and record the word segmenter.

    Args:
        path_or_id: Hub id or folder; defaults to ``vinai/phobert-base``.
        num_labels: head width when starting from a pre-trained encoder.
        id2label: label names (``label2id`` is derived).
        word_segmenter: ``"pyvi"``, ``None``, or ``"auto"`` (keep the config's value; ``"pyvi"`` if it has none).
        revision: Hub revision (branch, tag or commit hash) for both the model and the tokenizer.
        model_kwargs: passed to ``AutoModelForSequenceClassification.from_pretrained``.

    Returns:
        ``(model, tokenizer)``.

    Example:
        >>> model, tok = load_text_model_and_tokenizer("vinai/phobert-base", id2label=dict(enumerate(TEXT_LABELS)))
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    if id2label is not None:
        model_kwargs["id2label"] = {int(k): v for k, v in id2label.items()}
        model_kwargs["label2id"] = {v: int(k) for k, v in id2label.items()}
    if num_labels is not None:
        if id2label is not None and len(id2label) != num_labels:
            raise ValueError(f"num_labels={num_labels} disagrees with id2label ({len(id2label)} labels).")
        model_kwargs["num_labels"] = num_labels
    model = AutoModelForSequenceClassification.from_pretrained(path_or_id, revision=revision, **model_kwargs)
    tokenizer = AutoTokenizer.from_pretrained(path_or_id, revision=revision, model_max_length=TEXT_MAX_LENGTH)
    if word_segmenter == "auto":
        word_segmenter = getattr(model.config, "word_segmenter", "pyvi")
    _check_segmenter(word_segmenter)
    model.config.word_segmenter = word_segmenter
    return model, tokenizer


__all__ = [
    "DEFAULT_TEXT_MODEL",
    "TEXT_MAX_LENGTH",
    "VietnameseWordSegmenter",
    "WORD_SEGMENTERS",
    "get_word_segmenter",
    "load_text_model_and_tokenizer",
    "segment_texts",
    "tokenize_texts",
    "word_segmenter_of",
]
