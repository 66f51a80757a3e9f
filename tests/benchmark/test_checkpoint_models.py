"""Benchmark models given as checkpoint folders (`text:<dir>`, `speech:<dir>`): the code path of the `sentiv` preset
(PhoBERT, HuBERT-large), exercised offline with tiny encoders saved by `save_pretrained`."""

from __future__ import annotations

from datasets import Dataset
from transformers import HubertModel

from sentiv_hf.benchmark import features
from sentiv_hf.models.tiny import (
    tiny_encoder_config,
    tiny_speech_feature_extractor,
    tiny_text_model,
    train_tiny_tokenizer,
)

from .fixtures import run_benchmark


def test_checkpoint_folders_run_frozen_with_one_encoder_pass_per_item(corpus, tmp_path):
    texts = list(Dataset.from_parquet(str(corpus / "text" / "train-00000-of-00001.parquet"))["text"])
    tokenizer = train_tiny_tokenizer(texts)
    tiny_text_model(tokenizer).roberta.save_pretrained(tmp_path / "text-encoder")
    tokenizer.save_pretrained(tmp_path / "text-encoder")
    HubertModel(tiny_encoder_config("hubert")).save_pretrained(tmp_path / "speech-encoder")
    tiny_speech_feature_extractor().save_pretrained(tmp_path / "speech-encoder")
    text_id, speech_id = f"text:{tmp_path / 'text-encoder'}", f"speech:{tmp_path / 'speech-encoder'}"
    calls_before = dict(features.ENCODER_CALLS)

    _, records = run_benchmark(
        corpus,
        tmp_path / "out",
        tasks=["text", "speech", "multimodal"],
        models=[text_id, speech_id],
        budgets=[0.5, 1.0],
        seeds=2,
    )

    by_task = {}
    for rec in records:
        by_task.setdefault(rec["task"], set()).add(rec["model"])
    assert by_task["text"] == {str(tmp_path / "text-encoder")}
    assert by_task["speech"] == {str(tmp_path / "speech-encoder")}
    assert len(by_task["multimodal"]) == 3  # average, concat_mlp and uncertainty fusion of the two checkpoints
    assert len(records) == (1 + 1 + 3) * 2 * 2
    for rec in records:
        assert 0.0 <= rec["metrics"]["macro_f1"] <= 1.0
        assert len(rec["predictions"]) > 0
    # each checkpoint encodes every distinct text / clip once, over all 4 budget x seed runs and the fusion task
    calls = {k: v - calls_before.get(k, 0) for k, v in features.ENCODER_CALLS.items()}
    # the fusion reuses the text-task heads, so only the multimodal evaluation transcripts are new texts
    texts_seen = set(_column(corpus, "text", "text")) | set(
        _column(corpus, "multimodal", "text", ("validation", "test"))
    )
    assert calls[f"{tmp_path / 'text-encoder'}/text"] == len(texts_seen)
    assert calls[f"{tmp_path / 'speech-encoder'}/speech"] == len(_column(corpus, "speech", "id"))


def _column(corpus, config: str, column: str, splits=("train", "validation", "test")) -> list:
    return [
        value
        for split in splits
        for value in Dataset.from_parquet(str(corpus / config / f"{split}-00000-of-00001.parquet"))[column]
    ]
