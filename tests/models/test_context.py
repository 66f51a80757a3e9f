"""`SentiVContextConfig` / `SentiVContextModel`: validation, shapes per head, causal mode, padding invariance, the loss
over labelled segments, the segment model inside, and the save → fresh process (trust_remote_code) round trip."""

from __future__ import annotations

import json
import textwrap

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModel

from sentiv_hf.models import SentiVContextConfig, SentiVContextModel, SentiVContextOutput
from sentiv_hf.models.modeling_sentiv_context import alibi_slopes
from sentiv_hf.models.tiny import tiny_speech_model

from ..utils import last_json_line, run_python_without_sentiv_hf

LAYERS, SIZE = 3, 32  # what a tiny speech model's encode_layers gives: 2 encoder layers + embeddings, hidden 32
SMALL = {"d_model": 16, "num_heads": 2, "dim_feedforward": 32, "num_layers": 2}


def _config(**kwargs) -> SentiVContextConfig:
    values = {"feature_layers": LAYERS, "feature_size": SIZE, "dropout": 0.0, **SMALL, **kwargs}
    if "id2label" not in values:
        values.setdefault("num_labels", 4)
    return SentiVContextConfig(**values)


def _model(seed: int = 0, **kwargs) -> SentiVContextModel:
    torch.manual_seed(seed)
    return SentiVContextModel(_config(**kwargs)).eval()


def _features(batch: int = 2, segments: int = 6, seed: int = 0, layers: bool = True) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    shape = (batch, segments, LAYERS, SIZE) if layers else (batch, segments, SIZE)
    return torch.randn(*shape, generator=gen)


BINARY = {"head": "binary", "id2label": {0: "non_negative", 1: "negative"}}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"positions": "rotary"}, "Unknown positions 'rotary'; choose one of ['learned', 'relative']"),
        ({"head": "softmax"}, "Unknown head 'softmax'; choose one of ['single_label', 'multi_label', 'binary']"),
        ({"feature_layers": None}, "Without segment_config, pass feature_layers"),
        ({"feature_layers": None, "feature_size": None}, "pass feature_layers and feature_size"),
        ({"num_heads": 3}, "num_heads (3) must divide d_model (16)"),
        ({"max_segments": 0}, "max_segments must be a positive integer, got 0"),
        ({"dropout": 1.0}, "dropout must be in [0, 1)"),
        ({"segment_overlap": 30.0}, "segment_overlap must be in [0, segment_seconds=30.0)"),
        ({"head": "binary"}, "The binary head needs exactly 2 labels"),
        ({"class_weights": [1.0, 2.0]}, "class_weights has 2 values but there are 4 labels"),
    ],
)
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError) as error:
        _config(**kwargs)
    assert message in str(error.value)


def test_config_follows_the_segment_model():
    speech = tiny_speech_model(num_labels=6)
    config = SentiVContextConfig(segment_config=speech.config, **SMALL)
    assert (config.feature_layers, config.feature_size) == (3, 32)
    assert config.id2label == speech.config.id2label and config.num_labels == 6
    assert config.problem_type == "single_label_classification"
    with pytest.raises(ValueError, match="feature_size=16 disagrees with segment_config, whose encode_layers gives"):
        SentiVContextConfig(segment_config=speech.config, feature_size=16)
    own = SentiVContextConfig(segment_config=speech.config, head="multi_label", num_labels=11)
    assert own.num_labels == 11 and own.problem_type == "multi_label_classification"
    # Through a dict (as from config.json) the sub-config comes back as a SentiVSpeechConfig.
    again = SentiVContextConfig.from_dict(config.to_dict())
    assert type(again.segment_config).__name__ == "SentiVSpeechConfig" and again.feature_layers == 3
    assert isinstance(AutoConfig.for_model("sentiv-context", feature_layers=2, feature_size=8), SentiVContextConfig)


HEADS = [("single_label", {}, 4), ("multi_label", {"head": "multi_label"}, 4), ("binary", BINARY, 2)]


@pytest.mark.parametrize("positions", ["learned", "relative"])
@pytest.mark.parametrize("layers", [True, False], ids=["4d", "3d"])
@pytest.mark.parametrize(("head", "kwargs", "num_labels"), HEADS, ids=[h[0] for h in HEADS])
def test_shapes_for_every_head_and_input(head, kwargs, num_labels, layers, positions):
    model = _model(positions=positions, **kwargs)
    with torch.no_grad():
        out = model(_features(layers=layers), segment_mask=torch.tensor([[1] * 6, [1] * 4 + [0] * 2]))
    assert isinstance(out, SentiVContextOutput) and out.loss is None
    assert out.logits.shape == (2, 6, num_labels) and out.hidden_states.shape == (2, 6, 16)
    assert torch.isfinite(out.logits).all()
    if head == "binary":  # one logit z returned as [0, z]
        assert torch.equal(out.logits[..., 0], torch.zeros(2, 6)) and out.logits[..., 1].abs().sum() > 0
    as_tuple = model(_features(layers=layers), return_dict=False)
    assert isinstance(as_tuple, tuple) and as_tuple[0].shape == (2, 6, num_labels)


def test_bad_feature_shapes_and_lengths_are_named():
    model = _model(max_segments=8)
    with pytest.raises(ValueError, match=r"segment_features must have shape \(batch, segments, 3, 32\) or \(batch, "):
        model(torch.randn(1, 4, 2, 32))
    with pytest.raises(ValueError, match=r"got \(1, 4, 16\)"):
        model(torch.randn(1, 4, 16))
    with pytest.raises(ValueError, match="9 segments exceed max_segments=8 of the learned positions"):
        model(torch.randn(1, 9, 32))
    relative = _model(max_segments=8, positions="relative")  # ALiBi has no length limit of its own
    assert relative(torch.randn(1, 9, 32)).logits.shape == (1, 9, 4)


@pytest.mark.parametrize("positions", ["learned", "relative"])
def test_causal_outputs_ignore_later_segments(positions):
    features = _features(batch=1, segments=7)
    changed = features.clone()
    changed[:, 4:] = torch.randn(1, 3, LAYERS, SIZE)  # segments 4, 5, 6 change
    for causal in (True, False):
        model = _model(positions=positions, causal=causal)
        with torch.no_grad():
            before, after = model(features).logits, model(changed).logits
        if causal:
            torch.testing.assert_close(after[:, :4], before[:, :4], rtol=0, atol=1e-6)
        else:
            assert (after[:, :4] - before[:, :4]).abs().amax() > 1e-3
        assert (after[:, 4:] - before[:, 4:]).abs().amax() > 1e-3


@pytest.mark.parametrize("causal", [False, True], ids=["bidirectional", "causal"])
@pytest.mark.parametrize("positions", ["learned", "relative"])
def test_padding_changes_no_output(positions, causal):
    # Two calls of 7 and 4 segments: the padded batch gives each call's outputs alone, in eval and train mode.
    model = _model(positions=positions, causal=causal)
    long, short = _features(batch=1, segments=7, seed=1), _features(batch=1, segments=4, seed=2)
    padded = torch.cat([long, torch.cat([short, torch.full((1, 3, LAYERS, SIZE), 9.0)], dim=1)])
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3])
    for train in (False, True):
        model.train(train)  # dropout is 0: the training path (no fused kernels) must agree too
        with torch.set_grad_enabled(train):
            batch = model(padded, segment_mask=mask)
            alone_long, alone_short = model(long), model(short)
        torch.testing.assert_close(batch.logits[0], alone_long.logits[0], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(batch.logits[1, :4], alone_short.logits[0], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(batch.hidden_states[1, :4], alone_short.hidden_states[0], rtol=1e-5, atol=1e-5)


def test_alibi_slopes_and_bias():
    torch.testing.assert_close(alibi_slopes(2), torch.tensor([2.0**-4, 2.0**-8]))
    model = _model(positions="relative", causal=True)
    mask = model._attention_mask(torch.tensor([[True, True, False]]), torch.float32)
    assert mask.shape == (2, 3, 3)  # (batch * heads, query, key)
    low = torch.finfo(torch.float32).min
    expected_head0 = torch.tensor([[0.0, low, low], [-1 / 16, 0.0, low], [-2 / 16, -1 / 16, low]])
    torch.testing.assert_close(mask[0], expected_head0)


def test_loss_counts_only_real_labelled_segments():
    model = _model(class_weights=[1.0, 2.0, 0.5, 1.0])
    features = _features(segments=5)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    labels = torch.tensor([[0, 1, -100, 3, 2], [2, 1, 0, 3, 3]])
    label_mask = torch.tensor([[1, 1, 1, 1, 0], [1, 0, 1, 1, 1]]).bool()
    out = model(features, segment_mask=mask, labels=labels, label_mask=label_mask)
    # counted: (0,0) (0,1) (0,3) (1,0) (1,2); (0,2) is -100, (0,4)/(1,1) are unlabelled, (1,3)/(1,4) are padding.
    rows, cols = torch.tensor([0, 0, 0, 1, 1]), torch.tensor([0, 1, 3, 0, 2])
    expected = torch.nn.functional.cross_entropy(
        out.logits[rows, cols], labels[rows, cols], weight=torch.tensor([1.0, 2.0, 0.5, 1.0])
    )
    torch.testing.assert_close(out.loss, expected)
    other = labels.clone()
    other[0, 4], other[1, 1], other[1, 3], other[1, 4] = 1, 3, 0, 0  # unlabelled and padded labels change
    torch.testing.assert_close(model(features, segment_mask=mask, labels=other, label_mask=label_mask).loss, out.loss)
    nothing = model(features, segment_mask=mask, labels=torch.full_like(labels, -100))
    assert nothing.loss.item() == 0.0 and nothing.loss.requires_grad


def test_loss_of_multi_label_and_binary_heads():
    multi = _model(head="multi_label")
    hot = torch.zeros(1, 3, 4)
    hot[0, 0, 1] = hot[0, 1, 2] = hot[0, 1, 3] = 1.0
    out = multi(_features(batch=1, segments=3), labels=hot, label_mask=torch.tensor([[True, True, False]]))
    expected = torch.nn.functional.binary_cross_entropy_with_logits(out.logits[0, :2], hot[0, :2])
    torch.testing.assert_close(out.loss, expected)
    binary = _model(class_weights=[1.0, 3.0], **BINARY)
    labels = torch.tensor([[1, 0, -100]])
    out = binary(_features(batch=1, segments=3), labels=labels)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        out.logits[0, :2, 1], torch.tensor([1.0, 0.0]), pos_weight=torch.tensor(3.0)
    )
    torch.testing.assert_close(out.loss, expected)


def test_segment_model_inside_embeds_like_encode_layers(tmp_path):
    speech = tiny_speech_model(num_labels=6)
    speech.save_pretrained(tmp_path / "speech")
    wave = torch.randn(3, 8000)
    mask = torch.tensor([[1] * 8000, [1] * 6000 + [0] * 2000, [1] * 8000])
    expected = speech.encode_layers(wave, mask)
    for source in (speech, tmp_path / "speech"):  # a model, or a saved folder
        torch.manual_seed(0)
        model = SentiVContextModel.from_segment_model(source, **SMALL, **BINARY)
        assert not model.training and model.config.feature_layers == 3
        assert model.segment_model is not speech
        for name, value in speech.state_dict().items():
            assert torch.equal(model.segment_model.state_dict()[name], value), name
        embedded = model.embed_segments(wave, mask)
        assert embedded.shape == (3, 3, 32)
        torch.testing.assert_close(embedded, expected, rtol=0, atol=0)
        assert model(embedded[None]).logits.shape == (1, 3, 2)
    with pytest.raises(ValueError, match="has no segment model"):
        _model().embed_segments(wave)


CHILD = textwrap.dedent(
    """
    import json, sys

    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoModel

    root = sys.argv[1]
    inputs = load_file(f"{root}/inputs.safetensors")
    model = AutoModel.from_pretrained(f"{root}/context", trust_remote_code=True).eval()
    with torch.no_grad():
        features = model.embed_segments(inputs["wave"])
        logits = model(features[None]).logits[0]
        padded = model(inputs["features"], segment_mask=inputs["mask"]).logits
    save_file({"features": features, "logits": logits, "padded": padded.contiguous()}, f"{root}/child.safetensors")
    print(json.dumps({
        "class": type(model).__module__ + "." + type(model).__name__,
        "segment_class": type(model.segment_model).__name__,
        "config": [model.config.positions, model.config.causal, model.config.head, model.config.feature_layers],
        "sentiv_modules": sorted(m for m in sys.modules if m.startswith("sentiv_hf")),
    }))
    """
)


def test_round_trip_same_process_and_fresh_process_without_sentiv_hf(tmp_path):
    torch.manual_seed(0)
    speech = tiny_speech_model(num_labels=6)
    model = SentiVContextModel.from_segment_model(speech, positions="relative", causal=True, **SMALL, **BINARY)
    model.save_pretrained(tmp_path / "context")
    files = sorted(p.name for p in (tmp_path / "context").iterdir())
    assert "model.safetensors" in files and not any(f.endswith((".bin", ".pt", ".pkl")) for f in files)
    for name in ("configuration_sentiv_context.py", "modeling_sentiv_context.py", "modeling_sentiv_speech.py"):
        assert name in files
    assert json.loads((tmp_path / "context" / "config.json").read_text())["auto_map"] == {
        "AutoConfig": "configuration_sentiv_context.SentiVContextConfig",
        "AutoModel": "modeling_sentiv_context.SentiVContextModel",
    }
    weights = load_file(tmp_path / "context" / "model.safetensors")
    assert any(k.startswith("segment_model.encoder.") for k in weights) and "layer_weights" in weights

    wave = torch.randn(4, 8000, generator=torch.Generator().manual_seed(3))
    padded, mask = _features(seed=4), torch.tensor([[1] * 6, [1] * 2 + [0] * 4])
    with torch.no_grad():
        features = model.embed_segments(wave)
        expected = {"features": features, "logits": model(features[None]).logits[0]}
        expected["padded"] = model(padded, segment_mask=mask).logits
    loaded = AutoModel.from_pretrained(tmp_path / "context")
    assert isinstance(loaded, SentiVContextModel) and not loaded.training
    with torch.no_grad():
        torch.testing.assert_close(loaded(loaded.embed_segments(wave)[None]).logits[0], expected["logits"])

    save_file({"wave": wave, "features": padded, "mask": mask}, tmp_path / "inputs.safetensors")
    done = run_python_without_sentiv_hf(
        CHILD, tmp_path, cwd=tmp_path, env={"HF_MODULES_CACHE": str(tmp_path / "modules")}
    )
    info = last_json_line(done)
    assert info["sentiv_modules"] == []
    assert info["class"].startswith("transformers_modules.")
    assert info["class"].endswith("modeling_sentiv_context.SentiVContextModel")
    assert info["segment_class"] == "SentiVSpeechForAudioClassification"
    assert info["config"] == ["relative", True, "binary", 3]
    child = load_file(tmp_path / "child.safetensors")
    for name, value in expected.items():
        torch.testing.assert_close(child[name], value, rtol=0, atol=1e-6)


def test_head_only_model_round_trips(tmp_path):
    model = _model(head="multi_label", positions="learned")
    model.save_pretrained(tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    assert not any(k.startswith("segment_model.") for k in weights)
    loaded = AutoModel.from_pretrained(tmp_path)
    assert loaded.segment_model is None and loaded.config.head == "multi_label"
    features = _features(layers=False)
    with torch.no_grad():
        torch.testing.assert_close(loaded(features).logits, model(features).logits)
