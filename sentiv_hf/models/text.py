"""Text side of SentiV: Vietnamese word segmentation ahead of the PhoBERT tokenizer, and text model loading.

PhoBERT was pre-trained on word-segmented text (``sinh_viên``), so raw Vietnamese is segmented with pyvi before
tokenisation. The choice is stored on the text model's config as ``word_segmenter`` (``"pyvi"`` or ``None``) so that
training, prediction and the pipelines preprocess the same way.

Whole splits are segmented with `segment_dataset`: ``Dataset.map`` over all cores, cached by ``datasets`` under the
split's fingerprint and the segmenter, so a second run (or a second model on the same data) does not segment again.

Example:
    >>> segment_texts(["Tôi là sinh viên"])
    ['Tôi là sinh_viên']
    >>> segment_texts(["Tôi là sinh viên"], segmenter=None)
    ['Tôi là sinh viên']
"""

from __future__ import annotations

import functools
import logging
import os
import unicodedata
from collections.abc import Sequence

logger = logging.getLogger(__name__)

TEXT_MAX_LENGTH = 256
DEFAULT_TEXT_MODEL = "vinai/phobert-base"
WORD_SEGMENTERS: tuple[str | None, ...] = ("pyvi", None)
#: Below this many rows `segment_dataset` stays in one process. A worker pool costs about 0.4 s to start and feed
#: (300 texts: 0.1 s in one process, 0.5 s in two) while pyvi segments ~3,000 ~20-word texts/s per core, so two
#: processes break even near 2,500 texts on an idle 2-core machine and later on a busy one; 10k keeps a clear margin.
PARALLEL_SEGMENTATION_MIN_ROWS = 10_000
#: bump when the segmented text of a row changes meaning (part of the cache key of `segment_dataset`).
SEGMENTATION_FORMAT = 1


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


def available_cpus() -> int:
    """CPU cores this process may run on (the affinity mask where the OS has one, e.g. under ``taskset``/cgroups)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def segmentation_processes(rows: int, num_proc: int | None = None) -> int:
    """How many processes `segment_dataset` uses for ``rows`` texts: ``num_proc`` when given, else all cores for
    at least `PARALLEL_SEGMENTATION_MIN_ROWS` rows and one below (a pool's start-up costs more than it saves).

    Example:
        >>> segmentation_processes(100), segmentation_processes(100, num_proc=2)
        (1, 2)
    """
    if num_proc is not None:
        return max(1, min(num_proc, rows or 1))
    return available_cpus() if rows >= PARALLEL_SEGMENTATION_MIN_ROWS else 1


def segmenter_version(segmenter: str | None) -> str:
    """What identifies a segmenter's output in cache keys: its name, the installed pyvi version and our format."""
    if segmenter is None:
        return f"nfc/{SEGMENTATION_FORMAT}"
    from importlib.metadata import version

    return f"{segmenter}-{version(segmenter)}/{SEGMENTATION_FORMAT}"


def _segment_batch(texts: list[str], column: str, segmenter: str | None) -> dict[str, list[str]]:
    """`Dataset.map` function of `segment_dataset` (module level, so that worker processes can import it)."""
    return {column: segment_texts(texts, segmenter)}


def segment_dataset(dataset, column: str = "text", segmenter: str | None = "pyvi", *, num_proc: int | None = None):
    """Word-segment the ``column`` of a ``datasets.Dataset`` once, on all cores; the result is cached.

    ``Dataset.map`` runs the segmentation over `segmentation_processes` worker processes (contiguous shards, so the
    rows come back in order and equal a one-process run) and, for a dataset backed by cache files (anything from
    ``load_dataset``), stores the result under a fingerprint made of the dataset's fingerprint, the column and
    `segmenter_version`: the same split with the same segmenter is read back from the cache, not segmented again.
    Only the text column is mapped and written; the other columns (audio, say) are joined back without a copy.

    Args:
        dataset: a ``datasets.Dataset``.
        column: the column holding raw texts; it is replaced by the segmented texts (same position).
        segmenter: ``"pyvi"`` or ``None`` (NFC only).
        num_proc: worker processes; ``None`` picks them from the core count and the dataset size.

    Returns:
        The dataset with ``column`` segmented (other columns untouched).

    Example:
        >>> from datasets import Dataset
        >>> segment_dataset(Dataset.from_dict({"text": ["Tôi là sinh viên"]}))[0]["text"]
        'Tôi là sinh_viên'
    """
    from datasets import concatenate_datasets
    from datasets.fingerprint import Hasher

    _check_segmenter(segmenter)
    if column not in dataset.column_names:
        raise ValueError(f"Cannot word-segment column {column!r}: the dataset has the columns {dataset.column_names}.")
    processes = segmentation_processes(len(dataset), num_proc)
    if segmenter is not None:
        get_word_segmenter(segmenter)  # load pyvi's model here: forked workers inherit it instead of each loading it
    fingerprint = Hasher.hash(["segment_dataset", dataset._fingerprint, column, segmenter_version(segmenter)])
    segmented = dataset.select_columns([column]).map(
        _segment_batch,
        batched=True,
        input_columns=[column],
        fn_kwargs={"column": column, "segmenter": segmenter},
        num_proc=processes if processes > 1 else None,
        new_fingerprint=fingerprint,
        desc=f"Word-segmenting {column!r} ({segmenter or 'NFC only'})",
    )
    if dataset.column_names == [column]:
        return segmented
    # Side by side, not another map: the other columns are not rewritten (datasets copies them only when the
    # dataset is a selection with an indices mapping).
    joined = concatenate_datasets([dataset.remove_columns(column), segmented], axis=1)
    return joined.select_columns(dataset.column_names)


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
    "PARALLEL_SEGMENTATION_MIN_ROWS",
    "VietnameseWordSegmenter",
    "WORD_SEGMENTERS",
    "available_cpus",
    "get_word_segmenter",
    "load_text_model_and_tokenizer",
    "segment_dataset",
    "segment_texts",
    "segmentation_processes",
    "tokenize_texts",
    "word_segmenter_of",
]
