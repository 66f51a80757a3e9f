"""``import sentiv_hf`` is lazy, yet the Auto classes and pipelines load SentiV folders right after it.

Each case runs in a fresh process (registration is process state), with the imports in a different order: the
registration must not depend on whether transformers or sentiv_hf comes first.
"""

from __future__ import annotations

import pytest

from sentiv_hf.labels import SPEECH_LABELS

from ..utils import last_json_line, run_python

CHILD = """
import json, sys

{imports}
assert "sentiv_hf" in sys.modules
import numpy as np
from transformers import AutoConfig, AutoModel, AutoModelForAudioClassification, pipeline

speech_dir, fusion_dir = sys.argv[1], sys.argv[2]
speech = AutoModelForAudioClassification.from_pretrained(speech_dir)
fusion = AutoModel.from_pretrained(fusion_dir)
wave = (0.1 * np.sin(np.arange(8000) / 7)).astype(np.float32)
classifier = pipeline("audio-classification", model=speech_dir, device="cpu")
emotion = pipeline("sentiv-emotion", model=fusion_dir, device="cpu")
print(json.dumps({{
    "config": type(AutoConfig.from_pretrained(speech_dir)).__name__,
    "speech": type(speech).__module__ + "." + type(speech).__name__,
    "fusion": type(fusion).__module__ + "." + type(fusion).__name__,
    "audio_classification": sorted(r["label"] for r in classifier(wave, top_k=None)),
    "emotion": sorted(emotion({{"text": "Tôi rất vui", "audio": wave}})["scores"]),
}}))
"""

IMPORT_ORDERS = {
    "sentiv_hf first": 'import sentiv_hf\nassert "torch" not in sys.modules and "transformers" not in sys.modules',
    "transformers first": "import transformers\nimport sentiv_hf",
    "auto classes and pipelines first": "from transformers import AutoModel, pipeline\nimport sentiv_hf",
}


@pytest.mark.parametrize("imports", IMPORT_ORDERS.values(), ids=IMPORT_ORDERS.keys())
def test_auto_classes_and_pipelines_after_import_sentiv_hf(imports, speech_dir, fusion_dir, tmp_path):
    result = last_json_line(run_python(CHILD.format(imports=imports), speech_dir, fusion_dir, cwd=tmp_path))
    assert result["config"] == "SentiVSpeechConfig"
    # Without trust_remote_code: these are the registered classes, not copies loaded from the folder.
    assert result["speech"] == "sentiv_hf.models.modeling_sentiv_speech.SentiVSpeechForAudioClassification"
    assert result["fusion"] == "sentiv_hf.models.modeling_sentiv_fusion.SentiVFusionModel"
    assert result["audio_classification"] == sorted(SPEECH_LABELS)
    assert result["emotion"] == sorted(SPEECH_LABELS)


@pytest.mark.parametrize(
    ("imports", "pipelines_imported"),
    [
        ("import sentiv_hf.models", False),  # the pipeline stack loads only when asked for
        ("from sentiv_hf.models.pipelines import SentiVEmotionPipeline", True),
        # imported first, the call pipeline's module imports transformers.pipelines before its class exists
        ("from sentiv_hf.models.call_pipeline import SentiVCallPipeline", True),
    ],
    ids=["sentiv_hf.models", "sentiv_hf.models.pipelines", "sentiv_hf.models.call_pipeline"],
)
def test_importing_the_models_registers_them_eagerly(imports, pipelines_imported, tmp_path):
    code = f"""
    import json, sys
    {imports}
    import sentiv_hf.models
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING, MODEL_MAPPING
    registered = {{
        "configs": "sentiv-speech" in CONFIG_MAPPING and "sentiv-fusion" in CONFIG_MAPPING,
        "speech": sentiv_hf.models.SentiVSpeechConfig in MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING,
        "fusion": sentiv_hf.models.SentiVFusionConfig in MODEL_MAPPING,
        "pipelines_imported": "transformers.pipelines" in sys.modules,
    }}
    from transformers.pipelines import PIPELINE_REGISTRY
    registered["pipeline"] = "sentiv-emotion" in PIPELINE_REGISTRY.get_supported_tasks()
    registered["call_pipeline"] = PIPELINE_REGISTRY.check_task("sentiv-call")[1]["impl"].__name__
    print(json.dumps(registered))
    """
    done = run_python(code, cwd=tmp_path)
    assert last_json_line(done) == {
        "configs": True,
        "speech": True,
        "fusion": True,
        "pipelines_imported": pipelines_imported,
        "pipeline": True,
        "call_pipeline": "SentiVCallPipeline",
    }
    assert "Could not register" not in done.stderr
