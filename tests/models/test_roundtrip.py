"""save_pretrained → a fresh process where sentiv_hf cannot be imported → from_pretrained(trust_remote_code=True)."""

from __future__ import annotations

import json
import textwrap

import torch
from safetensors.torch import load_file, save_file

from sentiv_hf.models import SentiVFusionConfig, SentiVFusionModel
from sentiv_hf.models.tiny import tiny_speech_model

from ..utils import last_json_line, run_python_without_sentiv_hf

CHILD = textwrap.dedent(
    """
    import json, sys

    try:
        import sentiv_hf  # noqa: F401
        raise SystemExit("sentiv_hf was importable")
    except ImportError:
        pass

    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoModel, AutoModelForAudioClassification

    root = sys.argv[1]
    inputs = load_file(f"{root}/inputs.safetensors")
    speech = AutoModelForAudioClassification.from_pretrained(f"{root}/speech", trust_remote_code=True)
    fusion = AutoModel.from_pretrained(f"{root}/fusion", trust_remote_code=True)
    with torch.no_grad():
        speech_logits = speech(inputs["wave"], attention_mask=inputs["mask"]).logits
        fused = fusion(input_ids=inputs["ids"], input_values=inputs["wave"], audio_attention_mask=inputs["mask"])
    save_file({"speech": speech_logits, "fusion": fused.logits.contiguous()}, f"{root}/child.safetensors")
    info = {
        "speech_class": type(speech).__module__ + "." + type(speech).__name__,
        "fusion_class": type(fusion).__module__ + "." + type(fusion).__name__,
        "sentiv_modules": sorted(m for m in sys.modules if m.startswith("sentiv_hf")),
        "modalities": list(fused.modalities),
    }
    print(json.dumps(info))
    """
)


def test_fresh_process_without_sentiv_hf(tmp_path, text_model):
    torch.manual_seed(0)
    speech = tiny_speech_model(pooling="attentive")
    speech.save_pretrained(tmp_path / "speech")
    fusion = SentiVFusionModel(
        SentiVFusionConfig(
            text_config=text_model.config,
            speech_config=tiny_speech_model(pooling="stats", encoder="wavlm").config,
            fusion="concat_mlp",
            text_temperature=1.3,
        )
    ).eval()
    fusion.save_pretrained(tmp_path / "fusion")
    inputs = {
        "wave": torch.randn(2, 8000),
        "mask": torch.tensor([[1] * 8000, [1] * 6000 + [0] * 2000]),
        "ids": torch.tensor([[0, 5, 9, 2], [0, 7, 2, 1]]),
    }
    save_file(inputs, tmp_path / "inputs.safetensors")

    for folder in ("speech", "fusion"):
        files = sorted(p.name for p in (tmp_path / folder).iterdir())
        assert "model.safetensors" in files and not any(f.endswith((".bin", ".pt", ".pkl")) for f in files)
        assert "modeling_sentiv_speech.py" in files and "pooling.py" in files
    auto_map = json.loads((tmp_path / "fusion" / "config.json").read_text())["auto_map"]
    assert auto_map == {
        "AutoConfig": "configuration_sentiv_fusion.SentiVFusionConfig",
        "AutoModel": "modeling_sentiv_fusion.SentiVFusionModel",
    }

    done = run_python_without_sentiv_hf(
        CHILD, tmp_path, cwd=tmp_path, env={"HF_MODULES_CACHE": str(tmp_path / "modules")}
    )
    info = last_json_line(done)
    assert info["sentiv_modules"] == []
    assert info["speech_class"].startswith("transformers_modules.") and info["speech_class"].endswith(
        "modeling_sentiv_speech.SentiVSpeechForAudioClassification"
    )
    assert info["fusion_class"].endswith("modeling_sentiv_fusion.SentiVFusionModel")
    assert info["modalities"] == ["text", "speech"]

    child = load_file(tmp_path / "child.safetensors")
    with torch.no_grad():
        torch.testing.assert_close(child["speech"], speech(inputs["wave"], attention_mask=inputs["mask"]).logits)
        expected = fusion(input_ids=inputs["ids"], input_values=inputs["wave"], audio_attention_mask=inputs["mask"])
    torch.testing.assert_close(child["fusion"], expected.logits)
