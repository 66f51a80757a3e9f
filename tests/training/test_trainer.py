from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from datasets import ClassLabel, Dataset, Features, Value
from transformers import DataCollatorWithPadding, TrainerCallback, TrainingArguments
from transformers.trainer_pt_utils import LengthGroupedSampler

from sentiv_hf.metrics import make_compute_metrics
from sentiv_hf.models.tiny import tiny_text_model, train_tiny_tokenizer
from sentiv_hf.training.class_weights import compute_class_weights
from sentiv_hf.training.losses import FocalLoss, build_loss
from sentiv_hf.training.samplers import EpochSeededOversampler, EpochSeededWeightedSampler
from sentiv_hf.training.trainer import SentiVTrainer, dataset_labels
from sentiv_hf.training.training_args import SentiVTrainingArguments

NAMES = ["Anger", "Enjoyment", "Sadness"]
# Imbalanced training split (6/3/1); the validation split is balanced, so weights computed from it would differ.
TRAIN_LABELS = [0] * 6 + [1] * 3 + [2]
EVAL_LABELS = [0, 1, 2, 2, 2, 2]


@pytest.fixture(scope="module")
def tokenizer():
    return train_tiny_tokenizer(["tôi rất vui", "tôi buồn quá", "tức giận thật", "hôm nay trời đẹp"])


def make_split(tokenizer, labels):
    texts = [["tức giận thật", "tôi rất vui", "tôi buồn quá"][y] + f" {i}" for i, y in enumerate(labels)]
    features = Features({"text": Value("string"), "label": ClassLabel(names=NAMES), "length": Value("int32")})
    ds = Dataset.from_dict(
        {"text": texts, "label": labels, "length": [3 + i % 4 for i in range(len(labels))]}, features
    )
    return ds.map(lambda b: tokenizer(b["text"]), batched=True, remove_columns=["text"])


def make_trainer(tmp_path, tokenizer, train_labels=None, **kwargs):
    args = SentiVTrainingArguments(
        output_dir=str(tmp_path / "out"),
        report_to=[],
        per_device_train_batch_size=4,
        max_steps=2,
        logging_steps=1,
        save_strategy="no",
        disable_tqdm=True,
        use_cpu=True,
        **kwargs,
    )
    model = tiny_text_model(tokenizer, len(NAMES), dict(enumerate(NAMES)), word_segmenter=None)
    return SentiVTrainer(
        model=model,
        args=args,
        train_dataset=make_split(tokenizer, TRAIN_LABELS),
        eval_dataset=make_split(tokenizer, EVAL_LABELS),
        data_collator=DataCollatorWithPadding(tokenizer),
        processing_class=tokenizer,
        compute_metrics=make_compute_metrics(NAMES),
        train_labels=train_labels,
    )


def test_class_weights_come_from_the_training_split_only(tmp_path, tokenizer):
    trainer = make_trainer(tmp_path, tokenizer, loss="weighted_ce", class_weighting="inverse")
    expected = compute_class_weights(np.array(TRAIN_LABELS), 3, scheme="inverse")
    assert trainer.class_counts.tolist() == [6, 3, 1]
    torch.testing.assert_close(trainer.class_weights, expected.float())
    # Recorded in the config (saved with every checkpoint) and in the card data.
    config = trainer.model.config
    assert config.class_weights == pytest.approx(expected.tolist(), rel=1e-5)
    assert config.sentiv_training["loss"] == "weighted_ce"
    assert config.sentiv_training["class_weighting"] == "inverse"
    assert config.sentiv_training["train_class_counts"] == [6, 3, 1]
    assert trainer.card_data.class_counts == [6, 3, 1]
    assert trainer.card_data.labels == NAMES
    # The rarest class gets the largest weight.
    assert trainer.class_weights[2] > trainer.class_weights[1] > trainer.class_weights[0]


def test_class_weights_from_given_train_labels(tmp_path, tokenizer, caplog):
    given = np.array([0, 1, 1, 2, 2, 2, 2])  # not the split's 6/3/1
    with caplog.at_level("INFO", logger="sentiv_hf.training.trainer"):
        trainer = make_trainer(tmp_path, tokenizer, train_labels=given, loss="weighted_ce", class_weighting="inverse")
    assert trainer.class_counts.tolist() == [1, 2, 4]
    torch.testing.assert_close(trainer.class_weights, compute_class_weights(given, 3, scheme="inverse").float())
    assert trainer.model.config.sentiv_training["train_class_counts"] == [1, 2, 4]
    assert "from 7 given training labels" in caplog.text
    # A weighted sampler still draws by the split's label column (one label per training row).
    assert trainer._train_labels.tolist() == TRAIN_LABELS
    with pytest.raises(ValueError, match=r"train_labels has shape \(7, 1\); pass \(M,\) class ids with num_labels=3"):
        make_trainer(tmp_path, tokenizer, train_labels=given[:, None], loss="weighted_ce")


def test_compute_loss_matches_the_configured_loss(tmp_path, tokenizer):
    trainer = make_trainer(tmp_path, tokenizer, loss="focal", focal_gamma=2.0, class_weighting="sqrt_inverse")
    assert isinstance(trainer.loss_fn, FocalLoss)
    batch = DataCollatorWithPadding(tokenizer)([trainer.train_dataset[i] for i in range(4)])
    model = trainer.model.eval()
    loss, outputs = trainer.compute_loss(model, dict(batch), return_outputs=True)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    weights = compute_class_weights(np.array(TRAIN_LABELS), 3, scheme="sqrt_inverse")
    expected = build_loss("focal", class_weights=weights, gamma=2.0)(logits, batch["labels"])
    torch.testing.assert_close(loss.detach(), expected)
    # Only the logits go on to compute_metrics.
    assert set(outputs.keys()) == {"loss", "logits"}
    assert outputs.logits.shape == (4, 3)
    # Training losses are normalised over the effective batch (see the accumulation test), not per micro-batch.
    assert SentiVTrainer.loss_is_scaled_for_ga is True


class FirstStepGradients(TrainerCallback):
    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        self.grad = torch.cat([p.grad.flatten().clone() for p in model.parameters() if p.grad is not None])


# 32 imbalanced rows (20/9/3): micro-batches of 8 carry very different class-weight totals.
ACCUMULATION_LABELS = [0] * 20 + [1] * 9 + [2] * 3


def first_step_gradient(tmp_path, tokenizer, loss, batch_size, accumulation):
    args = SentiVTrainingArguments(
        output_dir=str(tmp_path / f"out_{batch_size}x{accumulation}"),
        report_to=[],
        per_device_train_batch_size=batch_size,
        gradient_accumulation_steps=accumulation,
        max_steps=1,
        max_grad_norm=0.0,
        save_strategy="no",
        disable_tqdm=True,
        use_cpu=True,
        seed=0,
        loss=loss,
        class_weighting="inverse",
    )
    model = tiny_text_model(tokenizer, len(NAMES), dict(enumerate(NAMES)), word_segmenter=None, seed=0)
    for module in model.modules():  # the two runs must differ only in how the batch is split
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    grabber = FirstStepGradients()
    trainer = SentiVTrainer(
        model=model,
        args=args,
        train_dataset=make_split(tokenizer, ACCUMULATION_LABELS),
        data_collator=DataCollatorWithPadding(tokenizer),
        callbacks=[grabber],
    )
    trainer.train()
    return grabber.grad, trainer.state.log_history[-1]["train_loss"]


@pytest.mark.parametrize("loss", ["weighted_ce", "focal"])
def test_weighted_loss_is_the_mean_over_the_effective_batch(tmp_path, tokenizer, loss):
    """4 accumulated micro-batches of 8 give the gradient (and logged loss) of one batch of 32."""
    whole, whole_loss = first_step_gradient(tmp_path, tokenizer, loss, 32, 1)
    accumulated, accumulated_loss = first_step_gradient(tmp_path, tokenizer, loss, 8, 4)
    assert float((accumulated - whole).norm() / whole.norm()) < 2e-5
    assert accumulated_loss == pytest.approx(whole_loss, rel=1e-5)


def test_compute_loss_normalises_by_the_effective_batch_weight(tmp_path, tokenizer):
    trainer = make_trainer(tmp_path, tokenizer, loss="weighted_ce", class_weighting="inverse")
    collate = DataCollatorWithPadding(tokenizer)
    halves = [collate([trainer.train_dataset[i] for i in rows]) for rows in (range(0, 5), range(5, 10))]
    total = trainer.get_batch_samples(iter(halves), 2, torch.device("cpu"))[1]
    weights = trainer.class_weights
    assert float(total) == pytest.approx(float(weights[torch.tensor(TRAIN_LABELS)].sum()))
    model = trainer.model.train()
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    summed = sum(trainer.compute_loss(model, dict(batch), num_items_in_batch=total) for batch in halves)
    whole = collate([trainer.train_dataset[i] for i in range(10)])
    expected = trainer.compute_loss(model.eval(), dict(whole))
    torch.testing.assert_close(summed, expected)


def test_ce_ignores_weights_and_evaluation_reports_loss(tmp_path, tokenizer):
    trainer = make_trainer(tmp_path, tokenizer, loss="ce")
    assert trainer.loss_fn.get_config_dict().get("weight") is None
    metrics = trainer.evaluate()
    assert metrics["eval_loss"] > 0


@pytest.mark.parametrize(
    ("sampler", "expected_type", "expected_len"),
    [("weighted", EpochSeededWeightedSampler, 10), ("oversample", EpochSeededOversampler, 18)],
)
def test_weighted_and_oversampling_samplers(tmp_path, tokenizer, sampler, expected_type, expected_len):
    trainer = make_trainer(tmp_path, tokenizer, sampler=sampler, seed=7)
    train_sampler = trainer._get_train_sampler()
    assert isinstance(train_sampler, expected_type)
    assert len(train_sampler) == expected_len  # oversample: 3 classes x 6 (the largest class)
    assert train_sampler.seed == 7
    train_sampler.set_epoch(0)
    first = list(train_sampler)
    train_sampler.set_epoch(0)
    assert first == list(train_sampler)  # same epoch, same draw (every rank draws the same sample)
    train_sampler.set_epoch(1)
    assert list(train_sampler) != first


def test_weighted_sampler_balances_classes(tmp_path, tokenizer):
    trainer = make_trainer(tmp_path, tokenizer, sampler="weighted", class_weighting="inverse")
    sampler = trainer._get_train_sampler()
    counts = np.zeros(3)
    for epoch in range(200):
        sampler.set_epoch(epoch)
        counts += np.bincount(np.array(TRAIN_LABELS)[list(sampler)], minlength=3)
    shares = counts / counts.sum()
    np.testing.assert_allclose(shares, [1 / 3] * 3, atol=0.03)


def test_random_sampler_and_group_by_length(tmp_path, tokenizer):
    trainer = make_trainer(tmp_path, tokenizer)
    assert isinstance(trainer._get_train_sampler(), torch.utils.data.RandomSampler)
    grouped = make_trainer(tmp_path, tokenizer, train_sampling_strategy="group_by_length", length_column_name="length")
    sampler = grouped._get_train_sampler()
    assert isinstance(sampler, LengthGroupedSampler)
    assert sampler.lengths == [float(3 + i % 4) for i in range(10)]


def test_train_save_and_card(tmp_path, tokenizer):
    trainer = make_trainer(tmp_path, tokenizer, loss="focal", class_weighting="inverse", sampler="weighted")
    result = trainer.train()
    assert trainer.state.global_step == 2
    assert result.metrics["train_loss"] > 0
    trainer.evaluate(metric_key_prefix="test")
    trainer.save_model()
    trainer.create_model_card()
    out = tmp_path / "out"
    saved = json.loads((out / "config.json").read_text())
    assert saved["sentiv_training"]["loss"] == "focal"
    assert len(saved["class_weights"]) == 3
    card = (out / "README.md").read_text()
    assert "- Loss: `focal` (gamma=2.0" in card
    assert "| Sadness | 1 |" in card
    assert "Lin2017" in card or "focal" in card.lower()
    assert "model-index" in card
    assert trainer.card_data.metrics["test"]["macro_f1"] >= 0
    assert trainer.card_data.hyperparameters["sampler"] == "weighted"
    assert [row["step"] for row in trainer.card_data.training_logs if "loss" in row] == [1, 2]


def test_rejects_plain_training_arguments(tmp_path, tokenizer):
    model = tiny_text_model(tokenizer, 3, dict(enumerate(NAMES)), word_segmenter=None)
    args = TrainingArguments(output_dir=str(tmp_path), report_to=[], use_cpu=True)
    with pytest.raises(TypeError, match="SentiVTrainingArguments"):
        SentiVTrainer(model=model, args=args)


def test_dataset_labels_skips_the_transform():
    ds = Dataset.from_dict({"audio": ["a", "b"], "label": [1, 0]})
    ds.set_transform(lambda batch: (_ for _ in ()).throw(AssertionError("transform must not run")))
    assert dataset_labels(ds) == ("label", [1, 0])
    assert dataset_labels(Dataset.from_dict({"x": [1]})) is None


def test_evaluation_only_trainer_keeps_the_checkpoint_record(tmp_path, tokenizer):
    model = tiny_text_model(tokenizer, len(NAMES), dict(enumerate(NAMES)), word_segmenter=None)
    model.config.sentiv_training = {"loss": "focal", "train_class_counts": [6, 3, 1]}
    model.config.class_weights = [0.5, 1.0, 1.5]
    args = SentiVTrainingArguments(output_dir=str(tmp_path), report_to=[], use_cpu=True, loss="weighted_ce")
    trainer = SentiVTrainer(model=model, args=args, eval_dataset=make_split(tokenizer, EVAL_LABELS))
    assert model.config.sentiv_training == {"loss": "focal", "train_class_counts": [6, 3, 1]}
    # The eval loss reuses the weights the checkpoint was trained with.
    assert trainer.loss_fn.get_config_dict()["weight"] == pytest.approx([0.5, 1.0, 1.5])
