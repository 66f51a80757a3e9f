from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
import yaml
from datasets import Audio, ClassLabel, Dataset, Features, Value
from huggingface_hub import DatasetCard, HfApi
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

from sentiv_hf.data.hub import GATED_FIELDS, HubPushError, push_dataset_folder, update_dataset_card, write_config

from ..utils import last_json_line, run_python_without_sentiv_hf

TEXT_FEATURES = Features({"id": Value("string"), "text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
SPEECH_FEATURES = Features(
    {"id": Value("string"), "audio": Audio(sampling_rate=16000, num_channels=1), "label": ClassLabel(names=["a", "b"])}
)
TOKEN = "hf_TESTtokenNeverPrinted0123456789"


def _text_splits(n_train=4, n_eval=2):
    def make(prefix, n):
        rows = {"id": [f"{prefix}-{i}" for i in range(n)], "text": [f"câu {prefix} {i}" for i in range(n)]}
        return Dataset.from_dict({**rows, "label": [i % 2 for i in range(n)]}, features=TEXT_FEATURES)

    return {"train": make("tr", n_train), "validation": make("va", n_eval), "test": make("te", n_eval)}


def _speech_split(tmp_path):
    # 1 s of 8 kHz stereo: stored as-is (bytes embedded); decoding resamples to 16 kHz mono.
    wav = tmp_path / "clip.wav"
    sf.write(wav, np.stack([np.sin(np.linspace(0, 300, 8000))] * 2, axis=1).astype("float32") * 0.3, 8000)
    ds = Dataset.from_dict({"id": ["s-1"], "audio": [str(wav)], "label": [1]}, features=SPEECH_FEATURES)
    return wav, {"train": ds}


def _card(out):
    return DatasetCard.load(out / "README.md")


def test_text_config_layout_and_card(tmp_path):
    out = tmp_path / "ds"
    written = write_config(out, "text", _text_splits(), description="Text **built** for tests.")
    assert {split: [p.name for p in paths] for split, paths in written.items()} == {
        "train": ["train-00000-of-00001.parquet"],
        "validation": ["validation-00000-of-00001.parquet"],
        "test": ["test-00000-of-00001.parquet"],
    }
    assert all(p.parent == out / "text" for paths in written.values() for p in paths)

    raw = (out / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(raw.split("---")[1])
    assert meta["configs"] == [
        {
            "config_name": "text",
            "data_files": [
                {"split": "train", "path": "text/train-*"},
                {"split": "validation", "path": "text/validation-*"},
                {"split": "test", "path": "text/test-*"},
            ],
            "default": True,
        }
    ]
    assert meta["license"] == "other"
    assert meta["license_name"] == "sentiv-research-only"
    assert meta["license_link"] == "LICENSE.md"
    assert meta["language"] == ["vi"]
    assert meta["task_categories"] == ["text-classification", "audio-classification"]
    assert "emotion-recognition" in meta["tags"]
    assert meta["size_categories"] == ["n<1K"]
    assert "non-commercial research" in meta["extra_gated_prompt"]
    assert meta["extra_gated_fields"] == GATED_FIELDS
    assert meta["extra_gated_fields"]["Name"] == "text"
    assert meta["extra_gated_fields"]["Affiliation"] == "text"
    assert meta["extra_gated_fields"]["I will use this dataset for non-commercial research only"] == "checkbox"
    info = meta["dataset_info"]
    assert info["config_name"] == "text"
    assert info["features"][2] == {"name": "label", "dtype": {"class_label": {"names": {"0": "neg", "1": "pos"}}}}
    assert [(s["name"], s["num_examples"]) for s in info["splits"]] == [("train", 4), ("validation", 2), ("test", 2)]

    body = _card(out).text
    assert "## Terms of use" in body and "## Citation" in body and "@article{sentiv2026," in body
    assert "| `text` | 4 | 2 | 2 |" in body
    assert "Text **built** for tests." in body
    assert (out / "LICENSE.md").read_text(encoding="utf-8").startswith("# sentiv-research-only")


def test_configs_merge_into_one_card(tmp_path):
    out = tmp_path / "ds"
    wav, speech = _speech_split(tmp_path)
    write_config(out, "speech", speech, description="Speech section.")
    write_config(out, "text", _text_splits(), description="Text section, first build.")
    write_config(out, "multimodal", speech)
    # Rebuilding the text config (smaller now) keeps the other configs and their descriptions.
    write_config(out, "text", _text_splits(n_train=6, n_eval=1), description="Text section, rebuilt.")

    data = _card(out).data.to_dict()
    assert [c["config_name"] for c in data["configs"]] == ["text", "speech", "multimodal"]
    assert [c.get("default", False) for c in data["configs"]] == [True, False, False]
    assert data["configs"][1]["data_files"] == [{"split": "train", "path": "speech/train-*"}]
    infos = {i["config_name"]: i for i in data["dataset_info"]}
    assert [(s["name"], s["num_examples"]) for s in infos["text"]["splits"]] == [
        ("train", 6),
        ("validation", 1),
        ("test", 1),
    ]
    assert infos["speech"]["features"][1] == {
        "name": "audio",
        "dtype": {"audio": {"sampling_rate": 16000, "num_channels": 1}},
    }
    body = _card(out).text
    assert "Speech section." in body and "Text section, rebuilt." in body
    assert "first build" not in body
    assert body.count("## Terms of use") == 1
    assert data["extra_gated_fields"] == GATED_FIELDS


LOADER = r"""
import json, sys
import datasets
text = datasets.load_dataset(sys.argv[1], "text")
speech = datasets.load_dataset(sys.argv[1], "speech")
samples = speech["train"][0]["audio"].get_all_samples()
print(json.dumps({
    "text_sizes": {k: len(v) for k, v in text.items()},
    "text_label": text["train"].features["label"].names,
    "speech_label": speech["train"].features["label"].names,
    "audio_feature": type(speech["train"].features["audio"]).__name__,
    "sample_rate": samples.sample_rate,
    "shape": list(samples.data.shape),
}))
"""


def test_load_dataset_with_embedded_audio_without_sentiv_hf(tmp_path):
    out = tmp_path / "ds"
    wav, speech = _speech_split(tmp_path)
    write_config(out, "text", _text_splits())
    write_config(out, "speech", speech)
    wav.unlink()  # the shard must hold the audio bytes, not a path to them
    proc = run_python_without_sentiv_hf(LOADER, out, cwd=tmp_path, env={"HF_HOME": str(tmp_path / "hf")})
    result = last_json_line(proc)
    assert result == {
        "text_sizes": {"train": 4, "validation": 2, "test": 2},
        "text_label": ["neg", "pos"],
        "speech_label": ["a", "b"],
        "audio_feature": "Audio",
        "sample_rate": 16000,
        "shape": [1, 16000],
    }


def test_sharding_and_stale_shards(tmp_path):
    out = tmp_path / "ds"
    splits = _text_splits(n_train=7)
    written = write_config(out, "text", splits, max_rows_per_shard=3)
    assert [p.name for p in written["train"]] == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    import pyarrow.parquet as pq

    assert sum(pq.read_metadata(p).num_rows for p in written["train"]) == 7
    schema_meta = json.loads(pq.read_schema(written["train"][0]).metadata[b"huggingface"])
    assert schema_meta["info"]["features"]["label"] == {"names": ["neg", "pos"], "_type": "ClassLabel"}
    write_config(out, "text", splits)
    assert sorted(p.name for p in (out / "text").glob("train-*")) == ["train-00000-of-00001.parquet"]


def test_empty_split_is_left_out(tmp_path):
    out = tmp_path / "ds"
    splits = _text_splits()
    splits["test"] = splits["test"].select([])
    written = write_config(out, "text", splits)
    assert sorted(written) == ["train", "validation"]
    paths = [f["path"] for f in _card(out).data.to_dict()["configs"][0]["data_files"]]
    assert paths == ["text/train-*", "text/validation-*"]
    with pytest.raises(ValueError, match=r"got no rows in any split; nothing to write"):
        write_config(out, "speech", {"train": splits["test"]})


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"Invalid config name 'my config'"):
        write_config(tmp_path, "my config", _text_splits())
    mixed = _text_splits()
    mixed["test"] = mixed["test"].cast_column("label", Value("int64"))
    with pytest.raises(ValueError, match=r"split 'test' has features .* unlike the other splits"):
        write_config(tmp_path, "text", mixed)
    with pytest.raises(ValueError, match=r"needs data_files or split_infos"):
        update_dataset_card(tmp_path, "text")


class FakeHub:
    """Records the HfApi calls of a push; optionally fails at one of them."""

    def __init__(self, monkeypatch, fail_at=None, error=None):
        self.calls = []
        self.tokens = []
        for name in ("create_repo", "upload_folder", "update_repo_settings"):
            monkeypatch.setattr(HfApi, name, self._recorder(name, fail_at, error))
        original_init = HfApi.__init__

        def init(api, *args, **kwargs):
            self.tokens.append(kwargs.get("token"))
            original_init(api, *args, **kwargs)

        monkeypatch.setattr(HfApi, "__init__", init)

    def _recorder(self, name, fail_at, error):
        def method(api, *args, **kwargs):
            self.calls.append((name, args, kwargs))
            if name == fail_at:
                raise error
            return "https://huggingface.co/datasets/org/sentiv" if name == "create_repo" else None

        return method


@pytest.fixture
def folder(tmp_path):
    out = tmp_path / "ds"
    write_config(out, "text", _text_splits())
    (out / "text" / "rejected.csv").write_text("source,row,reason,raw\n", encoding="utf-8")
    return out


def test_push_calls(folder, monkeypatch, capsys):
    hub = FakeHub(monkeypatch)
    url = push_dataset_folder(folder, "org/sentiv", gated="manual", private=True, token=TOKEN)
    assert url == "https://huggingface.co/datasets/org/sentiv"
    assert hub.tokens == [TOKEN]
    assert [c[0] for c in hub.calls] == ["create_repo", "upload_folder", "update_repo_settings"]
    create, upload, settings = hub.calls
    assert create[1] == ("org/sentiv",)
    assert create[2] == {"repo_type": "dataset", "private": True, "exist_ok": True}
    assert upload[2]["repo_id"] == "org/sentiv"
    assert upload[2]["folder_path"] == str(folder)
    assert upload[2]["repo_type"] == "dataset"
    assert "**/rejected.csv" in upload[2]["ignore_patterns"]
    # Issue 9.7: the report of a failed build and the leftovers of an interrupted one are never uploaded.
    assert {"*.rejected.csv", ".sentiv-staging-*", ".sentiv-old-*"} <= set(upload[2]["ignore_patterns"])
    assert settings[1] == ("org/sentiv",)
    assert settings[2] == {"gated": "manual", "repo_type": "dataset"}
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err
    assert not any(TOKEN in p.read_text(errors="ignore") for p in folder.rglob("*") if p.is_file())


def test_push_without_gating_and_with_rejects(folder, monkeypatch):
    hub = FakeHub(monkeypatch)
    push_dataset_folder(folder, "org/sentiv", include_rejects=True)
    assert [c[0] for c in hub.calls] == ["create_repo", "upload_folder"]
    assert hub.calls[0][2]["private"] is False
    assert "**/rejected.csv" not in hub.calls[1][2]["ignore_patterns"]


@pytest.mark.parametrize(
    "error, message",
    [
        (
            ConnectionError(f"Failed to connect (Authorization: Bearer {TOKEN})"),
            r"^Cannot reach the Hugging Face Hub to push to dataset repo 'org/sentiv': check the network or "
            r"HF_ENDPOINT, and retry\.$",
        ),
        (TimeoutError("timed out"), r"^Cannot reach the Hugging Face Hub to push to dataset repo 'org/sentiv'"),
        (OfflineModeIsEnabled("offline"), r"^Cannot push to dataset repo 'org/sentiv': offline mode is on"),
        (
            HfHubHTTPError(
                f"403 Forbidden for token {TOKEN}",
                response=SimpleNamespace(status_code=403, headers={}, request=None),
            ),
            r"^The Hub refused the push to dataset repo 'org/sentiv' \(HTTP 403\): 403 Forbidden for token \*\*\*; "
            r".*lacks access; run `hf auth login`\.$",
        ),
    ],
)
def test_push_errors_are_clear_and_never_show_the_token(folder, monkeypatch, error, message):
    FakeHub(monkeypatch, fail_at="upload_folder", error=error)
    with pytest.raises(HubPushError, match=message) as info:
        push_dataset_folder(folder, "org/sentiv", token=TOKEN)
    assert TOKEN not in str(info.value)


def test_push_validates_arguments(folder, tmp_path):
    with pytest.raises(ValueError, match=r"gated must be None, 'auto' or 'manual', not 'yes'"):
        push_dataset_folder(folder, "org/sentiv", gated="yes")
    with pytest.raises(ValueError, match=r"Invalid repo id 'sentiv': expected ORG/NAME"):
        push_dataset_folder(folder, "sentiv")
    with pytest.raises(ValueError, match=r"is not a dataset folder \(no README.md\)"):
        push_dataset_folder(tmp_path / "empty", "org/sentiv")


def test_push_offline_for_real(folder, monkeypatch):
    # No mock: with HF_HUB_OFFLINE the real client refuses before any connection; the error must say so.
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(
        HubPushError, match=r"^Cannot push to dataset repo 'org/sentiv': offline mode is on \(HF_HUB_OFFLINE=1\)"
    ):
        push_dataset_folder(folder, "org/sentiv", token=TOKEN)
