from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoConfig, AutoModelForAudioClassification, HubertModel, WhisperModel

from sentiv_hf.labels import BINARY_LABELS, SPEECH_LABELS
from sentiv_hf.models import SentiVSpeechConfig, SentiVSpeechForAudioClassification
from sentiv_hf.models.lora import add_lora
from sentiv_hf.models.modeling_sentiv_speech import classification_loss
from sentiv_hf.models.tiny import tiny_encoder_config, tiny_speech_feature_extractor, tiny_speech_model

ENCODERS = ["hubert", "wav2vec2", "wavlm", "whisper"]
POOLINGS = ["mean", "stats", "attentive"]


def _batch(encoder: str, seconds=(0.5, 0.25)):
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(int(s * 16000)).astype(np.float32) for s in seconds]
    fe = tiny_speech_feature_extractor(encoder)
    if encoder == "whisper":
        return fe(waves, sampling_rate=16000, return_attention_mask=True, return_tensors="pt")
    return fe(waves, sampling_rate=16000, padding=True, return_tensors="pt")


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("pooling", POOLINGS)
def test_forward_every_encoder_and_pooling(encoder, pooling):
    model = tiny_speech_model(num_labels=6, encoder=encoder, pooling=pooling)
    batch = _batch(encoder)
    out = model(**batch, labels=torch.tensor([0, 3]), output_hidden_states=True)
    assert out.logits.shape == (2, 6)
    assert out.embeddings.shape == (2, 16)
    assert len(out.hidden_states) == 3  # embeddings + 2 layers
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)
    out.loss.backward()
    assert model.classifier.weight.grad is not None
    assert model.main_input_name == ("input_features" if encoder == "whisper" else "input_values")


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("weighted", [True, False])
def test_forward_from_layer_features_matches_forward(encoder, weighted):
    model = tiny_speech_model(encoder=encoder, pooling="mean", use_weighted_layer_sum=weighted)
    if weighted:  # non-uniform layer weights, so that the test sees the mixing
        model.layer_weights.data = torch.tensor([0.3, -1.0, 2.0])
    batch = _batch(encoder)
    feats = model.encode_layers(**batch)
    assert feats.shape == (2, 3, 32)
    with torch.no_grad():
        expected = model(**batch).logits
    torch.testing.assert_close(model.forward_from_layer_features(feats).logits, expected, rtol=1e-5, atol=1e-5)


def test_padding_is_masked_in_pooling():
    # Whisper's encoder never sees the mask, so equal logits prove that padded frames are excluded by pooling only.
    model = tiny_speech_model(encoder="whisper", pooling="stats")
    batch = _batch("whisper", seconds=(0.5, 0.25))
    alone = _batch("whisper", seconds=(0.25,))
    with torch.no_grad():
        both = model(**batch).logits
        single = model(**alone).logits
    torch.testing.assert_close(both[1], single[0])
    with torch.no_grad():
        unmasked = model(input_features=batch["input_features"]).logits
    assert not torch.allclose(unmasked[1], both[1])


@pytest.mark.parametrize("encoder", ["hubert", "wav2vec2", "wavlm"])
@pytest.mark.parametrize("pooling", POOLINGS)
def test_group_norm_features_do_not_depend_on_batch_padding(encoder, pooling):
    """A 1 s clip gives the same features and logits alone as padded next to a 3 s clip.

    The tiny encoders use ``feat_extract_norm="group"`` (like hubert-base and wav2vec2-base), whose first GroupNorm
    would otherwise normalise over the padding: before the fix the layer features moved by up to 0.2.
    """
    model = tiny_speech_model(encoder=encoder, pooling=pooling)
    assert model.config.encoder_config.feat_extract_norm == "group"
    with torch.no_grad():  # logits of order 1, so that relative differences show
        model.classifier.weight.mul_(300.0)
    extractor = tiny_speech_feature_extractor(encoder)
    rng = np.random.default_rng(0)
    short = (0.3 * np.sin(np.arange(16000) / 7) + 0.05 * rng.standard_normal(16000)).astype(np.float32)
    long = (0.8 * rng.standard_normal(48000)).astype(np.float32)
    alone = extractor([short], sampling_rate=16000, padding=True, return_tensors="pt")
    long_alone = extractor([long], sampling_rate=16000, padding=True, return_tensors="pt")
    batch = extractor([short, long, short], sampling_rate=16000, padding=True, return_tensors="pt")
    assert batch["attention_mask"][0].sum() == 16000 and batch["input_values"].shape[-1] == 48000
    with torch.no_grad():
        out = model(**batch, output_hidden_states=True, output_attentions=True)
        expected = torch.cat([model(**alone).logits, model(**long_alone).logits, model(**alone).logits])
        torch.testing.assert_close(out.logits, expected, rtol=1e-5, atol=1e-5)
        assert out.logits.abs().max() > 0.1
        frames = out.hidden_states[0].shape[1]
        assert len(out.hidden_states) == 3 and out.hidden_states[2].shape == (3, frames, 32)
        # SDPA attention returns none (hubert, wav2vec2); eager attention (wavlm) returns them padded too.
        assert all(layer.shape[-2:] == (frames, frames) for layer in out.attentions)
    if pooling == "mean":
        features = model.encode_layers(**batch)
        expected = torch.cat([model.encode_layers(**alone), model.encode_layers(**long_alone)])
        torch.testing.assert_close(features[:2], expected, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(features[2], features[0])
        torch.testing.assert_close(
            model.forward_from_layer_features(features).logits, out.logits, rtol=1e-5, atol=1e-5
        )


def test_padded_group_norm_batch_still_trains():
    model = tiny_speech_model(encoder="hubert").train()
    batch = _batch("hubert", seconds=(0.5, 0.25, 0.25))
    model(**batch, labels=torch.tensor([0, 3, 1])).loss.backward()
    conv = model.encoder.feature_extractor.conv_layers[0].conv.weight
    assert conv.grad is not None and torch.isfinite(conv.grad).all() and conv.grad.abs().sum() > 0


def test_forward_from_layer_features_errors():
    model = tiny_speech_model(pooling="stats")
    with pytest.raises(ValueError, match="needs pooling='mean'"):
        model.forward_from_layer_features(torch.randn(2, 3, 32))
    model = tiny_speech_model(pooling="mean")
    with pytest.raises(ValueError, match=r"shape \(batch, 3, 32\)"):
        model.forward_from_layer_features(torch.randn(2, 4, 32))


@pytest.mark.parametrize(
    ("head", "labels", "id2label"),
    [
        ("single_label", torch.tensor([1, 5]), dict(enumerate(SPEECH_LABELS))),
        ("multi_label", torch.tensor([[1, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1]]), dict(enumerate(SPEECH_LABELS))),
        ("binary", torch.tensor([0, 1]), dict(enumerate(BINARY_LABELS))),
    ],
)
def test_heads_and_losses(head, labels, id2label):
    model = tiny_speech_model(num_labels=len(id2label), head=head, id2label=id2label)
    batch = _batch("hubert")
    out = model(**batch, labels=labels)
    assert out.logits.shape == (2, len(id2label))
    scores = model.classifier(model.dropout(out.embeddings))
    if head == "single_label":
        expected = torch.nn.functional.cross_entropy(out.logits, labels)
        assert model.config.problem_type == "single_label_classification"
    elif head == "multi_label":
        expected = torch.nn.functional.binary_cross_entropy_with_logits(out.logits, labels.float())
        assert model.config.problem_type == "multi_label_classification"
    else:
        # one logit z, returned as [0, z]: softmax gives sigmoid(z) for label 1
        assert model.classifier.out_features == 1
        assert torch.equal(out.logits[:, 0], torch.zeros(2))
        torch.testing.assert_close(out.logits.softmax(-1)[:, 1], scores[:, 0].sigmoid())
        expected = torch.nn.functional.binary_cross_entropy_with_logits(scores[:, 0], labels.float())
    torch.testing.assert_close(out.loss, expected)


def test_class_weights_reach_the_loss():
    weights = [1.0, 2.0, 0.5, 1.0, 1.0, 3.0]
    model = tiny_speech_model(class_weights=weights)
    batch, labels = _batch("hubert"), torch.tensor([1, 5])
    out = model(**batch, labels=labels)
    expected = torch.nn.functional.cross_entropy(out.logits, labels, weight=torch.tensor(weights))
    torch.testing.assert_close(out.loss, expected)


@pytest.mark.parametrize(
    ("head", "scores", "labels", "weights", "expected"),
    [
        # -log softmax: row 0 -> log(2); row 1 (weight 3) -> log(1 + e^-2); weighted mean over weights 1 and 3
        ("single_label", [[0.0, 0.0], [0.0, 2.0]], [0, 1], [1.0, 3.0], (np.log(2) + 3 * np.log1p(np.exp(-2))) / 4),
        # BCE of logit 0 is log(2) for either target; pos_weight 3 on the positive cell: (3 log 2 + log 2) / 2
        ("multi_label", [[0.0, 0.0]], [[1, 0]], [3.0, 1.0], 2 * np.log(2)),
        # binary: pos_weight = w1 / w0 = 4 on the positive example: (4 log 2 + log 2) / 2
        ("binary", [[0.0], [0.0]], [1, 0], [0.5, 2.0], 2.5 * np.log(2)),
        ("binary", [[0.0], [0.0]], [1, 0], None, np.log(2)),
    ],
)
def test_classification_loss_rules(head, scores, labels, weights, expected):
    loss = classification_loss(torch.tensor(scores), torch.tensor(labels), head, 2, weights)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_freeze_encoder():
    model = tiny_speech_model()
    model.freeze_encoder()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"layer_weights", "projector.weight", "projector.bias", "classifier.weight", "classifier.bias"}


@pytest.mark.parametrize("encoder", ENCODERS)
def test_freeze_feature_encoder(encoder):
    model = tiny_speech_model(encoder=encoder)
    already = {n for n, p in model.named_parameters() if not p.requires_grad}  # Whisper's fixed sinusoids
    model.freeze_feature_encoder()
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad} - already
    prefix = ("encoder.conv1", "encoder.conv2") if encoder == "whisper" else ("encoder.feature_extractor",)
    assert frozen and all(n.startswith(prefix) for n in frozen)
    assert all(
        p.requires_grad for n, p in model.named_parameters() if n.startswith("encoder.layers.0.") or ".layers.0." in n
    )


@pytest.mark.parametrize("encoder", ["hubert", "whisper"])
def test_lora_trains_adapters_and_head_only(encoder):
    peft_model = add_lora(tiny_speech_model(encoder=encoder), r=4)
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    lora = [n for n in trainable if "lora_" in n]
    assert len(lora) == 2 * 2 * 2  # 2 layers x (q_proj, v_proj) x (A, B)
    assert all(".encoder." in n for n in lora)
    head = sorted(n.split("base_model.model.")[1] for n in trainable if "lora_" not in n)
    assert head == ["classifier.bias", "classifier.weight", "layer_weights", "projector.bias", "projector.weight"]
    base_encoder = [p for n, p in peft_model.named_parameters() if ".encoder." in n and "lora_" not in n]
    assert base_encoder and not any(p.requires_grad for p in base_encoder)
    merged = peft_model.merge_and_unload()
    assert isinstance(merged, SentiVSpeechForAudioClassification)


def test_lora_trains_attentive_pooling_and_text_heads():
    # The benchmark's LoRA is this function: the pooling's own weights train with the head (attentive pooling).
    peft_model = add_lora(tiny_speech_model(pooling="attentive"), r=4)
    trainable = {n.split("base_model.model.")[1] for n, p in peft_model.named_parameters() if p.requires_grad}
    assert {"layer_weights", "projector.weight", "classifier.weight"} <= trainable
    assert any(n.startswith("pooling.") for n in trainable)
    from sentiv_hf.models.tiny import tiny_text_model, train_tiny_tokenizer

    text = add_lora(
        tiny_text_model(train_tiny_tokenizer(["tôi vui", "tôi buồn"])), r=4, target_modules=("query", "value")
    )
    names = [n for n, p in text.named_parameters() if p.requires_grad]
    assert sum("lora_" in n for n in names) == 2 * 2 * 2  # 2 layers x (query, value) x (A, B)
    assert all(".attention.self." in n for n in names if "lora_" in n)
    assert {n.split("base_model.model.")[1] for n in names if "lora_" not in n} == {
        "classifier.dense.weight", "classifier.dense.bias", "classifier.out_proj.weight", "classifier.out_proj.bias"
    }  # fmt: skip


@pytest.mark.parametrize("kind", ["hubert", "whisper"])
def test_from_encoder_pretrained_loads_encoder_weights(tmp_path, kind):
    torch.manual_seed(1)
    pretrained = (HubertModel if kind == "hubert" else WhisperModel)(tiny_encoder_config(kind))
    pretrained.save_pretrained(tmp_path / "enc")
    model = SentiVSpeechForAudioClassification.from_encoder_pretrained(
        str(tmp_path / "enc"), id2label=dict(enumerate(SPEECH_LABELS)), pooling="stats"
    )
    assert model.config.pooling == "stats" and model.config.num_labels == 6
    assert model.config.label2id["Fear"] == 2
    encoder = pretrained.get_encoder() if kind == "whisper" else pretrained
    for name, param in encoder.state_dict().items():
        torch.testing.assert_close(model.encoder.state_dict()[name], param)


@pytest.mark.parametrize(
    ("num_labels", "expected"), [(None, list(SPEECH_LABELS)), (6, list(SPEECH_LABELS)), (2, ["LABEL_0", "LABEL_1"])]
)
def test_from_encoder_pretrained_default_label_names(tmp_path, num_labels, expected):
    HubertModel(tiny_encoder_config("hubert")).save_pretrained(tmp_path / "enc")
    model = SentiVSpeechForAudioClassification.from_encoder_pretrained(str(tmp_path / "enc"), num_labels=num_labels)
    assert [model.config.id2label[i] for i in range(model.config.num_labels)] == expected


def test_auto_classes_and_config_round_trip(tmp_path):
    model = tiny_speech_model(pooling="attentive", head="multi_label", class_weights=[1.0] * 6)
    model.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".safetensors", ".bin", ".pt")) == [
        "model.safetensors"
    ]
    config = AutoConfig.from_pretrained(tmp_path)
    assert isinstance(config, SentiVSpeechConfig)
    assert (config.pooling, config.head, config.class_weights) == ("attentive", "multi_label", [1.0] * 6)
    assert config.encoder_config.model_type == "hubert" and config.encoder_config.hidden_size == 32
    assert config.auto_map["AutoModelForAudioClassification"] == (
        "modeling_sentiv_speech.SentiVSpeechForAudioClassification"
    )
    loaded = AutoModelForAudioClassification.from_pretrained(tmp_path)
    assert isinstance(loaded, SentiVSpeechForAudioClassification)
    batch = _batch("hubert")
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch).logits, model(**batch).logits)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"head": "softmax"}, r"Unknown head 'softmax'; choose one of \['single_label', 'multi_label', 'binary'\]"),
        ({"pooling": "max"}, "Unknown pooling 'max'"),
        ({"head": "binary", "id2label": {0: "a", 1: "b", 2: "c"}}, "binary head needs exactly 2 labels"),
        ({"id2label": {0: "a", 1: "b"}, "class_weights": [1.0]}, "class_weights has 1 values but there are 2"),
        ({"max_duration_s": 0}, "max_duration_s must be positive"),
        ({"encoder_config": {"model_type": "bert"}}, "Unsupported encoder model_type 'bert'"),
    ],
)
def test_bad_config_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SentiVSpeechConfig(**kwargs)


def test_num_labels_disagreeing_with_id2label(caplog, tmp_path):
    with caplog.at_level("WARNING"):
        config = SentiVSpeechConfig(encoder_config=tiny_encoder_config(), id2label={0: "a", 1: "b"}, num_labels=3)
    assert config.id2label == {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}
    assert "num_labels=3 disagrees with id2label, which has 2 labels (['a', 'b'])" in caplog.text
    # the same rule lets from_pretrained put a new head on a saved 6-label model
    tiny_speech_model().save_pretrained(tmp_path)
    names = {0: "non-negative", 1: "negative"}
    model = SentiVSpeechForAudioClassification.from_pretrained(
        tmp_path, num_labels=2, id2label=names, head="binary", ignore_mismatched_sizes=True
    )
    assert model.config.id2label == names and model.classifier.out_features == 1
    assert model(torch.randn(1, 4000)).logits.shape == (1, 2)


def test_missing_inputs_error():
    with pytest.raises(ValueError, match="Pass `input_values`"):
        tiny_speech_model()(attention_mask=torch.ones(1, 10))
