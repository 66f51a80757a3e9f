"""Fixtures of the model tests: a tokenizer trained on a few Vietnamese sentences, tiny models, and WAV files."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from sentiv_hf.models import SentiVFusionConfig, SentiVFusionModel
from sentiv_hf.models.text import segment_texts
from sentiv_hf.models.tiny import (
    tiny_speech_feature_extractor,
    tiny_speech_model,
    tiny_text_model,
    train_tiny_tokenizer,
)

SENTENCES = [
    "Hôm nay tôi rất vui vì được gặp bạn bè",
    "Tôi thấy buồn và cô đơn quá",
    "Sinh viên đang học bài ở thư viện",
    "Anh ấy tức giận vì bị lừa dối",
    "Thật kinh tởm khi thấy cảnh đó",
    "Tôi sợ hãi khi đi một mình vào ban đêm",
    "Ôi bất ngờ quá, không ngờ lại gặp em ở đây",
]


@pytest.fixture(scope="session")
def tokenizer():
    return train_tiny_tokenizer(segment_texts(SENTENCES, "pyvi"), vocab_size=200)


@pytest.fixture(scope="session")
def text_model(tokenizer):
    return tiny_text_model(tokenizer)


@pytest.fixture
def speech_model():
    return tiny_speech_model(num_labels=6, encoder="hubert")


@pytest.fixture(scope="session")
def feature_extractor():
    return tiny_speech_feature_extractor("hubert")


def make_wave(seconds: float, sampling_rate: int = 16000, seed: int = 0, channels: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * sampling_rate)
    t = np.arange(n) / sampling_rate
    wave = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(n)).astype(np.float32)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


@pytest.fixture
def speech_dir(tmp_path, speech_model, feature_extractor):
    """A saved tiny speech classifier with its feature extractor."""
    speech_model.save_pretrained(tmp_path / "speech")
    feature_extractor.save_pretrained(tmp_path / "speech")
    return tmp_path / "speech"


@pytest.fixture
def fusion_dir(tmp_path, tokenizer, text_model, speech_model, feature_extractor):
    """A saved tiny fusion model (the text and speech fixtures inside) with its tokenizer and feature extractor."""
    config = SentiVFusionConfig(text_config=text_model.config, speech_config=speech_model.config)
    model = SentiVFusionModel(config)
    model.text_model.load_state_dict(text_model.state_dict())
    model.speech_model.load_state_dict(speech_model.state_dict())
    out = tmp_path / "fusion"
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    feature_extractor.save_pretrained(out)
    return out


@pytest.fixture
def wav_file(tmp_path):
    """A 1 s mono 16 kHz WAV file."""
    path = tmp_path / "clip.wav"
    sf.write(path, make_wave(1.0), 16000)
    return path
