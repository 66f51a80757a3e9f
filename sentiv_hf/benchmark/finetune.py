"""Fine-tune mode (``encoder: finetune`` or ``lora``): one `SentiVTrainer` run per (task, model, budget, seed).

The frozen mode's feature cache does not apply here (the encoder changes), so every run tokenises or decodes its
examples again. Selection follows the protocol: the Trainer evaluates on validation every epoch and keeps the best
checkpoint by macro-F1 (``load_best_model_at_end``); checkpoints live in a temporary folder under ``OUT/finetune``
that is removed when the run ends.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .features import ModelSpec
from .learners import Fitted
from .sources import Split

logger = logging.getLogger(__name__)

#: LoRA target modules per modality (RoBERTa/PhoBERT attention; HuBERT/wav2vec2/WavLM attention).
LORA_TARGETS = {"text": ["query", "value"], "speech": ["q_proj", "v_proj"]}
LORA_HEAD_MODULES = {"text": ["classifier"], "speech": ["projector", "classifier"]}


def _build(model: ModelSpec, modality: str, label_names: list[str], seed: int, tokenizer_texts: list[str]):
    id2label = dict(enumerate(label_names))
    if modality == "text":
        if model.kind == "tiny":
            from sentiv_hf.models.tiny import tiny_text_model, train_tiny_tokenizer

            tokenizer = train_tiny_tokenizer(tokenizer_texts)
            net = tiny_text_model(tokenizer, len(label_names), id2label, word_segmenter=None, seed=seed)
        else:
            from sentiv_hf.models.text import load_text_model_and_tokenizer

            net, tokenizer = load_text_model_and_tokenizer(
                model.model_id, len(label_names), id2label, revision=model.revision, ignore_mismatched_sizes=True
            )
        return net, tokenizer
    label2id = {n: i for i, n in id2label.items()}
    if model.kind == "tiny":
        from sentiv_hf.models.tiny import tiny_speech_feature_extractor, tiny_speech_model

        return tiny_speech_model(len(label_names), seed=seed, id2label=id2label, label2id=label2id), (
            tiny_speech_feature_extractor()
        )
    from transformers import AutoFeatureExtractor

    from sentiv_hf.models.modeling_sentiv_speech import SentiVSpeechForAudioClassification

    net = SentiVSpeechForAudioClassification.from_encoder_pretrained(
        model.model_id, num_labels=len(label_names), id2label=id2label, label2id=label2id
    )
    net.freeze_feature_encoder()
    return net, AutoFeatureExtractor.from_pretrained(model.model_id, revision=model.revision)


def _prepare(
    split: Split,
    modality: str,
    processor,
    *,
    train: bool,
    seed: int,
    max_seconds: float,
    max_length: int,
    word_segmenter: str | None,
    with_labels: bool,
):
    ds = split.dataset
    if modality == "text":
        from sentiv_hf.models.text import segment_texts

        column = "text" if "text" in ds.column_names else "transcript"

        def tokenize(batch):
            return processor(segment_texts(batch[column], word_segmenter), truncation=True, max_length=max_length)

        keep = ["label"] if with_labels else []
        return ds.map(tokenize, batched=True, remove_columns=[c for c in ds.column_names if c not in keep])
    from sentiv_hf.data.audio import AudioPreprocessor

    keep = ["audio", "label"] if with_labels else ["audio"]
    ds = ds.remove_columns([c for c in ds.column_names if c not in keep])
    ds.set_transform(AudioPreprocessor(processor, max_seconds=max_seconds, train=train, seed=seed))
    return ds


def _subset(split: Split, idx: np.ndarray) -> Split:
    return Split(
        split.name,
        [split.ids[i] for i in idx],
        split.labels[idx],
        split.label_names,
        split.dataset.select(idx),
        split.fingerprint,
    )


def finetune_fit(
    model: ModelSpec,
    modality: str,
    train: Split,
    idx: np.ndarray,
    val: Split,
    val_idx: np.ndarray,
    *,
    seed: int,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    out_dir: str | Path,
    lora: bool = False,
    tokenizer_texts: list[str] | None = None,
    max_seconds: float = 8.0,
    max_length: int = 128,
    word_segmenter: str | None = None,
) -> Fitted:
    """Fine-tune (or LoRA-tune) ``model`` on ``train[idx]`` with `SentiVTrainer`, selecting the epoch on validation.

    Returns:
        A `Fitted` whose ``predict(split)`` runs the selected model on a `Split` and returns logits.

    Example:
        >>> fitted = finetune_fit(parse_model("tiny"), "speech", splits["train"], idx, splits["validation"],
        ...                       np.arange(len(splits["validation"])), seed=0, epochs=2, learning_rate=1e-3,
        ...                       batch_size=8, out_dir="out/finetune")  # doctest: +SKIP
    """
    import torch
    from transformers import DataCollatorWithPadding
    from transformers.trainer_callback import PrinterCallback

    from sentiv_hf.metrics import make_compute_metrics
    from sentiv_hf.training import trainer as trainer_module
    from sentiv_hf.training.training_args import SentiVTrainingArguments

    names = list(train.label_names)
    net, processor = _build(model, modality, names, seed, tokenizer_texts or train.texts)
    if lora:
        from peft import LoraConfig, get_peft_model

        net = get_peft_model(
            net,
            LoraConfig(
                r=8,
                lora_alpha=16,
                lora_dropout=0.05,
                target_modules=LORA_TARGETS[modality],
                modules_to_save=LORA_HEAD_MODULES[modality],
            ),
        )
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    work = tempfile.mkdtemp(prefix="run-", dir=str(out_dir))
    common = {"seed": seed, "max_seconds": max_seconds, "max_length": max_length, "word_segmenter": word_segmenter}
    train_subset, val_subset = _subset(train, idx), _subset(val, val_idx)
    args = SentiVTrainingArguments(
        output_dir=work,
        num_train_epochs=epochs,
        learning_rate=learning_rate,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=max(batch_size, 16),
        eval_strategy="epoch",
        save_strategy="epoch",
        save_total_limit=1,
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        loss="weighted_ce",
        class_weighting="inverse",
        seed=seed,
        report_to=[],
        logging_strategy="no",
        disable_tqdm=True,
        remove_unused_columns=modality == "text",
        use_cpu=not torch.cuda.is_available(),
    )
    trainer = trainer_module.SentiVTrainer(
        model=net,
        args=args,
        train_dataset=_prepare(train_subset, modality, processor, train=True, with_labels=True, **common),
        eval_dataset=_prepare(val_subset, modality, processor, train=False, with_labels=True, **common),
        data_collator=DataCollatorWithPadding(processor),
        processing_class=processor,
        compute_metrics=make_compute_metrics(names),
    )
    # PrinterCallback prints every eval dict (disable_tqdm swaps it in); the benchmark prints one line per run.
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    best = trainer.state.best_metric
    selection = {"best_validation_macro_f1": best, "mode": "lora" if lora else "finetune"}

    def predict(split: Split) -> np.ndarray:
        data = _prepare(split, modality, processor, train=False, with_labels=False, **common)
        out = trainer.predict(data).predictions
        return np.asarray(out[0] if isinstance(out, tuple | list) else out, dtype=np.float64)

    fitted = Fitted(predict, selection)
    # Checkpoints are only needed to restore the best epoch, which load_best_model_at_end has done.
    shutil.rmtree(work, ignore_errors=True)
    return fitted
