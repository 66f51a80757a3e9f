from __future__ import annotations

import unicodedata

import pytest
import torch
from transformers import AutoModelForSequenceClassification

from sentiv_hf.labels import TEXT_LABELS
from sentiv_hf.models.text import (
    DEFAULT_TEXT_MODEL,
    TEXT_MAX_LENGTH,
    VietnameseWordSegmenter,
    load_text_model_and_tokenizer,
    segment_texts,
    tokenize_texts,
)


def test_defaults():
    assert TEXT_MAX_LENGTH == 256
    assert DEFAULT_TEXT_MODEL == "vinai/phobert-base"


def test_pyvi_segmentation_and_switch_off():
    assert segment_texts(["Tôi là sinh viên"]) == ["Tôi là sinh_viên"]
    assert segment_texts(["Tôi là sinh viên"], segmenter=None) == ["Tôi là sinh viên"]
    decomposed = unicodedata.normalize("NFD", "sinh viên")
    assert segment_texts([decomposed], segmenter=None) == [unicodedata.normalize("NFC", "sinh viên")]
    assert VietnameseWordSegmenter()("   ") == "   "
    with pytest.raises(ValueError, match=r"Unknown word_segmenter 'vncorenlp'; choose one of \['pyvi', None\]"):
        VietnameseWordSegmenter("vncorenlp")


def test_tiny_tokenizer_is_roberta_style(tokenizer):
    assert [tokenizer.convert_ids_to_tokens(i) for i in range(5)] == ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    ids = tokenizer("sinh_viên học bài")["input_ids"]
    assert ids[0] == tokenizer.bos_token_id == 0 and ids[-1] == tokenizer.eos_token_id == 2
    assert tokenizer.pad_token_id == 1 and tokenizer.model_max_length == 256


def test_long_text_is_truncated_to_256_tokens(tokenizer, text_model):
    long_text = " ".join(["Tôi rất vui vì được gặp bạn bè"] * 100)
    batch = tokenize_texts(tokenizer, [long_text, "buồn quá"], padding=True, return_tensors="pt")
    assert batch["input_ids"].shape == (2, TEXT_MAX_LENGTH)
    assert batch["input_ids"][0, -1].item() == tokenizer.eos_token_id
    assert text_model(**batch).logits.shape == (2, 7)


def test_tiny_text_model_config(text_model, tokenizer):
    assert text_model.config.word_segmenter == "pyvi"
    assert [text_model.config.id2label[i] for i in range(7)] == list(TEXT_LABELS)
    assert text_model.config.vocab_size == len(tokenizer)


@pytest.mark.parametrize(("requested", "expected"), [("auto", "pyvi"), (None, None)])
def test_load_text_model_and_tokenizer_from_folder(tmp_path, tokenizer, text_model, requested, expected):
    text_model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model, tok = load_text_model_and_tokenizer(str(tmp_path), word_segmenter=requested)
    assert isinstance(model, type(AutoModelForSequenceClassification.from_config(text_model.config)))
    assert model.config.word_segmenter == expected
    assert tok.model_max_length == TEXT_MAX_LENGTH
    enc = tok(["sinh_viên"], return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(model(**enc).logits, text_model(**enc).logits)
    with pytest.raises(ValueError, match="num_labels=3 disagrees with id2label"):
        load_text_model_and_tokenizer(str(tmp_path), num_labels=3, id2label=dict(enumerate(TEXT_LABELS)))
