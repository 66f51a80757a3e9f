"""Issue 12: word segmentation on all cores, done once per dataset (cached by fingerprint and segmenter)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from datasets import Dataset, load_dataset

import sentiv_hf.models.text as text_module
from sentiv_hf.models.text import (
    PARALLEL_SEGMENTATION_MIN_ROWS,
    available_cpus,
    segment_dataset,
    segment_texts,
    segmentation_processes,
)
from sentiv_hf.models.tiny import train_tiny_tokenizer
from sentiv_hf.training.preprocessing import text_preprocessor, tokenize_text_split

WORDS = (
    "tôi là sinh viên học sinh hôm nay rất vui buồn quá giận dữ sợ hãi ngạc nhiên bình thường "
    "gia đình bạn bè công việc nhà trường điện thoại tổng đài hỗ trợ khách hàng cảm ơn xin lỗi"
).split()


def _texts(rows: int, seed: int = 0) -> list[str]:
    """``rows`` different Vietnamese-looking sentences of 3-25 syllables (some capitalised, some with punctuation)."""
    rng = random.Random(seed)
    texts = []
    for i in range(rows):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 25))]
        if i % 7 == 0:
            words[0] = words[0].capitalize()
        texts.append(" ".join(words) + (" ." if i % 5 == 0 else f" {i}"))
    return texts


@pytest.fixture
def parquet_split(tmp_path: Path):
    """A split read through ``load_dataset`` (file-backed, so ``Dataset.map`` results are cached on disk)."""
    rows = 300
    Dataset.from_dict(
        {"id": [f"r{i}" for i in range(rows)], "text": _texts(rows), "label": [i % 7 for i in range(rows)]}
    ).to_parquet(str(tmp_path / "train.parquet"))
    return load_dataset(
        "parquet", data_files=str(tmp_path / "train.parquet"), split="train", cache_dir=str(tmp_path / "hf")
    )


def test_two_processes_equal_one_process_and_the_serial_path():
    """Issue 12: segmenting 300 rows over 2 processes gives exactly the texts of the one-process loop, in order."""
    texts = _texts(300, seed=1)
    ds = Dataset.from_dict({"id": list(range(300)), "text": texts})
    parallel = segment_dataset(ds, "text", "pyvi", num_proc=2)
    single = segment_dataset(ds, "text", "pyvi", num_proc=1)
    serial = segment_texts(texts, "pyvi")
    assert parallel["text"] == single["text"] == serial
    assert parallel.column_names == ["id", "text"] and parallel["id"] == list(range(300))
    assert sum("_" in t for t in serial) > 100  # pyvi really joined words (e.g. sinh_viên), not a no-op
    assert segment_dataset(ds, "text", None, num_proc=2)["text"] == segment_texts(texts, None) == texts


def test_selection_keeps_columns_and_order():
    """Issue 12: a selection (indices mapping) keeps its rows, order and other columns after segmentation."""
    texts = _texts(60, seed=2)
    ds = Dataset.from_dict({"text": texts, "label": list(range(60))}).select([59, 3, 10, 3])
    out = segment_dataset(ds, "text", "pyvi", num_proc=2)
    assert out.column_names == ["text", "label"]
    assert out["label"] == [59, 3, 10, 3]
    assert out["text"] == segment_texts([texts[59], texts[3], texts[10], texts[3]], "pyvi")


def test_second_run_reads_the_cache_and_calls_no_segmenter(parquet_split, monkeypatch):
    """Issue 12: the same split and segmenter are segmented once; a second run (any num_proc) loads the cache."""
    first = segment_dataset(parquet_split, "text", "pyvi", num_proc=2)
    cache_dir = Path(parquet_split.cache_files[0]["filename"]).parent
    files_after_first = sorted(p.name for p in cache_dir.glob("cache-*.arrow"))
    assert len(files_after_first) == 2  # one file per worker process

    calls = []

    def counting_segment_texts(texts, segmenter="pyvi"):
        calls.append(len(texts))
        return segment_texts(texts, segmenter)

    # num_proc=1 runs the map function in this process, so the counter would see any segmentation.
    monkeypatch.setattr(text_module, "segment_texts", counting_segment_texts)
    second = segment_dataset(parquet_split, "text", "pyvi", num_proc=1)
    assert calls == []
    assert second["text"] == first["text"] == segment_texts(parquet_split["text"], "pyvi")
    assert second.cache_files == first.cache_files
    assert sorted(p.name for p in cache_dir.glob("cache-*.arrow")) == files_after_first

    # Another segmenter is another cache entry: it is computed, and differs.
    unsegmented = segment_dataset(parquet_split, "text", None, num_proc=1)
    assert sum(calls) == 300
    assert unsegmented["text"] == parquet_split["text"] != first["text"]


def test_tokenize_text_split_equals_the_per_batch_preprocessor(parquet_split):
    """Issue 12: tokenising a split segmented up front gives the input ids of the old segment-in-the-map path."""
    tokenizer = train_tiny_tokenizer(segment_texts(_texts(50), "pyvi"), vocab_size=200)
    old = parquet_split.map(
        text_preprocessor(tokenizer, "pyvi", 32, "text"), batched=True, remove_columns=["id", "text"]
    )
    new = tokenize_text_split(parquet_split, tokenizer, "pyvi", 32, "text", remove_columns=["id", "text"], num_proc=2)
    assert new.column_names == old.column_names == ["label", "input_ids", "attention_mask"]
    assert new["input_ids"] == old["input_ids"]
    assert new["label"] == old["label"]


def test_process_count_follows_size_and_cores():
    """Issue 12: small datasets stay in one process (pool start-up costs more); large ones use every core."""
    assert segmentation_processes(PARALLEL_SEGMENTATION_MIN_ROWS - 1) == 1
    assert segmentation_processes(PARALLEL_SEGMENTATION_MIN_ROWS) == available_cpus()
    assert segmentation_processes(300, num_proc=2) == 2
    assert segmentation_processes(1, num_proc=4) == 1  # never more processes than rows


def test_unknown_column_is_named():
    """Issue 12: segmenting a column the dataset lacks names the column and the columns it has."""
    ds = Dataset.from_dict({"transcript": ["xin chào"]})
    with pytest.raises(
        ValueError, match=r"Cannot word-segment column 'text': the dataset has the columns \['transcript'\]"
    ):
        segment_dataset(ds, "text", "pyvi")


def test_benchmark_text_features_equal_the_per_batch_path(tmp_path):
    """Issue 12: the benchmark's frozen text features (segmented up front) equal the old segment-per-batch ones."""
    import numpy as np
    import torch

    from sentiv_hf.benchmark.cache import FeatureCache
    from sentiv_hf.benchmark.features import FeatureProvider
    from sentiv_hf.benchmark.kinds import parse_model
    from sentiv_hf.models.tiny import tiny_text_model
    from sentiv_hf.training.frozen import encode_text_batch

    texts = _texts(70, seed=3)
    tokenizer = train_tiny_tokenizer(segment_texts(texts, "pyvi"), vocab_size=200)
    net = tiny_text_model(tokenizer, 7, word_segmenter="pyvi", seed=0).eval()
    provider = FeatureProvider(FeatureCache(str(tmp_path)), text_max_length=32, word_segmenter="pyvi", device="cpu")
    features = provider.encode_texts(parse_model("tiny"), (net, tokenizer), texts)

    tokenize = text_preprocessor(tokenizer, "pyvi", 32, "text")
    with torch.no_grad():
        batch = tokenizer.pad(tokenize({"text": texts}), return_tensors="pt")
        expected = encode_text_batch(net, batch["input_ids"], batch["attention_mask"]).float().numpy()
    assert features.shape[0] == 70
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)
