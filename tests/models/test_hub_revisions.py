"""A pinned revision reaches every ``from_pretrained`` (issue 8): the encoder inside `from_encoder_pretrained`, the
speech and text builders of ``sentiv train``, their feature extractor and tokenizer.

Offline: a Hub-shaped cache (``models--org--name/{refs/main, snapshots/<commit>/}``) holds two snapshots of the same
repo with different weights; ``main`` points to one, the other is only reachable by its commit hash.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import huggingface_hub.constants
import pytest
import torch
from transformers import HubertModel

from sentiv_hf.labels import SPEECH_LABELS
from sentiv_hf.models import SentiVSpeechForAudioClassification
from sentiv_hf.models.text import load_text_model_and_tokenizer
from sentiv_hf.models.tiny import tiny_encoder_config, tiny_speech_feature_extractor, tiny_text_model
from sentiv_hf.training.model_factory import build_speech_model, build_text_model

MAIN = "a" * 40
PINNED = "b" * 40


def write_snapshots(cache: Path, repo_id: str, save) -> None:
    """``save(folder, commit)`` writes one snapshot per commit; ``refs/main`` points to `MAIN`."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    for commit in (MAIN, PINNED):
        save(repo / "snapshots" / commit, commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(MAIN)


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return cache


def encoder_weights(commit: str) -> HubertModel:
    torch.manual_seed(0 if commit == MAIN else 1)
    return HubertModel(tiny_encoder_config("hubert"))


@pytest.fixture
def speech_repo(hub_cache) -> str:
    def save(folder: Path, commit: str) -> None:
        encoder_weights(commit).save_pretrained(folder)
        extractor = tiny_speech_feature_extractor("hubert")
        extractor.padding_value = 0.0 if commit == MAIN else 0.5  # tells the two snapshots' extractors apart
        extractor.save_pretrained(folder)

    write_snapshots(hub_cache, "org/tiny-hubert", save)
    return "org/tiny-hubert"


def assert_encoder_is(model: SentiVSpeechForAudioClassification, commit: str) -> None:
    for name, param in encoder_weights(commit).state_dict().items():
        torch.testing.assert_close(model.encoder.state_dict()[name], param, msg=f"{name} is not from {commit[:1]}")


@pytest.mark.parametrize("revision", [None, "main", PINNED])
def test_from_encoder_pretrained_loads_the_pinned_encoder(speech_repo, revision):
    model = SentiVSpeechForAudioClassification.from_encoder_pretrained(
        speech_repo, id2label=dict(enumerate(SPEECH_LABELS)), revision=revision
    )
    assert_encoder_is(model, PINNED if revision == PINNED else MAIN)


def test_from_encoder_pretrained_passes_cache_dir(speech_repo, hub_cache, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub_cache.parent / "elsewhere"))
    model = SentiVSpeechForAudioClassification.from_encoder_pretrained(
        speech_repo, revision=PINNED, cache_dir=str(hub_cache)
    )
    assert_encoder_is(model, PINNED)


def test_build_speech_model_pins_encoder_and_feature_extractor(speech_repo):
    model_args = SimpleNamespace(model=speech_repo, encoder="hubert", pooling=None)
    model, extractor = build_speech_model(model_args, list(SPEECH_LABELS), False, seed=0, revision=PINNED)
    assert_encoder_is(model, PINNED)
    assert extractor.padding_value == 0.5
    model, extractor = build_speech_model(model_args, list(SPEECH_LABELS), False, seed=0)
    assert_encoder_is(model, MAIN)
    assert extractor.padding_value == 0.0
    # The revision can also come with the model arguments (as the benchmark's model kinds pass it).
    pinned_args = SimpleNamespace(model=speech_repo, encoder="hubert", pooling=None, revision=PINNED)
    model, extractor = build_speech_model(pinned_args, list(SPEECH_LABELS), False, seed=0)
    assert_encoder_is(model, PINNED)
    assert extractor.padding_value == 0.5


def test_build_speech_model_pins_a_sentiv_speech_checkpoint(hub_cache):
    from sentiv_hf.models.tiny import tiny_speech_model

    def save(folder: Path, commit: str) -> None:
        tiny_speech_model(seed=0 if commit == MAIN else 1).save_pretrained(folder)
        tiny_speech_feature_extractor("hubert").save_pretrained(folder)

    write_snapshots(hub_cache, "org/sentiv-speech", save)
    model_args = SimpleNamespace(model="org/sentiv-speech", encoder="hubert", pooling=None)
    model, _ = build_speech_model(model_args, list(SPEECH_LABELS), False, seed=0, revision=PINNED)
    expected = tiny_speech_model(seed=1).state_dict()
    for name, param in model.encoder.state_dict().items():
        torch.testing.assert_close(param, expected[f"encoder.{name}"])


@pytest.fixture
def text_repo(hub_cache, tmp_path):
    from sentiv_hf.models.tiny import train_tiny_tokenizer

    tokenizers = {
        MAIN: train_tiny_tokenizer(["tôi rất vui", "tôi buồn quá"]),
        PINNED: train_tiny_tokenizer(["tức giận thật", "hôm nay trời đẹp", "sợ quá"]),
    }

    def save(folder: Path, commit: str) -> None:
        model = tiny_text_model(tokenizers[commit], seed=0 if commit == MAIN else 1)
        model.save_pretrained(folder)
        tokenizers[commit].save_pretrained(folder)

    write_snapshots(hub_cache, "org/tiny-text", save)
    return "org/tiny-text", tokenizers


def test_text_model_and_tokenizer_follow_the_revision(text_repo):
    repo_id, tokenizers = text_repo
    for revision, commit in ((PINNED, PINNED), (None, MAIN)):
        model, tokenizer = load_text_model_and_tokenizer(repo_id, revision=revision)
        assert tokenizer.get_vocab() == tokenizers[commit].get_vocab()
        expected = tiny_text_model(tokenizers[commit], seed=0 if commit == MAIN else 1).state_dict()
        for name, param in model.state_dict().items():
            torch.testing.assert_close(param, expected[name])
    model, tokenizer = build_text_model(
        repo_id,
        ["a", "b"],
        train_split=None,
        text_column="text",
        segmenter=None,
        max_length=32,
        seed=0,
        revision=PINNED,
    )
    assert tokenizer.get_vocab() == tokenizers[PINNED].get_vocab()
    assert model.config.text_max_length == 32
