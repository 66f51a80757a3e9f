from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile as sf
import torch
from transformers import pipeline

from sentiv_hf.labels import SPEECH_LABELS
from sentiv_hf.models import SentiVEmotionPipeline, SentiVFusionConfig, SentiVFusionModel
from sentiv_hf.models.audio_input import AudioInputError, min_audio_samples, open_audio_decoder, prepare_waveform
from sentiv_hf.models.pipelines import TextInputError, check_text
from sentiv_hf.models.tiny import tiny_speech_feature_extractor, tiny_speech_model

from .conftest import make_wave


def test_audio_classification_pipeline_on_path_and_array(speech_dir, wav_file, speech_model, feature_extractor):
    classifier = pipeline("audio-classification", model=str(speech_dir), device="cpu")
    from_file = classifier(str(wav_file), top_k=None)
    assert len(from_file) == 6 and {r["label"] for r in from_file} == set(SPEECH_LABELS)
    assert sum(r["score"] for r in from_file) == pytest.approx(1.0, abs=1e-5)
    wave = make_wave(1.0)
    from_array = classifier(wave, top_k=2)
    assert len(from_array) == 2
    with torch.no_grad():
        expected = speech_model(**feature_extractor(wave, sampling_rate=16000, return_tensors="pt")).logits.softmax(-1)
    best = int(expected.argmax())
    assert from_array[0]["label"] == SPEECH_LABELS[best]
    assert from_array[0]["score"] == pytest.approx(float(expected[0, best]), abs=1e-5)
    # the file holds the same samples (written as float), so both routes agree
    assert from_file[0]["label"] == from_array[0]["label"]


def test_auto_feature_extractor_and_auto_model_from_the_saved_folder(speech_dir, speech_model):
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    extractor = AutoFeatureExtractor.from_pretrained(speech_dir)
    model = AutoModelForAudioClassification.from_pretrained(speech_dir).eval()
    assert extractor.sampling_rate == 16000 and type(model) is type(speech_model)
    clips = [make_wave(0.5), make_wave(0.5, seed=1)]
    with torch.no_grad():
        batch = model(**extractor(clips, sampling_rate=16000, return_tensors="pt")).logits
        single = model(**extractor(clips[1], sampling_rate=16000, return_tensors="pt")).logits
    assert batch.shape == (2, 6)
    torch.testing.assert_close(batch[1], single[0])


def test_audio_classification_pipeline_whisper_and_binary(tmp_path):
    model = tiny_speech_model(
        num_labels=2, encoder="whisper", head="binary", id2label={0: "non-negative", 1: "negative"}
    )
    model.save_pretrained(tmp_path)
    tiny_speech_feature_extractor("whisper").save_pretrained(tmp_path)
    result = pipeline("audio-classification", model=str(tmp_path), device="cpu")(make_wave(0.5), top_k=None)
    assert {r["label"] for r in result} == {"non-negative", "negative"}
    assert sum(r["score"] for r in result) == pytest.approx(1.0, abs=1e-5)


def test_emotion_pipeline_single_batch_and_missing(fusion_dir, wav_file, speech_model, feature_extractor):
    emotion = pipeline("sentiv-emotion", model=str(fusion_dir), device="cpu")
    assert isinstance(emotion, SentiVEmotionPipeline)
    result = emotion({"text": "Hôm nay tôi rất vui", "audio": str(wav_file)})
    assert result["label"] in SPEECH_LABELS
    assert set(result["scores"]) == set(SPEECH_LABELS)
    assert sum(result["scores"].values()) == pytest.approx(1.0, abs=1e-5)
    assert result["modalities"] == ["text", "speech"]
    assert 0 < result["confidence"]["text"] <= 1 and 0 < result["confidence"]["speech"] <= 1
    assert sum(result["fusion_weights"].values()) == pytest.approx(1.0)

    batch = emotion(
        [
            {"text": "Tôi buồn quá", "audio": make_wave(0.5)},
            {"text": "Tôi sợ hãi"},
            {"audio": {"array": make_wave(0.7), "sampling_rate": 16000}},
        ]
    )
    assert [r["modalities"] for r in batch] == [["text", "speech"], ["text"], ["speech"]]
    assert batch[1]["confidence"]["speech"] is None and batch[2]["confidence"]["text"] is None
    assert batch[1]["fusion_weights"] == {"text": 1.0, "speech": 0.0}
    # audio alone gives the speech model's own prediction (temperature 1)
    with torch.no_grad():
        features = feature_extractor(make_wave(0.7), sampling_rate=16000, return_tensors="pt")
        expected = speech_model(**features).logits.softmax(-1)[0]
    assert [batch[2]["scores"][name] for name in SPEECH_LABELS] == pytest.approx(expected.tolist(), abs=1e-5)


def _count_calls(module, seen: list[int]):
    return module.register_forward_hook(
        lambda mod, args, kwargs, out: seen.append(out.logits.shape[0]), with_kwargs=True
    )


def test_emotion_pipeline_list_runs_as_real_batches(fusion_dir, speech_model, feature_extractor):
    emotion = pipeline("sentiv-emotion", model=str(fusion_dir), device="cpu")
    inputs = [
        {"text": "Tôi sợ hãi"},
        {"audio": make_wave(0.5, seed=1)},
        {"text": "Hôm nay tôi rất vui", "audio": make_wave(0.5, seed=2)},
    ]
    singles = [emotion(item) for item in inputs]
    text_calls, speech_calls = [], []
    hooks = [
        _count_calls(emotion.model.text_model, text_calls),
        _count_calls(emotion.model.speech_model, speech_calls),
    ]
    batch = emotion(inputs, batch_size=3)
    for hook in hooks:
        hook.remove()
    # one pass of each sub-model over the two rows that have its modality
    assert text_calls == [2] and speech_calls == [2]
    assert len(batch) == 3
    assert [r["modalities"] for r in batch] == [["text"], ["speech"], ["text", "speech"]]
    assert batch[0]["confidence"]["speech"] is None and batch[1]["confidence"]["text"] is None
    assert batch[0]["fusion_weights"] == {"text": 1.0, "speech": 0.0}
    assert batch[1]["fusion_weights"] == {"text": 0.0, "speech": 1.0}
    assert sum(batch[2]["fusion_weights"].values()) == pytest.approx(1.0)
    # same-length clips need no padding, so every row equals its batch_size=1 result, in input order
    for got, want in zip(batch, singles):
        assert got["label"] == want["label"] and got["modalities"] == want["modalities"]
        assert [got["scores"][n] for n in SPEECH_LABELS] == pytest.approx([want["scores"][n] for n in SPEECH_LABELS])
    with torch.no_grad():
        expected = speech_model(**feature_extractor(make_wave(0.5, seed=1), sampling_rate=16000, return_tensors="pt"))
    assert [batch[1]["scores"][n] for n in SPEECH_LABELS] == pytest.approx(expected.logits.softmax(-1)[0].tolist())

    # clips of different lengths are zero-padded with an attention mask; batches of 2 leave a last batch of 1
    uneven = [
        {"audio": make_wave(0.3, seed=3), "text": "vui"},
        {"audio": make_wave(0.9, seed=4)},
        {"text": "Anh ấy tức giận vì bị lừa dối"},
    ]
    results = emotion(uneven, batch_size=2)
    assert [r["modalities"] for r in results] == [["text", "speech"], ["speech"], ["text"]]
    for result, item in zip(results, uneven):
        assert result["scores"] == pytest.approx(emotion(item)["scores"], abs=1e-4)


def test_emotion_pipeline_concat_mlp_batch(tmp_path, tokenizer, text_model, speech_model, feature_extractor):
    config = SentiVFusionConfig(text_config=text_model.config, speech_config=speech_model.config, fusion="concat_mlp")
    model = SentiVFusionModel(config)
    model.text_model.load_state_dict(text_model.state_dict())
    model.speech_model.load_state_dict(speech_model.state_dict())
    emotion = pipeline(
        "sentiv-emotion", model=model, tokenizer=tokenizer, feature_extractor=feature_extractor, device="cpu"
    )
    results = emotion([{"text": "vui", "audio": make_wave(0.5)}, {"text": "buồn"}], batch_size=2)
    # concat_mlp has no fusion weights when both modalities are there
    assert results[0]["fusion_weights"] is None and results[0]["modalities"] == ["text", "speech"]
    assert results[1]["fusion_weights"] == {"text": 1.0, "speech": 0.0}


def test_emotion_pipeline_head_only_model_is_refused_for_raw_inputs(tmp_path):
    SentiVFusionModel(SentiVFusionConfig(fusion="concat_mlp")).save_pretrained(tmp_path)
    emotion = pipeline("sentiv-emotion", model=str(tmp_path), device="cpu")
    with pytest.raises(ValueError, match="no tokenizer"):
        emotion({"text": "vui"})


def test_emotion_pipeline_bad_inputs(fusion_dir):
    emotion = pipeline("sentiv-emotion", model=str(fusion_dir), device="cpu")
    with pytest.raises(ValueError, match=r"expects a dict with 'text' and/or 'audio'"):
        emotion({"transcript": "vui"})
    with pytest.raises(ValueError, match=r"input 0: unknown input keys \['speaker'\]"):
        emotion({"text": "vui", "speaker": "a"})
    with pytest.raises(AudioInputError, match="stereo"):
        emotion({"audio": make_wave(0.5, channels=2).T})


def test_prepare_waveform_checks(tmp_path, caplog):
    with pytest.raises(AudioInputError, match="sampled at 8000 Hz but the model expects 16000 Hz"):
        prepare_waveform({"array": make_wave(0.5, 8000), "sampling_rate": 8000})
    with pytest.raises(AudioInputError, match="empty"):
        prepare_waveform(np.zeros(0, dtype=np.float32))
    with pytest.raises(AudioInputError, match=r"shape \(2, 8000\) \(stereo or batched\).*mean\(axis=0\)"):
        prepare_waveform(make_wave(0.5, channels=2).T)
    with pytest.raises(AudioInputError, match=r"shape \(8000, 2\) \(stereo or batched\).*mean\(axis=1\)"):
        prepare_waveform(make_wave(0.5, channels=2))
    with pytest.raises(AudioInputError, match="NaN"):
        prepare_waveform(np.array([0.0, np.nan], dtype=np.float32))
    with pytest.raises(AudioInputError, match="not found"):
        prepare_waveform(tmp_path / "missing.wav")
    with pytest.raises(AudioInputError, match=r"needs 'array' \(or 'raw'\) and 'sampling_rate'"):
        prepare_waveform({"array": make_wave(0.1)})
    long = make_wave(3.0)
    with caplog.at_level(logging.WARNING, logger="sentiv_hf.models.audio_input"):
        cropped = prepare_waveform(long, max_duration_s=2.0, source="row 7")
    assert cropped.shape == (32000,)
    np.testing.assert_array_equal(cropped, long[8000:40000])  # centre crop
    assert "row 7: 3.00 s is longer than max_duration_s=2.00 s" in caplog.text


def test_prepare_waveform_decodes_stereo_file_at_other_rate(tmp_path):
    # a stereo 8 kHz file is downmixed and resampled while decoding: files are the documented way in
    path = tmp_path / "stereo8k.wav"
    sf.write(path, make_wave(0.5, sampling_rate=8000, channels=2), 8000)
    wave = prepare_waveform(path, sampling_rate=16000)
    assert wave.ndim == 1 and abs(wave.shape[0] - 8000) <= 16 and wave.dtype == np.float32


def test_open_audio_decoder_streams_and_names_bad_files(tmp_path):
    path = tmp_path / "stereo8k.wav"
    sf.write(path, make_wave(2.0, sampling_rate=8000, channels=2), 8000)
    decoder = open_audio_decoder(path, 16000)
    window = decoder.get_samples_played_in_range(0.5, 1.5).data.numpy()
    assert window.shape[0] == 1 and abs(window.shape[1] - 16000) <= 16  # mono, resampled, one second
    missing, empty, junk = tmp_path / "missing.wav", tmp_path / "empty.wav", tmp_path / "junk.wav"
    empty.write_bytes(b"")
    junk.write_bytes(b"this is not audio at all" * 50)
    with pytest.raises(AudioInputError, match=f"^Audio file not found: {missing}.$"):
        open_audio_decoder(missing, 16000)
    with pytest.raises(AudioInputError, match=r"zero-length audio: the file is empty \(0 bytes\)\. Pass a non-empty"):
        open_audio_decoder(empty, 16000)
    with pytest.raises(AudioInputError, match=str(junk)):
        open_audio_decoder(junk, 16000)
    # prepare_waveform reports the same files in the same words
    for bad in (missing, empty, junk):
        with pytest.raises(AudioInputError) as decoded:
            prepare_waveform(bad)
        with pytest.raises(AudioInputError) as opened:
            open_audio_decoder(bad, 16000)
        assert str(decoded.value) == str(opened.value)


def test_feature_extractor_rejects_wrong_sampling_rate(feature_extractor):
    with pytest.raises(ValueError, match="16000"):
        feature_extractor(make_wave(0.5, 8000), sampling_rate=8000)


# ------------------------------------------------------------------------------------------- issue 9 hardening
BAD_TEXTS = [
    ("", r"input 1: the text is blank \(''"),
    ("   ", r"input 1: the text is blank \('   '"),
    ("\u200b", r"input 1: the text is blank \('\\u200b'"),
    (123, r"input 1: 'text' must be a string, got int 123; pass the text as a str"),
    (float("nan"), r"input 1: 'text' must be a string, got float nan"),
    (["a", "b"], r"input 1: 'text' must be a string, got list \['a', 'b'\]; pass one text per input"),
]


@pytest.mark.parametrize(("text", "message"), BAD_TEXTS, ids=["empty", "spaces", "zero-width", "int", "nan", "list"])
def test_emotion_pipeline_refuses_bad_texts_before_any_work(fusion_dir, text, message):
    """Issue 9.15: blank and non-string texts are a ValueError naming the input, raised before any forward pass."""
    emotion = pipeline("sentiv-emotion", model=str(fusion_dir), device="cpu")
    calls: list[int] = []
    hook = _count_calls(emotion.model.text_model, calls)
    with pytest.raises(TextInputError, match=message):
        emotion([{"text": "Tôi rất vui"}, {"text": text}], batch_size=2)
    with pytest.raises(TextInputError, match=message.replace("input 1", "input 0")):
        emotion({"text": text})
    hook.remove()
    assert calls == []
    # a list of string texts is a batch, and stays valid
    assert [r["modalities"] for r in emotion([{"text": "vui"}, {"text": "buồn"}])] == [["text"], ["text"]]


def test_check_text_accepts_real_texts():
    """Issue 9.15: what check_text lets through: any text with a visible character, unchanged."""
    for text in ("Tôi rất vui", " a ", "a\u200bb", "😡"):
        assert check_text(text) == text
    with pytest.raises(TextInputError, match=r"text 2 of 3: the text is blank \('\\t\\n\\xa0\\ufeff'"):
        check_text("\t\n\u00a0\ufeff", "text 2 of 3")


def test_min_audio_samples_is_one_frame_of_the_conv_stack():
    """Issue 9.14: the shortest clip is derived from the encoder's conv kernels and strides."""
    from transformers import HubertConfig, Wav2Vec2Config

    assert min_audio_samples(HubertConfig()) == 400  # 25 ms at 16 kHz
    assert min_audio_samples(Wav2Vec2Config()) == 400
    # 8 samples -> (8 - 4) // 2 + 1 = 3 frames -> (3 - 3) // 2 + 1 = 1 frame; 7 samples -> 2 frames -> none
    assert min_audio_samples(Wav2Vec2Config(conv_dim=(8, 8), conv_kernel=(4, 3), conv_stride=(2, 2))) == 8
    whisper = tiny_speech_model(num_labels=2, encoder="whisper", head="binary", id2label={0: "a", 1: "b"})
    assert min_audio_samples(whisper.config) == 1  # the Whisper extractor pads to 30 s
    tiny = tiny_speech_model(num_labels=6, encoder="hubert").eval()
    shortest = min_audio_samples(tiny.config)
    with torch.no_grad():
        assert tiny(input_values=torch.zeros(1, shortest)).logits.shape == (1, 6)
        with pytest.raises(RuntimeError):  # what a shorter clip did before the check
            tiny(input_values=torch.zeros(1, shortest - 1))


def test_emotion_pipeline_refuses_nan_and_too_short_audio(fusion_dir, tmp_path):
    """Issue 9.14: NaN samples and clips shorter than one encoder frame are one-line errors naming the input."""
    emotion = pipeline("sentiv-emotion", model=str(fusion_dir), device="cpu")
    shortest = min_audio_samples(emotion.model.config.speech_config)
    nan_wave = make_wave(0.5)
    nan_wave[100:200] = np.nan
    with pytest.raises(AudioInputError, match=r"input 1: the waveform contains NaN or infinite values \(100 of 8000"):
        emotion([{"audio": make_wave(0.5)}, {"audio": nan_wave}])
    for samples in (1, 100, shortest - 1):
        message = rf"input 0: the clip is too short: {samples} samples .* needs at least {shortest} "
        with pytest.raises(AudioInputError, match=message):
            emotion({"audio": make_wave(1.0)[:samples]})
        path = tmp_path / f"short{samples}.wav"
        sf.write(path, make_wave(1.0)[:samples], 16000)
        with pytest.raises(AudioInputError, match=rf"{path}: the clip is too short: {samples} samples"):
            emotion({"audio": str(path)})
    nan_file = tmp_path / "nan.wav"
    sf.write(nan_file, nan_wave, 16000, subtype="FLOAT")  # a float WAV keeps the NaNs
    with pytest.raises(AudioInputError, match=rf"{nan_file}: the waveform contains NaN"):
        emotion({"audio": str(nan_file), "text": "vui"})
    assert emotion({"audio": make_wave(1.0)[:shortest]})["modalities"] == ["speech"]


def test_emotion_pipeline_names_the_pipeline_for_speech_and_text_checkpoints(
    speech_dir, tmp_path, tokenizer, text_model
):
    """Issue 9 (known from the last stop): a speech or text checkpoint gets a one-line pointer, not transformers'
    list of every config class."""
    with pytest.raises(
        ValueError,
        match=r"needs a SentiV fusion checkpoint .* is a 'sentiv-speech' model\. Use "
        r"pipeline\('audio-classification'",
    ) as error:
        pipeline("sentiv-emotion", model=str(speech_dir), device="cpu")
    assert "\n" not in str(error.value)
    text_model.save_pretrained(tmp_path / "text")
    tokenizer.save_pretrained(tmp_path / "text")
    with pytest.raises(ValueError, match=r"is a 'roberta' model\. .*pipeline\('text-classification'"):
        pipeline("sentiv-emotion", model=str(tmp_path / "text"), device="cpu")
