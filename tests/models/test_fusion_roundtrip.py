"""Head-only fusion models (no sub-models) survive save_pretrained → from_pretrained for every strategy, in this
process and in a fresh one where sentiv_hf cannot be imported (trust_remote_code=True)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModel

from sentiv_hf.models import SentiVFusionConfig, SentiVFusionModel, label_alignment_matrix

from ..utils import last_json_line, run_python_without_sentiv_hf

STRATEGIES = ["average", "concat_mlp", "uncertainty"]

# One child process loads every strategy: interpreter + transformers start-up dominates the cost.
CHILD = textwrap.dedent(
    """
    import json, sys

    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoModel

    root, strategies = sys.argv[1], sys.argv[2:]
    inputs = load_file(f"{root}/inputs.safetensors")
    outputs, info = {}, {}
    for name in strategies:
        model = AutoModel.from_pretrained(f"{root}/{name}", trust_remote_code=True).eval()
        with torch.no_grad():
            out = model(text_logits=inputs["text"], speech_logits=inputs["speech"])
        outputs[name] = out.logits.contiguous()
        info[name] = {
            "class": type(model).__module__ + "." + type(model).__name__,
            "text_temperature": model.config.text_temperature,
            "speech_temperature": model.config.speech_temperature,
        }
    save_file(outputs, f"{root}/child.safetensors")
    info["sentiv_modules"] = sorted(m for m in sys.modules if m.startswith("sentiv_hf"))
    print(json.dumps(info))
    """
)


def _head_only(strategy: str) -> SentiVFusionModel:
    torch.manual_seed(0)
    config = SentiVFusionConfig(fusion=strategy, confidence="max_prob", text_temperature=1.7, speech_temperature=0.6)
    return SentiVFusionModel(config).eval()


@pytest.fixture(scope="module")
def inputs() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    return {"text": torch.randn(5, 7, generator=gen), "speech": torch.randn(5, 6, generator=gen)}


@pytest.fixture(scope="module")
def saved(tmp_path_factory, inputs) -> tuple[Path, dict[str, torch.Tensor]]:
    """Every strategy saved under ``root/<strategy>``, with the logits the in-memory model gives."""
    root = tmp_path_factory.mktemp("head_only")
    expected = {}
    for strategy in STRATEGIES:
        model = _head_only(strategy)
        model.save_pretrained(root / strategy)
        with torch.no_grad():
            expected[strategy] = model(text_logits=inputs["text"], speech_logits=inputs["speech"]).logits
    save_file(inputs, root / "inputs.safetensors")
    return root, expected


@pytest.fixture(scope="module")
def child(saved) -> tuple[dict, dict[str, torch.Tensor]]:
    root, _ = saved
    done = run_python_without_sentiv_hf(
        CHILD, root, *STRATEGIES, cwd=root, env={"HF_MODULES_CACHE": str(root / "modules")}
    )
    return last_json_line(done), load_file(root / "child.safetensors")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_head_only_folder_has_weights_and_code(saved, strategy):
    root, _ = saved
    folder = root / strategy
    files = sorted(p.name for p in folder.iterdir())
    assert "model.safetensors" in files and not any(f.endswith((".bin", ".pt", ".pkl")) for f in files)
    assert "modeling_sentiv_fusion.py" in files and "fusion_strategies.py" in files
    weights = load_file(folder / "model.safetensors")
    expected_keys = ["label_alignment"]
    if strategy == "concat_mlp":
        expected_keys += [
            "strategy.mlp.0.bias",
            "strategy.mlp.0.weight",
            "strategy.mlp.3.bias",
            "strategy.mlp.3.weight",
        ]
    assert sorted(weights) == expected_keys
    torch.testing.assert_close(
        weights["label_alignment"],
        label_alignment_matrix(SentiVFusionConfig().text_labels, SentiVFusionConfig().speech_labels),
    )
    config = json.loads((folder / "config.json").read_text())
    assert (config["text_temperature"], config["speech_temperature"]) == (1.7, 0.6)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_head_only_from_pretrained_same_logits(saved, inputs, strategy):
    root, expected = saved
    loaded = AutoModel.from_pretrained(root / strategy)
    assert isinstance(loaded, SentiVFusionModel) and loaded.config.fusion == strategy
    assert loaded.text_model is None and loaded.speech_model is None
    assert (loaded.config.text_temperature, loaded.config.speech_temperature) == (1.7, 0.6)
    with torch.no_grad():
        logits = loaded(text_logits=inputs["text"], speech_logits=inputs["speech"]).logits
    torch.testing.assert_close(logits, expected[strategy])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_head_only_fresh_process_trust_remote_code(child, saved, strategy):
    info, logits = child
    _, expected = saved
    assert info["sentiv_modules"] == []
    assert info[strategy]["class"].startswith("transformers_modules.")
    assert info[strategy]["class"].endswith("modeling_sentiv_fusion.SentiVFusionModel")
    assert (info[strategy]["text_temperature"], info[strategy]["speech_temperature"]) == (1.7, 0.6)
    torch.testing.assert_close(logits[strategy], expected[strategy])


def test_checkpoint_without_alignment_buffer_still_loads(tmp_path, inputs):
    # concat_mlp folders saved before the buffer existed hold only the MLP; the matrix is rebuilt from the config.
    model = _head_only("concat_mlp")
    model.save_pretrained(tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    del weights["label_alignment"]
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    loaded = AutoModel.from_pretrained(tmp_path)
    torch.testing.assert_close(loaded.label_alignment, model.label_alignment)
    with torch.no_grad():
        torch.testing.assert_close(
            loaded(text_logits=inputs["text"], speech_logits=inputs["speech"]).logits,
            model(text_logits=inputs["text"], speech_logits=inputs["speech"]).logits,
        )
