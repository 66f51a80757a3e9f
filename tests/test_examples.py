"""The example config files the README documents parse into the objects the commands use."""

from __future__ import annotations

from pathlib import Path

from sentiv_hf.benchmark.config import BenchmarkConfig
from sentiv_hf.commands.train import parse_train_args

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_train_yaml_sets_data_model_and_training_fields():
    task, data, model, args = parse_train_args(["text", str(EXAMPLES / "train-text.yaml")])
    assert (task, data.dataset, data.budget, model.model) == ("text", None, 0.5, "tiny")
    assert (args.loss.value, args.focal_gamma, args.class_weighting.value, args.sampler.value) == (
        "focal",
        2.0,
        "inverse",
        "oversample",
    )
    assert (args.max_steps, args.eval_steps, args.output_dir) == (20, 10, "out/text-from-yaml")


def test_benchmark_yaml_sets_config_fields():
    config = BenchmarkConfig.from_yaml(EXAMPLES / "benchmark-text.yaml")
    assert (config.tasks, config.models, config.budgets, config.seeds) == (
        ["text"],
        ["tiny", "baseline:tfidf-logreg"],
        [0.1, 0.5, 1.0],
        [0, 1, 2],
    )
    assert (config.encoder, config.learning_rate, config.output_dir) == ("frozen", 0.03, "text-baselines-output")
