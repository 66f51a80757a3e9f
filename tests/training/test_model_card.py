from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import ModelCard
from transformers import TrainerControl, TrainerState

from sentiv_hf.training.model_card import (
    DEFAULT_GATED_FIELDS,
    TEMPLATE_PATH,
    SentiVModelCardCallback,
    SentiVModelCardData,
    split_metrics,
)
from sentiv_hf.training.training_args import SentiVTrainingArguments

REPO_ROOT = Path(__file__).resolve().parents[2]


def filled_card_data(**overrides) -> SentiVModelCardData:
    data = SentiVModelCardData(
        task="speech",
        model_id="org/sentiv-speech-tiny",
        base_model="facebook/hubert-base-ls960",
        dataset_id="org/sentiv",
        dataset_config="speech",
        label_budget=0.1,
        seed=3,
        num_train_examples=42,
        labels=["Anger", "Enjoyment", "Sadness"],
        loss={"name": "focal", "params": {"gamma": 2.0}},
        class_weighting="effective_number",
        class_weight_beta=0.99,
        sampler="weighted",
        citations=["@inproceedings{lin2017focal, title={Focal Loss}}"],
    )
    data.set_class_weights([0.5, 1.0, 1.5], [30, 10, 2])
    data.add_metrics({"test_accuracy": 0.61234, "test_macro_f1": 0.55556, "test_runtime": 2.0, "epoch": 3.0})
    data.add_metrics({"eval_macro_f1": 0.5, "eval_loss": 1.25, "eval_weighted_f1": 0.52})
    for name, value in overrides.items():
        setattr(data, name, value)
    return data


def test_template_ships_with_the_package_and_model_cards_points_to_it():
    assert TEMPLATE_PATH.is_file()
    assert TEMPLATE_PATH.parent.name == "templates"
    documented = REPO_ROOT / "model_cards" / "model_card_template.md"
    assert documented.resolve() == TEMPLATE_PATH.resolve()


def test_split_metrics():
    assert split_metrics({"eval_macro_f1": 0.5, "eval_runtime": 1.0, "epoch": 2.0}) == (
        "validation",
        {"macro_f1": 0.5},
    )
    split, scalars = split_metrics({"test_accuracy": 1, "test_confusion_matrix": [[1]], "test_flag": True})
    assert (split, scalars) == ("test", {"accuracy": 1.0})


def test_yaml_header_parses_with_model_card(tmp_path):
    path = filled_card_data().save(tmp_path)
    assert path == tmp_path / "README.md"
    card = ModelCard.load(path)
    data = card.data
    assert data.language == "vi"
    assert data.license == "apache-2.0"
    assert data.pipeline_tag == "audio-classification"
    assert data.base_model == "facebook/hubert-base-ls960"
    assert data.datasets == ["org/sentiv"]
    assert {"sentiv", "emotion-recognition", "speech"} <= set(data.tags)
    assert data.model_name == "sentiv-speech-tiny"
    results = {(r.dataset_split, r.metric_name): r for r in data.eval_results}
    assert set(results) == {
        ("test", "Accuracy (test)"),
        ("test", "Macro F1 (test)"),
        ("validation", "Macro F1 (validation)"),
        ("validation", "Weighted F1 (validation)"),
    }
    macro = results[("test", "Macro F1 (test)")]
    assert macro.metric_value == 0.5556
    assert macro.metric_type == "f1"
    assert macro.metric_args == {"average": "macro"}
    assert macro.dataset_type == "org/sentiv"
    assert macro.dataset_config == "speech"
    assert macro.task_type == "audio-classification"
    assert "extra_gated_prompt" not in data.to_dict()


def test_body_shows_what_the_run_did():
    text = str(filled_card_data().to_model_card())
    assert "# sentiv-speech-tiny" in text
    assert "[facebook/hubert-base-ls960](https://huggingface.co/facebook/hubert-base-ls960)" in text
    assert "[org/sentiv](https://huggingface.co/datasets/org/sentiv), config `speech`" in text
    assert "| Label budget | 10% of the training split, seed 3 (42 examples) |" in text
    assert "- Loss: `focal` (gamma=2.0)" in text
    assert "- Class weighting: `effective_number` (beta=0.99)" in text
    assert "- Sampler: `weighted`" in text
    assert "| Sadness | 2 | 1.5000 |" in text
    assert "| macro_f1 | 0.5556 |" in text
    assert "| accuracy | 0.6123 |" in text
    assert "- Transformers: " in text and "- PyTorch: " in text
    assert "@article{sentiv2026," in text and "@inproceedings{lin2017focal" in text
    assert 'pipeline("audio-classification", model="org/sentiv-speech-tiny")' in text
    # Test results come before validation results.
    assert text.index("### Test split") < text.index("### Validation split")


def test_gating_fields(tmp_path):
    card = ModelCard.load(filled_card_data(gated="manual").save(tmp_path / "README.md"))
    assert card.data.extra_gated_fields == DEFAULT_GATED_FIELDS
    assert "research use only" in card.data.extra_gated_prompt
    assert "Access to this model is gated as well: request it on this page (manual approval)." in card.text
    custom = filled_card_data(gated="auto", extra_gated_prompt="Ask first.", extra_gated_fields={"Email": "text"})
    card = ModelCard.load(custom.save(tmp_path / "custom"))
    assert card.data.extra_gated_prompt == "Ask first."
    assert card.data.extra_gated_fields == {"Email": "text"}


def test_local_ids_stay_out_of_the_yaml_and_no_metrics_means_no_model_index(tmp_path):
    data = SentiVModelCardData(task="text", base_model="tiny", dataset_id=str(tmp_path))
    card = data.to_model_card()
    assert card.data.base_model is None
    assert card.data.datasets is None
    assert card.data.eval_results is None
    assert "model-index" not in str(card)
    assert "| Base model | `tiny` (a tiny model built in code) |" in str(card)
    assert f"| Dataset | `{tmp_path.name}` (a local folder) |" in str(card)
    assert str(tmp_path) not in str(card)
    assert "No evaluation was run." in str(card)


def test_custom_template(tmp_path):
    template = tmp_path / "card.md"
    template.write_text("---\n{{ card_data }}\n---\n\nCustom {{ model_name }} / {{ loss.name }}\n")
    card = filled_card_data().to_model_card(template)
    assert "Custom sentiv-speech-tiny / focal" in str(card)
    with pytest.raises(FileNotFoundError, match="template_path"):
        filled_card_data().to_model_card(tmp_path / "missing.md")


def test_callback_collects_hyperparameters_logs_and_metrics(tmp_path):
    data = SentiVModelCardData(task="text")
    callback = SentiVModelCardCallback(data)
    args = SentiVTrainingArguments(
        output_dir=str(tmp_path), report_to=[], learning_rate=3e-5, loss="focal", max_steps=4, use_cpu=True
    )
    state, control = TrainerState(), TrainerControl()

    class Config:
        id2label = {0: "Anger", 1: "Fear"}

    class Model:
        config = Config()

    callback.on_train_begin(args, state, control, model=Model())
    assert data.hyperparameters["learning_rate"] == 3e-5
    assert data.hyperparameters["loss"] == "focal"
    assert data.hyperparameters["max_steps"] == 4
    assert data.labels == ["Anger", "Fear"]
    state.global_step, state.epoch = 2, 0.5
    callback.on_log(args, state, control, logs={"loss": 0.9, "learning_rate": 1e-5})
    callback.on_evaluate(args, state, control, metrics={"eval_loss": 0.8, "eval_macro_f1": 0.4})
    assert data.training_logs == [
        {"step": 2, "epoch": 0.5, "loss": 0.9, "metrics": {"validation loss": 0.8, "validation macro_f1": 0.4}}
    ]
    callback.on_evaluate(args, state, control, metrics={"test_macro_f1": 0.3})
    assert data.metrics == {"validation": {"loss": 0.8, "macro_f1": 0.4}, "test": {"macro_f1": 0.3}}
    assert len(data.training_logs) == 1  # test results are not training-log rows
    assert "| 2 | 0.50 | 0.9000 | 0.8000 | 0.4000 |" in str(data.to_model_card())
