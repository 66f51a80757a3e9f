from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModel

from sentiv_hf.labels import SPEECH_LABELS, TEXT_LABELS, TEXT_TO_SPEECH
from sentiv_hf.models import (
    FUSION_STRATEGIES,
    SentiVFusionConfig,
    SentiVFusionModel,
    align_text_probs,
    confidence_scores,
    fit_temperature,
    fuse_probs,
    label_alignment_matrix,
    temperature_nll,
)
from sentiv_hf.models import configuration_sentiv_fusion as cfg_module
from sentiv_hf.models.tiny import tiny_speech_model

STRATEGIES = ["average", "concat_mlp", "uncertainty"]


def test_label_constants_match_sentiv_labels():
    assert cfg_module.DEFAULT_TEXT_LABELS == TEXT_LABELS
    assert cfg_module.DEFAULT_SPEECH_LABELS == SPEECH_LABELS
    assert cfg_module.DEFAULT_LABEL_MERGE == TEXT_TO_SPEECH


def test_alignment_uses_names_not_positions():
    text_probs = torch.tensor([[0.10, 0.40, 0.05, 0.05, 0.20, 0.10, 0.10]])  # TEXT_LABELS order, Disgust 0.4
    shuffled_speech = {0: "Surprise", 1: "Neutral", 2: "Anger", 3: "Fear", 4: "Sadness", 5: "Enjoyment"}
    aligned = align_text_probs(text_probs, dict(enumerate(TEXT_LABELS)), shuffled_speech)
    expected = torch.tensor([[0.10, 0.20, 0.50, 0.05, 0.10, 0.05]])
    torch.testing.assert_close(aligned, expected)
    assert math.isclose(float(aligned.sum()), 1.0, rel_tol=1e-6)
    matrix = label_alignment_matrix(TEXT_LABELS, SPEECH_LABELS)
    assert matrix.shape == (7, 6) and matrix[1, 0] == 1 and matrix.sum() == 7


def test_unknown_label_name_fails_at_construction():
    with pytest.raises(ValueError, match=r"Cannot align text labels \['Joy'\]"):
        SentiVFusionConfig(text_labels=["Anger", "Joy"])
    with pytest.raises(ValueError, match=r"Disgust->Rage"):
        SentiVFusionConfig(label_merge={"Disgust": "Rage"})
    with pytest.raises(ValueError, match="Unknown fusion 'max'"):
        SentiVFusionConfig(fusion="max")
    with pytest.raises(ValueError, match=r"Unknown confidence 'margin'; choose one of \['entropy', 'max_prob'\]"):
        SentiVFusionConfig(confidence="margin")
    with pytest.raises(ValueError, match="text_temperature must be > 0"):
        SentiVFusionConfig(text_temperature=0.0)


def test_confidence_and_fuse_probs():
    sure, unsure = torch.tensor([[1.0, 0.0, 0.0]]), torch.full((1, 3), 1 / 3)
    torch.testing.assert_close(confidence_scores(torch.cat([sure, unsure]), "entropy"), torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(confidence_scores(torch.cat([sure, unsure]), "max_prob"), torch.tensor([1.0, 1 / 3]))
    fused, weights = fuse_probs(sure, unsure, "average")
    torch.testing.assert_close(weights, torch.tensor([[0.5, 0.5]]))
    torch.testing.assert_close(fused, 0.5 * sure + 0.5 * unsure)
    fused, weights = fuse_probs(sure, unsure, "uncertainty", "max_prob")
    torch.testing.assert_close(weights, torch.tensor([[0.75, 0.25]]), atol=1e-6, rtol=0)
    fused, weights = fuse_probs(unsure, sure, "uncertainty", "entropy")
    assert weights[0, 1] > 0.999  # the uncertain text modality is ignored


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("confidence", ["entropy", "max_prob"])
def test_head_only_every_strategy(strategy, confidence):
    torch.manual_seed(0)
    model = SentiVFusionModel(SentiVFusionConfig(fusion=strategy, confidence=confidence)).eval()
    assert model.text_model is None and model.speech_model is None
    text, speech, labels = torch.randn(4, 7), torch.randn(4, 6), torch.tensor([0, 1, 2, 5])
    out = model(text_logits=text, speech_logits=speech, labels=labels)
    assert out.logits.shape == (4, 6) and out.text_logits.shape == (4, 6) and out.speech_logits.shape == (4, 6)
    assert out.modalities == ("text", "speech")
    torch.testing.assert_close(out.loss, torch.nn.functional.cross_entropy(out.logits, labels))
    text6 = align_text_probs(text.softmax(-1), TEXT_LABELS, SPEECH_LABELS)
    torch.testing.assert_close(out.text_logits.exp(), text6)
    if strategy == "concat_mlp":
        assert out.fusion_weights is None
        out.loss.backward()
        assert model.strategy.mlp[0].weight.grad is not None
    else:
        expected, weights = fuse_probs(text6, speech.softmax(-1), strategy, confidence)
        torch.testing.assert_close(out.logits.exp(), expected)
        torch.testing.assert_close(out.fusion_weights, weights)
        torch.testing.assert_close(out.fusion_weights.sum(-1), torch.ones(4))


def test_uncertainty_downweights_the_unreliable_modality():
    model = SentiVFusionModel(SentiVFusionConfig(fusion="uncertainty"))
    confident_text = torch.tensor([[0.0, 0.0, 9.0, 0.0, 0.0, 0.0, 0.0]])  # Enjoyment
    flat_speech = torch.tensor([[0.1, 0.0, 0.0, 0.2, 0.0, 0.0]])
    out = model(text_logits=confident_text, speech_logits=flat_speech)
    assert out.fusion_weights[0, 0] > 0.9
    assert model.config.id2label[int(out.logits.argmax())] == "Enjoyment"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_missing_modality_returns_the_other(strategy):
    model = SentiVFusionModel(SentiVFusionConfig(fusion=strategy, speech_temperature=2.0)).eval()
    speech = torch.randn(3, 6)
    out = model(speech_logits=speech)
    assert out.modalities == ("speech",)
    assert out.text_logits is None
    torch.testing.assert_close(out.logits, torch.log_softmax(speech / 2.0, -1))
    torch.testing.assert_close(out.fusion_weights, torch.tensor([[0.0, 1.0]] * 3))
    text = torch.randn(3, 7)
    out = model(text_logits=text)
    assert out.modalities == ("text",) and out.speech_logits is None
    assert out.logits.argmax(-1).tolist() == out.text_logits.argmax(-1).tolist()
    with pytest.raises(ValueError, match="No modality given"):
        model()


def test_head_only_rejects_raw_inputs_and_bad_widths():
    model = SentiVFusionModel(SentiVFusionConfig())
    with pytest.raises(ValueError, match="no text model"):
        model(input_ids=torch.ones(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="no speech model"):
        model(input_values=torch.randn(1, 1600))
    with pytest.raises(ValueError, match="text_logits has 6 columns"):
        model(text_logits=torch.randn(1, 6))


def test_fusion_with_submodels(tokenizer, text_model):
    speech = tiny_speech_model()
    config = SentiVFusionConfig(text_config=text_model.config, speech_config=speech.config, fusion="uncertainty")
    model = SentiVFusionModel(config).eval()
    model.text_model.load_state_dict(text_model.state_dict())
    model.speech_model.load_state_dict(speech.state_dict())
    enc = tokenizer(["Tôi rất vui", "buồn quá"], padding=True, return_tensors="pt")
    wave = torch.randn(2, 8000)
    with torch.no_grad():
        out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], input_values=wave)
        head_only = SentiVFusionModel(SentiVFusionConfig(fusion="uncertainty"))(
            text_logits=text_model(**enc).logits, speech_logits=speech(wave).logits
        )
    torch.testing.assert_close(out.logits, head_only.logits)
    model.freeze_submodels()
    assert not any(p.requires_grad for p in model.text_model.parameters())
    assert not any(p.requires_grad for p in model.speech_model.parameters())
    # the Trainer calls model.train() every step: frozen sub-models keep their dropout off, the head trains
    model.train()
    assert model.training and model.strategy.training
    assert not model.text_model.training and not model.speech_model.training
    assert not any(m.training for m in model.speech_model.modules())
    with torch.no_grad():
        again = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], input_values=wave)
    torch.testing.assert_close(again.logits, out.logits)  # no dropout reaches the sub-models' logits


def test_modality_logits_are_the_raw_sub_model_logits(tokenizer, text_model):
    speech = tiny_speech_model()
    config = SentiVFusionConfig(
        text_config=text_model.config, speech_config=speech.config, text_temperature=2.0, speech_temperature=3.0
    )
    model = SentiVFusionModel(config).eval()
    model.text_model.load_state_dict(text_model.state_dict())
    model.speech_model.load_state_dict(speech.state_dict())
    enc = tokenizer(["Tôi rất vui", "buồn quá"], padding=True, return_tensors="pt")
    wave = torch.randn(2, 8000)
    mask = torch.tensor([[1] * 8000, [1] * 6000 + [0] * 2000])
    with torch.no_grad():
        text, speech_logits = model.modality_logits(
            input_ids=enc["input_ids"],
            attention_mask=enc["attention_mask"],
            input_values=wave,
            audio_attention_mask=mask,
        )
        # raw: the text label space (7, Disgust kept), no temperature, no alignment
        assert text.shape == (2, 7) and speech_logits.shape == (2, 6)
        torch.testing.assert_close(text, text_model(**enc).logits)
        torch.testing.assert_close(speech_logits, speech(wave, attention_mask=mask).logits)
        assert model.modality_logits(input_ids=enc["input_ids"])[1] is None
        assert model.modality_logits(input_values=wave)[0] is None
        assert model.modality_logits() == (None, None)
        # forward on the raw inputs equals head-only fusion of these logits
        fused = model(**enc, input_values=wave, audio_attention_mask=mask)
        torch.testing.assert_close(fused.logits, model(text_logits=text, speech_logits=speech_logits).logits)
    head_only = SentiVFusionModel(SentiVFusionConfig())
    with pytest.raises(ValueError, match="no text model"):
        head_only.modality_logits(input_ids=enc["input_ids"])
    with pytest.raises(ValueError, match="no speech model"):
        head_only.modality_logits(input_values=wave)


def test_sub_model_label_mismatch_is_an_error(text_model):
    speech = tiny_speech_model(num_labels=3)  # LABEL_0..2
    with pytest.raises(ValueError, match=r"Cannot align text labels"):
        SentiVFusionConfig(text_config=text_model.config, speech_config=speech.config)


def test_from_text_speech_pretrained_and_save(tmp_path, text_model):
    speech = tiny_speech_model(pooling="stats")
    text_model.save_pretrained(tmp_path / "text")
    speech.save_pretrained(tmp_path / "speech")
    model = SentiVFusionModel.from_text_speech_pretrained(
        str(tmp_path / "text"), str(tmp_path / "speech"), fusion="average", text_temperature=1.5
    )
    assert model.config.fusion == "average" and model.config.text_temperature == 1.5
    assert model.config.text_labels == list(TEXT_LABELS)
    assert model.config.text_config.word_segmenter == "pyvi"
    torch.testing.assert_close(model.speech_model.classifier.weight, speech.classifier.weight)
    model.save_pretrained(tmp_path / "fusion")
    config = AutoConfig.from_pretrained(tmp_path / "fusion")
    assert config.speech_config.pooling == "stats" and config.text_temperature == 1.5
    loaded = AutoModel.from_pretrained(tmp_path / "fusion")
    assert isinstance(loaded, SentiVFusionModel)
    wave = torch.randn(1, 8000)
    ids = torch.tensor([[0, 5, 6, 2]])
    with torch.no_grad():
        torch.testing.assert_close(
            loaded(input_ids=ids, input_values=wave).logits, model(input_ids=ids, input_values=wave).logits
        )


def _miscalibrated(n=400, classes=6, scale=4.0, seed=0):
    """Over-confident logits: right 60% of the time but scaled up, so T > 1 lowers the NLL."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, classes, (n,), generator=gen)
    logits = torch.randn(n, classes, generator=gen)
    hit = torch.rand(n, generator=gen) < 0.6
    logits[hit, labels[hit]] += 2.0
    return logits * scale, labels


def test_fit_temperature_lowers_nll():
    logits, labels = _miscalibrated()
    temperature = fit_temperature(logits, labels)
    assert temperature > 1.5
    before, after = temperature_nll(logits, labels, 1.0), temperature_nll(logits, labels, temperature)
    assert after < before - 0.1
    # a held-out split from the same distribution improves as well
    val_logits, val_labels = _miscalibrated(seed=1)
    assert temperature_nll(val_logits, val_labels, temperature) < temperature_nll(val_logits, val_labels, 1.0)


def test_model_fit_temperature_stores_in_config(tmp_path):
    speech_logits, labels = _miscalibrated(seed=2)
    text_logits = torch.cat([speech_logits[:, :1], torch.full((400, 1), -1e4), speech_logits[:, 1:]], dim=1)
    model = SentiVFusionModel(SentiVFusionConfig(fusion="uncertainty"))
    fitted = model.fit_temperature(labels, text_logits=text_logits, speech_logits=speech_logits)
    assert set(fitted) == {"text_temperature", "speech_temperature"}
    assert model.config.speech_temperature == fitted["speech_temperature"] > 1.5
    assert abs(fitted["text_temperature"] - fitted["speech_temperature"]) < 0.05
    model.save_pretrained(tmp_path)
    assert AutoConfig.from_pretrained(tmp_path).speech_temperature == pytest.approx(fitted["speech_temperature"])
    # the temperatures live in the config; the weights file holds only the label alignment buffer
    assert sorted(load_file(tmp_path / "model.safetensors")) == ["label_alignment"]
    loaded = AutoModel.from_pretrained(tmp_path)
    assert loaded.config.text_temperature == pytest.approx(fitted["text_temperature"])
    torch.testing.assert_close(
        loaded(text_logits=text_logits[:5], speech_logits=speech_logits[:5]).logits,
        model(text_logits=text_logits[:5], speech_logits=speech_logits[:5]).logits,
    )


def test_strategy_registry_is_strict():
    assert sorted(FUSION_STRATEGIES) == STRATEGIES
    with pytest.raises(ValueError, match="concat_mlp is trained"):
        fuse_probs(torch.ones(1, 2) / 2, torch.ones(1, 2) / 2, "concat_mlp")
