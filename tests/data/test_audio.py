from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from transformers import Wav2Vec2FeatureExtractor, WhisperFeatureExtractor

from sentiv_hf.data.audio import AudioPreprocessor, crop_or_pad, decode_audio


def test_crop_eval_is_centred_and_deterministic() -> None:
    wave = np.arange(100, dtype=np.float32)
    out = crop_or_pad(wave, 40, train=False)
    assert out.shape == (40,) and out[0] == 30 and out[-1] == 69
    assert np.array_equal(out, crop_or_pad(wave, 40, train=False))


def test_crop_train_is_random_but_seeded() -> None:
    wave = np.arange(1000, dtype=np.float32)
    starts = {int(crop_or_pad(wave, 100, train=True, rng=np.random.default_rng(s))[0]) for s in range(20)}
    assert len(starts) > 5 and all(0 <= s <= 900 for s in starts)
    a = crop_or_pad(wave, 100, train=True, rng=7)
    b = crop_or_pad(wave, 100, train=True, rng=7)
    assert np.array_equal(a, b) and a.shape == (100,)
    assert np.array_equal(a, np.arange(a[0], a[0] + 100, dtype=np.float32))


def test_crop_short_pad_and_channels() -> None:
    wave = np.ones(30, dtype=np.float32)
    assert crop_or_pad(wave, 50, train=True, rng=0) is wave
    padded = crop_or_pad(wave, 50, train=False, pad_to_max=True)
    assert padded.shape == (50,) and padded[:30].sum() == 30 and padded[30:].sum() == 0
    stereo = np.zeros((2, 80), dtype=np.float32)
    assert crop_or_pad(stereo, 50, train=False).shape == (2, 50)
    assert crop_or_pad(stereo[:, :10], 50, train=False, pad_to_max=True).shape == (2, 50)
    with pytest.raises(ValueError, match="max_samples must be positive"):
        crop_or_pad(wave, 0, train=False)


def _batch(*items: tuple[np.ndarray, int], labels: list | None = None, key: str = "label") -> dict:
    batch: dict = {"audio": [{"array": a, "sampling_rate": sr} for a, sr in items]}
    if labels is not None:
        batch[key] = labels
    return batch


def test_wav2vec2_preprocessor_resamples_crops_and_masks() -> None:
    prep = AudioPreprocessor(Wav2Vec2FeatureExtractor(), max_seconds=2.0)
    long_stereo_8k = np.random.default_rng(0).standard_normal((2, 8000 * 5)).astype(np.float32)
    short_44k = np.random.default_rng(1).standard_normal(44100).astype(np.float32)
    out = prep(_batch((long_stereo_8k, 8000), (short_44k, 44100), labels=[3, 1]))
    assert set(out) == {"input_values", "attention_mask", "labels"}
    assert out["input_values"].shape == (2, 32000)
    assert out["attention_mask"].sum(axis=1).tolist() == [32000, 16000]
    assert out["labels"].tolist() == [3, 1] and out["labels"].dtype == np.int64
    # Evaluation crops are deterministic: the same batch twice gives the same features.
    again = prep(_batch((long_stereo_8k, 8000), (short_44k, 44100), labels=[3, 1]))
    assert np.array_equal(out["input_values"], again["input_values"])


def test_train_crops_vary_between_calls_but_follow_the_seed() -> None:
    wave = np.random.default_rng(0).standard_normal(16000 * 6).astype(np.float32)
    first = AudioPreprocessor(Wav2Vec2FeatureExtractor(do_normalize=False), max_seconds=1.0, train=True, seed=5)
    second = AudioPreprocessor(Wav2Vec2FeatureExtractor(do_normalize=False), max_seconds=1.0, train=True, seed=5)
    a1, a2 = first(_batch((wave, 16000)))["input_values"], first(_batch((wave, 16000)))["input_values"]
    b1 = second(_batch((wave, 16000)))["input_values"]
    assert a1.shape == (1, 16000)
    assert not np.array_equal(a1, a2)
    assert np.array_equal(a1, b1)


def test_whisper_preprocessor() -> None:
    fe = WhisperFeatureExtractor(feature_size=80)
    prep = AudioPreprocessor(fe, max_seconds=8.0)
    wave = np.random.default_rng(0).standard_normal(16000 * 10).astype(np.float32)
    out = prep(_batch((wave, 16000), (wave[:16000], 16000), labels=[0, 5]))
    assert out["input_features"].shape == (2, 80, 3000)
    # 8 s and 1 s at a 10 ms hop: the mask marks the real frames of each clip.
    assert out["attention_mask"].sum(axis=1).tolist() == [800, 100]
    assert out["labels"].tolist() == [0, 5]


def test_multilabel_and_single_row() -> None:
    prep = AudioPreprocessor(Wav2Vec2FeatureExtractor(), max_seconds=1.0, num_labels=4)
    wave = np.zeros(8000, dtype=np.float32)
    out = prep(_batch((wave, 16000), (wave, 16000), labels=[[0, 3], []], key="labels"))
    assert out["labels"].tolist() == [[1, 0, 0, 1], [0, 0, 0, 0]] and out["labels"].dtype == np.float32
    single = prep({"audio": {"array": wave, "sampling_rate": 16000}, "labels": [2]})
    assert single["input_values"].shape == (8000,) and single["labels"].tolist() == [0, 0, 1, 0]
    binary = AudioPreprocessor(Wav2Vec2FeatureExtractor(), max_seconds=1.0, label_column="binary_label")
    out = binary({"audio": [{"array": wave, "sampling_rate": 16000}], "labels": [[1]], "binary_label": [1]})
    assert out["labels"].tolist() == [1]
    with pytest.raises(ValueError, match="multi-label; pass num_labels"):
        AudioPreprocessor(Wav2Vec2FeatureExtractor())(_batch((wave, 16000), labels=[[1]], key="labels"))


def test_decoders_and_dataset_transform(tmp_path: Path) -> None:
    from datasets import Audio, ClassLabel, Dataset, Features, Value

    path = tmp_path / "stereo.wav"
    sf.write(path, np.random.default_rng(0).standard_normal((8000 * 3, 2)).astype(np.float32) * 0.1, 8000)
    wave, rate = decode_audio({"bytes": path.read_bytes(), "path": None})
    assert wave.shape == (2, 24000) and rate == 8000
    wave, rate = decode_audio({"path": str(path), "bytes": None})
    assert wave.shape == (2, 24000)
    with pytest.raises(TypeError, match="Cannot read audio from a int"):
        decode_audio(3)

    features = Features({"audio": Audio(sampling_rate=16000, num_channels=1), "label": ClassLabel(names=["a", "b"])})
    ds = Dataset.from_dict({"audio": [str(path), str(path)], "label": [0, 1]}, features=features)
    ds.set_transform(AudioPreprocessor(Wav2Vec2FeatureExtractor(), max_seconds=2.0))
    batch = ds[:2]
    assert batch["input_values"].shape == (2, 32000) and batch["labels"].tolist() == [0, 1]
    row = ds[0]
    assert row["input_values"].shape == (32000,) and int(row["labels"]) == 0
    # Undecoded audio (Audio(decode=False)) goes through the same path.
    raw = Dataset.from_dict({"audio": [str(path)]}).cast_column("audio", Audio(decode=False))
    raw = raw.add_column("id", ["x"]).cast_column("id", Value("string"))
    out = AudioPreprocessor(Wav2Vec2FeatureExtractor(), max_seconds=1.0)(raw[:1])
    assert out["input_values"].shape == (1, 16000) and "labels" not in out


class _Crops:
    """Four identical 5 s ramps; each item is the start sample of the random 1 s crop the preprocessor took."""

    def __init__(self) -> None:
        fe = Wav2Vec2FeatureExtractor(do_normalize=False)
        self.prep = AudioPreprocessor(fe, max_seconds=1.0, train=True, seed=3)
        self.wave = np.arange(16000 * 5, dtype=np.float32)

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> int:
        return int(self.prep({"audio": {"array": self.wave, "sampling_rate": 16000}})["input_values"][0])


def test_dataloader_workers_draw_different_reproducible_crops() -> None:
    import torch

    def starts() -> list[int]:
        loader = torch.utils.data.DataLoader(
            _Crops(), batch_size=None, num_workers=2, generator=torch.Generator().manual_seed(0)
        )
        return [int(x) for x in loader]

    first = starts()
    assert first == starts()
    assert first[0] != first[1]  # items 0 and 1 are the first crops of worker 0 and worker 1
