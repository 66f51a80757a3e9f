"""The frozen-encoder path: a shipped model's own head on cached features equals the full model, and trains alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from sentiv_hf.models.tiny import tiny_speech_model, tiny_text_model, train_tiny_tokenizer
from sentiv_hf.training.frozen import (
    FeatureCollator,
    FrozenHead,
    copy_sharing_encoder,
    encode_text_batch,
    head_logits,
    predict_head,
    reset_head,
    train_frozen_head,
)
from sentiv_hf.training.training_args import SentiVTrainingArguments

TEXTS = ["tôi rất vui hôm nay", "buồn quá đi thôi", "sợ hãi lắm", "bình thường thôi mà"]


def _bert():
    config = BertConfig(
        vocab_size=64, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, num_labels=3
    )
    torch.manual_seed(0)
    return BertForSequenceClassification(config).eval()


def test_text_head_on_cached_features_equals_the_full_model():
    tokenizer = train_tiny_tokenizer(TEXTS)
    roberta = tiny_text_model(tokenizer, num_labels=7).eval()
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    features = encode_text_batch(roberta, batch["input_ids"], batch["attention_mask"])
    assert features.shape == (4, 1, 32)  # the <s> state RoBERTa's classification head reads
    with torch.no_grad():
        torch.testing.assert_close(head_logits(roberta, features), roberta(**batch).logits)
    bert = _bert()  # BERT-style: the pooler output, then dropout and the classifier
    ids = torch.randint(5, 64, (3, 7))
    mask = torch.ones_like(ids)
    pooled = encode_text_batch(bert, ids, mask)
    assert pooled.shape == (3, 16)
    with torch.no_grad():
        torch.testing.assert_close(head_logits(bert, pooled), bert(input_ids=ids, attention_mask=mask).logits)


def test_copy_shares_the_encoder_and_reset_reseeds_the_head():
    model = tiny_speech_model()
    a, b, c = copy_sharing_encoder(model), copy_sharing_encoder(model), copy_sharing_encoder(model)
    assert next(a.encoder.parameters()) is next(model.encoder.parameters())
    assert a.projector.weight is not model.projector.weight and a.layer_weights is not model.layer_weights
    reset_head(a, 1), reset_head(b, 1), reset_head(c, 2)
    assert torch.equal(a.classifier.weight, b.classifier.weight)
    assert not torch.equal(a.classifier.weight, c.classifier.weight)
    assert torch.equal(a.layer_weights, torch.full_like(a.layer_weights, 1 / a.layer_weights.numel()))
    head = FrozenHead(a)
    names = {name for name, _ in head.named_parameters()}
    assert names == {"parts.layer_weights", "modules_.projector.weight", "modules_.projector.bias",
                     "modules_.classifier.weight", "modules_.classifier.bias"}  # fmt: skip


def test_feature_collator_points_into_arrays_and_builds_multi_hot_labels():
    train, val = np.arange(12, dtype=np.float32).reshape(3, 2, 2), -np.ones((2, 2, 2), dtype=np.float32)
    batch = FeatureCollator([train, val], num_labels=3)([{"part": 0, "row": 2, "label": [0, 2]},
                                                          {"part": 1, "row": 0, "label": []}])  # fmt: skip
    assert (
        batch["features"].shape == (2, 2, 2) and batch["features"][0, 0, 0] == 8 and batch["features"][1].eq(-1).all()
    )
    assert batch["labels"].tolist() == [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    single = FeatureCollator([train])([{"part": 0, "row": 0, "label": 2}])
    assert single["labels"].dtype == torch.long and single["labels"].tolist() == [2]


@pytest.mark.parametrize("multi_label", [False, True])
def test_train_frozen_head_trains_only_the_head_and_keeps_the_best_epoch(tmp_path, multi_label):
    torch.set_num_threads(1)
    model = tiny_speech_model(num_labels=2, head="multi_label" if multi_label else "single_label")
    encoder_before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    head_before = model.classifier.weight.detach().clone()
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    x = rng.normal(size=(40, 3, 32)).astype(np.float32)
    x[:, :, 0] += 3.0 * y[:, None]  # one separable direction in every layer
    labels = np.stack([y, 1 - y], axis=1) if multi_label else y
    args = SentiVTrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=15, learning_rate=0.05, per_device_train_batch_size=8,
        eval_strategy="epoch", save_strategy="no", report_to=[], disable_tqdm=True, use_cpu=True,
        remove_unused_columns=False, loss="bce" if multi_label else "weighted_ce", seed=0,
    )  # fmt: skip
    metric = "weighted_f1" if multi_label else "macro_f1"
    trainer, selection = train_frozen_head(
        model, x, labels, x, labels, args=args, label_names=["a", "b"], multi_label=multi_label, metric=metric,
        quiet=True,
    )  # fmt: skip
    assert selection["validation_score"] == 1.0 and 0 <= selection["best_epoch"] < 15
    assert all(torch.equal(v, model.encoder.state_dict()[k]) for k, v in encoder_before.items())
    assert not torch.equal(model.classifier.weight, head_before)
    logits = predict_head(model, x)
    pred = (logits > 0).astype(int) if multi_label else logits.argmax(-1)
    assert (pred == labels).all()
    # the trained weights went into the model (the Trainer only ever saw FrozenHead)
    assert model.config.sentiv_training["loss"] == ("bce" if multi_label else "weighted_ce")
    assert list(trainer.model.parameters())[0] is model.layer_weights
