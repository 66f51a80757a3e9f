from __future__ import annotations

import json

import pytest
from transformers import HfArgumentParser

from sentiv_hf.training.training_args import ClassWeighting, LossType, SamplerType, SentiVTrainingArguments


def make(tmp_path, **kwargs) -> SentiVTrainingArguments:
    return SentiVTrainingArguments(output_dir=str(tmp_path), report_to=[], **kwargs)


def test_defaults(tmp_path):
    args = make(tmp_path)
    assert args.loss is LossType.CE
    assert args.class_weighting is ClassWeighting.NONE
    assert args.sampler is SamplerType.RANDOM
    assert args.focal_gamma == 2.0
    assert args.class_weight_beta == 0.999
    # No evaluation: transformers leaves metric_for_best_model unset, and so do we.
    assert args.metric_for_best_model is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("loss", "focal", LossType.FOCAL),
        ("loss", "BCE", LossType.BCE),
        ("class_weighting", "effective_number", ClassWeighting.EFFECTIVE_NUMBER),
        ("class_weighting", "sqrt_inverse", ClassWeighting.SQRT_INVERSE),
        ("sampler", "oversample", SamplerType.OVERSAMPLE),
        ("sampler", SamplerType.WEIGHTED, SamplerType.WEIGHTED),
    ],
)
def test_string_options_become_enums(tmp_path, field, value, expected):
    args = make(tmp_path, **{field: value})
    assert getattr(args, field) is expected
    assert isinstance(getattr(args, field), str)  # str enums compare equal to their value
    assert getattr(args, field) == expected.value


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("loss", "hinge", "'ce', 'weighted_ce', 'focal', 'bce'"),
        ("class_weighting", "balanced", "'none', 'inverse', 'sqrt_inverse', 'effective_number'"),
        ("sampler", "stratified", "'random', 'weighted', 'oversample'"),
    ],
)
def test_bad_values_name_the_allowed_ones(tmp_path, field, value, allowed):
    with pytest.raises(ValueError) as error:
        make(tmp_path, **{field: value})
    assert f"Invalid {field}={value!r}" in str(error.value)
    assert allowed in str(error.value)


def test_bad_numbers(tmp_path):
    with pytest.raises(ValueError, match="focal_gamma=-1"):
        make(tmp_path, focal_gamma=-1.0)
    with pytest.raises(ValueError, match=r"class_weight_beta=1.0; it must be in \[0, 1\)"):
        make(tmp_path, class_weight_beta=1.0)


def test_weighted_ce_without_scheme_uses_inverse(tmp_path):
    args = make(tmp_path, loss="weighted_ce")
    assert args.class_weighting is ClassWeighting.INVERSE
    assert args.uses_class_weights


def test_metric_for_best_model_defaults_to_macro_f1(tmp_path):
    args = make(tmp_path, eval_strategy="steps", eval_steps=5, save_steps=5, load_best_model_at_end=True)
    assert args.metric_for_best_model == "macro_f1"
    assert args.greater_is_better is True
    explicit = make(tmp_path, eval_strategy="epoch", metric_for_best_model="eval_loss")
    assert explicit.metric_for_best_model == "eval_loss"
    assert explicit.greater_is_better is False


def test_to_dict_is_json_serialisable(tmp_path):
    args = make(tmp_path, loss="focal", sampler="weighted", class_weighting="inverse")
    data = json.loads(args.to_json_string())
    assert data["loss"] == "focal"
    assert data["sampler"] == "weighted"
    assert args.sentiv_loss_config() == {
        "loss": "focal",
        "focal_gamma": 2.0,
        "class_weighting": "inverse",
        "class_weight_beta": 0.999,
        "sampler": "weighted",
    }


def test_hf_argument_parser_flags_and_yaml(tmp_path):
    parser = HfArgumentParser(SentiVTrainingArguments)
    (args,) = parser.parse_args_into_dataclasses(
        ["--output_dir", str(tmp_path), "--loss", "focal", "--focal-gamma", "1.5", "--sampler", "oversample"]
    )
    assert (args.loss, args.focal_gamma, args.sampler) == (LossType.FOCAL, 1.5, SamplerType.OVERSAMPLE)
    config = tmp_path / "args.yaml"
    config.write_text(f"output_dir: {tmp_path}\nloss: weighted_ce\nclass_weighting: effective_number\n")
    (args,) = parser.parse_yaml_file(str(config))
    assert args.loss is LossType.WEIGHTED_CE
    assert args.class_weighting is ClassWeighting.EFFECTIVE_NUMBER
    with pytest.raises(SystemExit):  # argparse rejects a value outside the choices
        parser.parse_args_into_dataclasses(["--output_dir", str(tmp_path), "--loss", "hinge"])
