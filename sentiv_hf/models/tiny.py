"""Tiny models built in code (hidden size 32, 2 layers), for offline tests, the demo and speed benchmarks.

Nothing here touches the network: encoders are randomly initialised from small configs, and the text tokenizer is
trained locally with the `tokenizers` library.

Example:
    >>> model = tiny_speech_model(num_labels=6, encoder="wavlm", pooling="attentive")
    >>> fe = tiny_speech_feature_extractor("wavlm")
    >>> batch = fe([np.zeros(16000, dtype=np.float32)], sampling_rate=16000, return_tensors="pt")
    >>> model(**batch).logits.shape
    torch.Size([1, 6])
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (
    AutoModelForSequenceClassification,
    HubertConfig,
    PreTrainedConfig,
    PreTrainedTokenizerFast,
    RobertaConfig,
    Wav2Vec2Config,
    Wav2Vec2FeatureExtractor,
    WavLMConfig,
    WhisperConfig,
    WhisperFeatureExtractor,
)

from ..labels import SPEECH_LABELS, TEXT_LABELS
from .configuration_sentiv_speech import SPEECH_ENCODER_TYPES, SentiVSpeechConfig
from .modeling_sentiv_speech import SentiVSpeechForAudioClassification
from .text import TEXT_MAX_LENGTH

logger = logging.getLogger(__name__)

TINY_HIDDEN_SIZE = 32
TINY_LAYERS = 2
#: Whisper pads every clip to its chunk; 2 s keeps the tiny encoder at 100 frames.
TINY_WHISPER_CHUNK_S = 2
TINY_MEL_BINS = 16
#: Conv front end with the usual total stride of 320 samples (50 frames per second at 16 kHz).
_TINY_CONV = {"conv_dim": (16, 16, 16), "conv_stride": (5, 8, 8), "conv_kernel": (10, 8, 8)}
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")  # RoBERTa/PhoBERT ids 0..4


def tiny_encoder_config(encoder: str = "hubert") -> PreTrainedConfig:
    """Config of a tiny audio encoder: ``hubert``, ``wav2vec2``, ``wavlm`` or ``whisper``.

    Example:
        >>> tiny_encoder_config("whisper").d_model
        32
    """
    common = {
        "hidden_size": TINY_HIDDEN_SIZE,
        "num_hidden_layers": TINY_LAYERS,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "num_conv_pos_embeddings": 16,
        "num_conv_pos_embedding_groups": 2,
        "layerdrop": 0.0,
        "mask_time_prob": 0.0,
        **_TINY_CONV,
    }
    if encoder == "hubert":
        return HubertConfig(**common)
    if encoder == "wav2vec2":
        return Wav2Vec2Config(**common, vocab_size=32)
    if encoder == "wavlm":
        return WavLMConfig(**common, num_buckets=16, max_bucket_distance=32, vocab_size=32)
    if encoder == "whisper":
        return WhisperConfig(
            d_model=TINY_HIDDEN_SIZE,
            encoder_layers=TINY_LAYERS,
            encoder_attention_heads=2,
            encoder_ffn_dim=64,
            decoder_layers=1,
            decoder_attention_heads=2,
            decoder_ffn_dim=64,
            num_mel_bins=TINY_MEL_BINS,
            max_source_positions=TINY_WHISPER_CHUNK_S * 50,
            max_target_positions=32,
            vocab_size=64,
            pad_token_id=1,
            bos_token_id=2,
            eos_token_id=3,
            decoder_start_token_id=2,
            suppress_tokens=None,
            begin_suppress_tokens=None,
        )
    raise ValueError(f"Unknown encoder {encoder!r}; choose one of {list(SPEECH_ENCODER_TYPES)}.")


def _default_id2label(num_labels: int, names: Iterable[str]) -> dict[int, str]:
    names = tuple(names)
    if num_labels == len(names):
        return dict(enumerate(names))
    return {i: f"LABEL_{i}" for i in range(num_labels)}


def tiny_speech_model(
    num_labels: int = 6, encoder: str = "hubert", *, seed: int = 0, **config_kwargs
) -> SentiVSpeechForAudioClassification:
    """A randomly initialised `SentiVSpeechForAudioClassification` around a tiny encoder.

    Args:
        num_labels: head width; 6 gets the SentiV speech label names, other counts ``LABEL_i`` (pass ``id2label``
            to name them, e.g. the binary names with ``head="binary"``).
        encoder: ``hubert``, ``wav2vec2``, ``wavlm`` or ``whisper``.
        seed: torch seed, so two calls give the same weights.
        config_kwargs: other `SentiVSpeechConfig` options (``pooling``, ``head``, ``id2label``, ...).

    Example:
        >>> tiny_speech_model(encoder="whisper", pooling="stats").config.pooling
        'stats'
    """
    if "id2label" not in config_kwargs:
        config_kwargs["id2label"] = _default_id2label(num_labels, SPEECH_LABELS)
    config_kwargs["label2id"] = {v: k for k, v in config_kwargs["id2label"].items()}
    config_kwargs.setdefault("classifier_proj_size", 16)
    config_kwargs.setdefault("attention_hidden_size", 8)
    if encoder == "whisper":
        config_kwargs.setdefault("max_duration_s", float(TINY_WHISPER_CHUNK_S))
    config = SentiVSpeechConfig(encoder_config=tiny_encoder_config(encoder), **config_kwargs)
    torch.manual_seed(seed)
    return SentiVSpeechForAudioClassification(config).eval()


def tiny_speech_feature_extractor(encoder: str = "hubert"):
    """Feature extractor matching `tiny_speech_model` (16 kHz; returns an attention mask).

    Example:
        >>> tiny_speech_feature_extractor().sampling_rate
        16000
    """
    if encoder == "whisper":
        return WhisperFeatureExtractor(
            feature_size=TINY_MEL_BINS, chunk_length=TINY_WHISPER_CHUNK_S, return_attention_mask=True
        )
    if encoder not in SPEECH_ENCODER_TYPES:
        raise ValueError(f"Unknown encoder {encoder!r}; choose one of {list(SPEECH_ENCODER_TYPES)}.")
    return Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True, return_attention_mask=True
    )


def train_tiny_tokenizer(
    texts: Iterable[str], out_dir: str | Path | None = None, *, vocab_size: int = 400
) -> PreTrainedTokenizerFast:
    """Train a small BPE tokenizer on ``texts`` and wrap it as a RoBERTa-style `PreTrainedTokenizerFast`.

    Special tokens follow PhoBERT/RoBERTa: ``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3, ``<mask>``=4, and
    ``<s> A </s>`` framing. Words joined by ``_`` (word-segmented Vietnamese) stay one pre-token.

    Args:
        texts: training sentences (already word-segmented if the model will see segmented text).
        out_dir: when given, the tokenizer is saved there with ``save_pretrained``.
        vocab_size: BPE vocabulary size.

    Example:
        >>> tok = train_tiny_tokenizer(["sinh_viên học bài", "tôi rất vui"])
        >>> tok("tôi vui")["input_ids"][0] == tok.bos_token_id
        True
    """
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.decoder = decoders.BPEDecoder()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS), show_progress=False)
    tokenizer.train_from_iterator(list(texts), trainer=trainer)
    tokenizer.post_processor = processors.RobertaProcessing(
        ("</s>", tokenizer.token_to_id("</s>")), ("<s>", tokenizer.token_to_id("<s>"))
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        cls_token="<s>",
        sep_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=TEXT_MAX_LENGTH,
    )
    if out_dir is not None:
        fast.save_pretrained(str(out_dir))
    return fast


def tiny_text_model(
    tokenizer: PreTrainedTokenizerFast,
    num_labels: int = 7,
    id2label: dict[int, str] | None = None,
    *,
    word_segmenter: str | None = "pyvi",
    seed: int = 0,
):
    """A randomly initialised tiny RoBERTa sequence classifier sized for ``tokenizer``.

    Args:
        tokenizer: e.g. from `train_tiny_tokenizer`.
        num_labels: number of labels; 7 gets the SentiV text label names.
        id2label: explicit label names (overrides ``num_labels``).
        word_segmenter: stored on the config (``"pyvi"`` or ``None``) so pipelines segment text the same way.
        seed: torch seed.

    Example:
        >>> tiny_text_model(train_tiny_tokenizer(["a b c"])).config.num_labels
        7
    """
    id2label = dict(id2label) if id2label is not None else _default_id2label(num_labels, TEXT_LABELS)
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=TINY_HIDDEN_SIZE,
        num_hidden_layers=TINY_LAYERS,
        num_attention_heads=2,
        intermediate_size=64,
        # RoBERTa position ids start after the padding index
        max_position_embeddings=TEXT_MAX_LENGTH + tokenizer.pad_token_id + 1,
        type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    config.word_segmenter = word_segmenter
    torch.manual_seed(seed)
    return AutoModelForSequenceClassification.from_config(config).eval()


__all__ = [
    "tiny_encoder_config",
    "tiny_speech_feature_extractor",
    "tiny_speech_model",
    "tiny_text_model",
    "train_tiny_tokenizer",
]
