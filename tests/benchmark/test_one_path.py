"""Issue 8, one path from data to checkpoint: every benchmark run exports a checkpoint that `sentiv evaluate` and
`from_pretrained` score exactly as the results line did, trained with the package's own model, Trainer, recipes,
LoRA set-up and metrics; feature-cache keys name the weights; the overlap filter never falls back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from datasets import ClassLabel, Dataset, Features, Value

from sentiv_hf.benchmark import BenchmarkConfig, BenchmarkRunner, features

#: the frozen run: crops (0.25 s of 0.4 s clips) and truncation (6 tokens) matter, so evaluate must read them back.
FROZEN = {
    "tasks": ["text", "speech", "multimodal"],
    "models": ["tiny"],
    "budgets": [1.0],
    "seeds": 1,
    "epochs": 5,
    "learning_rate": 0.03,
    "max_seconds": 0.25,
    "text_max_length": 6,
}
TUNED = {"tasks": ["text", "speech"], "models": ["tiny"], "budgets": [1.0], "seeds": 1, "epochs": 2}
EXACT_METRICS = ("accuracy", "macro_f1", "weighted_f1")
CARD_METRICS = {"Accuracy (test)": "accuracy", "Macro F1 (test)": "macro_f1", "Weighted F1 (test)": "weighted_f1"}


def run(corpus: Path, out: Path, **config) -> tuple[BenchmarkRunner, list[dict]]:
    """A benchmark run on ``corpus`` with ``--save-models``, without progress bars."""
    config = {"max_seconds": 1.0, **config}
    runner = BenchmarkRunner(
        BenchmarkConfig(dataset=str(corpus), output_dir=str(out), **config), progress=False, save_models=True
    )
    return runner, runner.run()


def evaluate_args(out: Path, record: dict, eval_dir: Path) -> list[str]:
    """No --dataset: `sentiv evaluate` reads the dataset and config from the checkpoint's train_ids.json."""
    checkpoint = out / record["checkpoint"]
    return [str(checkpoint), "--split", "test", "--output_dir", str(eval_dir)]


def read_evaluation(eval_dir: Path) -> tuple[dict, dict]:
    metrics = json.loads((eval_dir / "metrics.json").read_text(encoding="utf-8"))["metrics"]
    lines = (eval_dir / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    return metrics, {row["id"]: row["prediction"] for row in map(json.loads, lines)}


def assert_reproduces(evaluated: tuple[dict, dict], record: dict) -> None:
    """`sentiv evaluate`'s metrics and predictions equal the results line's (ECE to float precision)."""
    metrics, predictions = evaluated
    per_class = [k for k in record["metrics"] if k.startswith("f1_")]
    assert per_class, record["metrics"].keys()
    for key in (*EXACT_METRICS, *per_class):
        assert metrics[key] == record["metrics"][key], (record["checkpoint"], key)
    assert metrics["ece"] == pytest.approx(record["metrics"]["ece"], abs=1e-6), record["checkpoint"]
    assert predictions == record["predictions"], record["checkpoint"]


def training_recipe(folder: Path, sub_config: str | None = None) -> dict:
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config = config[sub_config] if sub_config else config
    return {k: config["sentiv_training"][k] for k in ("loss", "class_weighting", "sampler")}


TEXT_RECIPE = {"loss": "focal", "class_weighting": "inverse", "sampler": "oversample"}
SPEECH_RECIPE = {"loss": "weighted_ce", "class_weighting": "inverse", "sampler": "weighted"}


# --- shared runs ---------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Train and score on one thread, as the runner does: tiny models run ~10x slower on 2 busy cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def frozen(corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("frozen")
    runner, records = run(corpus, root / "out", cache_dir=str(root / "cache"), **FROZEN)
    return runner, records, root


@pytest.fixture(scope="module")
def frozen_evaluations(frozen, corpus):
    """Every frozen checkpoint scored by ``sentiv evaluate`` in one fresh process (models come from
    ``from_pretrained``; one process because importing the stack costs seconds on a 2-core machine)."""
    _, records, root = frozen
    saved = [r for r in records if r["checkpoint"]]
    calls = [["evaluate", *evaluate_args(root / "out", r, root / "eval" / r["checkpoint"])] for r in saved]
    script = "import sys\nfrom sentiv_hf.cli import main\nfor argv in {!r}:\n    assert main(argv) == 0, argv\n"
    done = subprocess.run(
        [sys.executable, "-c", script.format(calls)], capture_output=True, text=True, timeout=600, cwd=str(root)
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return {r["checkpoint"]: read_evaluation(root / "eval" / r["checkpoint"]) for r in saved}


@pytest.fixture(scope="module")
def finetuned(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("finetune") / "out"
    return (*run(corpus, out, encoder="finetune", **TUNED), out)


@pytest.fixture(scope="module")
def lora(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("lora") / "out"
    return (*run(corpus, out, encoder="lora", **TUNED), out)


# --- 1. frozen checkpoints ----------------------------------------------------------------------------------------


def test_frozen_checkpoints_reproduce_the_recorded_test_metrics(frozen, frozen_evaluations):
    _, records, _ = frozen
    assert {(r["task"], r["fusion"]) for r in records if r["checkpoint"]} == {
        ("text", None),
        ("speech", None),
        ("multimodal", "average"),
        ("multimodal", "concat_mlp"),
        ("multimodal", "uncertainty"),
    }
    speech = next(r for r in records if r["task"] == "speech")
    assert len(set(speech["predictions"].values())) > 1, "the speech head learnt nothing: a constant is no test"
    for record in records:
        assert_reproduces(frozen_evaluations[record["checkpoint"]], record)


@pytest.mark.parametrize("task", ["text", "speech", "multimodal"])
def test_frozen_checkpoint_folder_is_complete_with_a_model_card(frozen, task):
    from huggingface_hub import ModelCard

    _, records, root = frozen
    record = next(r for r in records if r["task"] == task)
    folder = root / "out" / record["checkpoint"]
    files = {p.name for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "README.md"} <= files
    assert not any(name.endswith((".bin", ".pt", ".pkl")) for name in files)
    if task in ("text", "multimodal"):
        assert {"tokenizer.json", "tokenizer_config.json"} <= files
    if task in ("speech", "multimodal"):
        assert "preprocessor_config.json" in files
    results = [r for r in ModelCard.load(folder / "README.md").data.eval_results if r.dataset_split == "test"]
    assert {r.dataset_config for r in results} == {task}
    for result in results:
        assert result.dataset_args == {"label_budget": 1.0, "seed": 0}
    values = {CARD_METRICS[r.metric_name]: r.metric_value for r in results if r.metric_name in CARD_METRICS}
    assert set(values) == set(CARD_METRICS.values())
    for key, value in values.items():
        assert value == pytest.approx(record["metrics"][key], abs=1e-4)


def test_frozen_checkpoints_follow_the_sentiv_recipe_per_modality(frozen):
    _, records, root = frozen
    folder = {r["task"]: root / "out" / r["checkpoint"] for r in records if r["task"] != "multimodal"}
    assert training_recipe(folder["text"]) == TEXT_RECIPE
    assert training_recipe(folder["speech"]) == SPEECH_RECIPE


def test_speech_checkpoint_from_pretrained_equals_the_cached_feature_path(frozen):
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    import sentiv_hf  # noqa: F401  (registers the SentiV Auto classes)
    from sentiv_hf.data.audio import AudioPreprocessor, decode_audio, to_mono

    runner, records, root = frozen
    folder = root / "out" / next(r for r in records if r["task"] == "speech")["checkpoint"]
    model = AutoModelForAudioClassification.from_pretrained(folder).eval()
    extractor = AutoFeatureExtractor.from_pretrained(folder)
    assert model.config.max_duration_s == FROZEN["max_seconds"]
    test = runner.splits("speech")["test"]
    clips = []
    for i, value in enumerate(test.dataset.select(range(6))["audio"]):
        waveform, rate = decode_audio(value)
        # different lengths, so that the batch is padded (the longest is cropped to max_duration_s)
        clips.append({"array": to_mono(waveform)[: 1200 * (i + 1)], "sampling_rate": rate})
    inputs = AudioPreprocessor(extractor, max_seconds=model.config.max_duration_s, train=False)({"audio": clips})
    batch = {k: torch.as_tensor(v) for k, v in inputs.items() if k != "labels"}
    assert (batch["attention_mask"] == 0).any()
    with torch.no_grad():
        direct = model(**batch).logits
        cached = model.forward_from_layer_features(model.encode_layers(**batch)).logits
    torch.testing.assert_close(direct, cached, atol=1e-5, rtol=0)


# --- 2. fine-tuning -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["finetune", "lora"])
def test_tuned_checkpoints_reproduce_the_recorded_test_metrics(mode, finetuned, lora, corpus, tmp_path):
    from sentiv_hf.commands.evaluate import main as evaluate

    _, records, out = finetuned if mode == "finetune" else lora
    assert {r["task"] for r in records if r["checkpoint"]} == {"text", "speech"}
    for record in records:
        assert record["selection"]["mode"] == mode
        eval_dir = tmp_path / record["task"]
        assert evaluate(evaluate_args(out, record, eval_dir)) == 0
        assert_reproduces(read_evaluation(eval_dir), record)


def test_finetune_follows_the_sentiv_recipe_per_modality(finetuned):
    _, records, out = finetuned
    folder = {r["task"]: out / r["checkpoint"] for r in records}
    assert training_recipe(folder["text"]) == TEXT_RECIPE
    assert training_recipe(folder["speech"]) == SPEECH_RECIPE


# --- 3. LoRA ------------------------------------------------------------------------------------------------------


def _fresh(runner, modality: str, seed: int = 0):
    """The model a run of ``modality`` starts from (same builder, labels, tokenizer texts and seed)."""
    splits = runner.splits(modality)
    texts = splits["train"].texts if modality == "text" else None
    model, _ = runner.model("tiny").build(
        modality,
        splits["train"].label_names,
        seed=seed,
        train_texts=texts,
        preprocessing=runner.fitter.settings.preprocessing,
    )
    return model


def test_lora_trains_layer_weights_pooling_and_head(lora):
    from transformers import AutoModelForAudioClassification

    import sentiv_hf  # noqa: F401
    from sentiv_hf.training.frozen import reset_head

    runner, records, out = lora
    folder = out / next(r for r in records if r["task"] == "speech")["checkpoint"]
    trained = AutoModelForAudioClassification.from_pretrained(folder)
    weights = trained.layer_weights.detach()
    assert not torch.allclose(weights, torch.full_like(weights, 1.0 / weights.numel()), atol=1e-4)
    start = _fresh(runner, "speech")
    reset = _fresh(runner, "speech")
    reset_head(reset, 0)
    for reference in (start, reset):
        for part in ("projector", "classifier"):
            before, after = getattr(reference, part).weight, getattr(trained, part).weight
            assert not torch.allclose(before, after), part
    # the adapters were merged into the attention projections; the rest of the encoder is the frozen start
    fresh, merged = start.state_dict(), trained.state_dict()
    assert not any("lora" in key for key in merged)
    changed = {k for k in fresh if k.startswith("encoder.") and not torch.equal(fresh[k], merged[k])}
    assert changed and all(k.endswith(("q_proj.weight", "v_proj.weight")) for k in changed), changed


def test_lora_text_adapts_query_and_value_into_a_plain_checkpoint(lora):
    from transformers import AutoModelForSequenceClassification

    runner, records, out = lora
    folder = out / next(r for r in records if r["task"] == "text")["checkpoint"]
    merged = AutoModelForSequenceClassification.from_pretrained(folder).state_dict()
    fresh = _fresh(runner, "text").state_dict()
    assert set(merged) == set(fresh)
    changed = {k for k in fresh if not torch.equal(fresh[k], merged[k])}
    encoder = {k for k in changed if ".encoder." in k}
    assert encoder and all(k.endswith(("query.weight", "value.weight")) for k in encoder), encoder
    assert any(k.startswith("classifier.") for k in changed)
    assert training_recipe(folder) == TEXT_RECIPE


def test_lora_keeps_the_adapters_and_head_of_the_selected_epoch(corpus, tmp_path):
    """Trainer checkpoints of a peft model hold only the adapters: restoring the best epoch from them paired its
    adapters with the last epoch's head. On shuffled labels the best epoch is not the last one."""
    import dataclasses

    from sentiv_hf.benchmark.kinds import parse_model
    from sentiv_hf.benchmark.learners import FitRequest, TrainSettings, fit_finetune, selection_score
    from sentiv_hf.data.loading import load_task_splits

    splits = load_task_splits(str(corpus), "speech")
    train, val = splits["train"], splits["validation"]
    shuffled = np.random.default_rng(1).permutation(train.labels)
    dataset = train.dataset.remove_columns("label").add_column("label", shuffled.tolist())
    train = dataclasses.replace(
        train, labels=shuffled, dataset=dataset.cast_column("label", train.dataset.features["label"])
    )
    settings = TrainSettings(
        encoder="lora", epochs=4, learning_rate=0.01, batch_size=8, max_seconds=1.0, work_dir=tmp_path
    )
    request = FitRequest(parse_model("tiny"), "speech", train, np.arange(len(train)), val, np.arange(len(val)), seed=0)
    fitted = fit_finetune(request, settings)
    score = selection_score("macro_f1", val.label_names, False)(val.labels, fitted.predict(val))
    assert score == pytest.approx(fitted.selection["validation_score"], abs=1e-12)


# --- 4. cache keys name the weights --------------------------------------------------------------------------------


def _save_tiny_hubert(folder: Path, seed: int) -> None:
    from transformers import HubertModel

    from sentiv_hf.models.tiny import tiny_encoder_config, tiny_speech_feature_extractor

    torch.manual_seed(seed)
    HubertModel(tiny_encoder_config("hubert")).save_pretrained(folder)
    tiny_speech_feature_extractor().save_pretrained(folder)


def test_local_checkpoint_retrained_in_place_is_encoded_again(corpus, tmp_path):
    folder = tmp_path / "speech-encoder"
    _save_tiny_hubert(folder, seed=0)
    key = f"{folder}/speech"
    config = {"tasks": ["speech"], "models": [f"speech:{folder}"], "budgets": [1.0], "seeds": 1, "epochs": 2}
    config["cache_dir"] = str(tmp_path / "cache")

    before = features.ENCODER_CALLS[key]
    _, first = run(corpus, tmp_path / "out-1", **config)
    encoded = features.ENCODER_CALLS[key]
    assert encoded > before

    _, again = run(corpus, tmp_path / "out-2", **config)  # same weights, same cache: nothing is encoded
    assert features.ENCODER_CALLS[key] == encoded
    assert again[0]["metrics"] == first[0]["metrics"]

    _save_tiny_hubert(folder, seed=1)  # "retrained" in place: same path, other weights
    _, retrained = run(corpus, tmp_path / "out-3", **config)
    assert features.ENCODER_CALLS[key] > encoded
    assert retrained[0]["metrics"] != first[0]["metrics"]
    # resuming into the first run's OUT does not count its (old-weights) line as finished: the run key names the
    # weights, so the run is done again and both lines stay in the store
    _, resumed = run(corpus, tmp_path / "out-1", **config)
    assert resumed[0]["run_key"] != first[0]["run_key"] and resumed[0]["metrics"] == retrained[0]["metrics"]
    assert len((tmp_path / "out-1" / "results.jsonl").read_text().splitlines()) == 2


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An offline Hub cache in ``tmp_path``; ``snapshot(commit)`` adds a snapshot and points ``main`` at it."""
    import huggingface_hub.constants as constants

    from sentiv_hf.benchmark.kinds.checkpoint import resolve_commit

    cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    repo = cache / "models--org--name"

    def snapshot(commit: str) -> None:
        (repo / "snapshots" / commit).mkdir(parents=True)
        (repo / "snapshots" / commit / "config.json").write_text('{"model_type": "hubert"}', encoding="utf-8")
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text(commit, encoding="utf-8")
        resolve_commit.cache_clear()

    yield snapshot
    resolve_commit.cache_clear()


def test_hub_model_provenance_follows_the_resolved_commit(hub_cache):
    from sentiv_hf.benchmark.kinds import parse_model

    commit_a, commit_b = "a" * 40, "b" * 40
    hub_cache(commit_a)
    spec = parse_model("speech:org/name")
    assert spec.provenance("speech") == {"model_id": "org/name", "commit": commit_a}
    hub_cache(commit_b)  # main moved
    assert spec.provenance("speech")["commit"] == commit_b
    pinned = parse_model("speech:org/name", {"org/name": commit_a})
    assert pinned.provenance("speech")["commit"] == commit_a


# --- 5. uncertainty confidence -------------------------------------------------------------------------------------


def test_uncertainty_confidence_is_selectable(frozen, corpus, tmp_path):
    from sentiv_hf.commands.evaluate import main as evaluate

    _, records, root = frozen
    entropy = next(r for r in records if r["fusion"] == "uncertainty")
    calls = dict(features.ENCODER_CALLS)
    config = {**FROZEN, "tasks": ["multimodal"], "fusion": ["uncertainty"], "confidence": "max_prob"}
    _, (max_prob,) = run(corpus, tmp_path / "out", cache_dir=str(root / "cache"), **config)
    assert dict(features.ENCODER_CALLS) == calls  # same encoders and preprocessing: the cache serves both runs
    assert max_prob["run_key"] != entropy["run_key"]
    assert max_prob["metrics"]["ece"] != entropy["metrics"]["ece"]  # other weights, other fused probabilities
    saved = {}
    for record, out in ((entropy, root / "out"), (max_prob, tmp_path / "out")):
        saved[record["config"]["confidence"]] = json.loads((out / record["checkpoint"] / "config.json").read_text())
    assert saved["entropy"]["confidence"] == "entropy" and saved["max_prob"]["confidence"] == "max_prob"
    assert evaluate(evaluate_args(tmp_path / "out", max_prob, tmp_path / "eval")) == 0
    assert_reproduces(read_evaluation(tmp_path / "eval"), max_prob)


def test_unknown_confidence_names_the_allowed_values(corpus, tmp_path):
    from sentiv_hf.benchmark.fusion import fuse_modalities
    from sentiv_hf.labels import SPEECH_LABELS, TEXT_LABELS

    with pytest.raises(ValueError, match="entropy.*max_prob"):
        BenchmarkConfig(dataset=str(corpus), output_dir=str(tmp_path), confidence="variance")
    logits = (np.zeros((2, 7)), np.zeros((2, 6)))
    with pytest.raises(ValueError, match="entropy.*max_prob"):
        fuse_modalities(
            "uncertainty",
            logits,
            np.array([0, 1]),
            logits,
            text_labels=TEXT_LABELS,
            speech_labels=SPEECH_LABELS,
            confidence="variance",
        )


# --- 6. the cross-modal overlap filter ----------------------------------------------------------------------------

NAMES = ["Anger", "Enjoyment"]


def _split(name: str, texts: list[str], labels: list[int]):
    from sentiv_hf.data.loading import Split

    ids = [f"{name}-{i}" for i in range(len(texts))]
    schema = Features({"id": Value("string"), "text": Value("string"), "label": ClassLabel(names=NAMES)})
    dataset = Dataset.from_dict({"id": ids, "text": texts, "label": labels}, features=schema)
    return Split(name, ids, np.asarray(labels), NAMES, dataset, f"{name}-fingerprint")


@pytest.fixture
def overlap_fitter(tmp_path, monkeypatch):
    """A `BudgetFitter` whose learner records the rows it is given instead of training."""
    from sentiv_hf.benchmark.cache import FeatureCache
    from sentiv_hf.benchmark.features import FeatureProvider
    from sentiv_hf.benchmark.fitting import BudgetFitter
    from sentiv_hf.benchmark.learners import Fitted, TrainSettings

    fitter = BudgetFitter(TrainSettings(work_dir=tmp_path), FeatureProvider(FeatureCache(tmp_path / "cache")))
    seen = []

    def fit_rows(model, modality, train, idx, val, val_idx, **kwargs):
        seen.append((idx.copy(), val_idx.copy()))
        return Fitted(lambda split: np.zeros((len(split), len(NAMES))))

    monkeypatch.setattr(fitter, "fit_rows", fit_rows)
    return fitter, seen


def test_overlap_filter_never_falls_back_at_tiny_budgets(overlap_fitter):
    from sentiv_hf.benchmark.kinds import parse_model

    fitter, seen = overlap_fitter
    model = parse_model("baseline:tfidf-logreg")
    # 40 train rows; 32 of their texts (both classes) are also sentences of the excluded evaluation split
    texts = [f"câu số {i}" for i in range(40)]
    labels = [i % 2 for i in range(40)]
    train = _split("train", texts, labels)
    val = _split("validation", ["khác một", "khác hai", texts[0], "khác ba"], [0, 1, 0, 1])
    excluded = _split("test", [t.upper() + " " for t in texts[:32]], labels[:32])  # matched after normalisation
    banned = {t.casefold() for t in texts[:32]}
    splits = {"train": train, "validation": val}

    fits = {b: fitter.fit_budget(model, "text", splits, b, seed=0, exclude=[excluded]) for b in (0.01, 0.25, 1.0)}
    for budget, fit in fits.items():
        trained_texts = [train.texts[train.ids.index(i)] for i in fit.train_ids]
        assert trained_texts and not {t.casefold() for t in trained_texts} & banned, budget
        assert fit.excluded == {"train": 32, "validation": 1}
    assert len(fits[1.0].train_ids) == 8
    assert set(fits[0.01].train_ids) <= set(fits[0.25].train_ids) <= set(fits[1.0].train_ids)
    assert all(2 not in val_idx for _, val_idx in seen)  # the validation row that is a test sentence is left out

    everything = _split("test", texts, labels)
    with pytest.raises(ValueError, match="Every train text"):
        fitter.fit_budget(model, "text", splits, 0.01, seed=0, exclude=[everything])


# --- 7. one metrics module ----------------------------------------------------------------------------------------


def test_selection_and_reporting_use_the_same_metrics():
    from sentiv_hf.benchmark.learners import selection_score
    from sentiv_hf.benchmark.tasks import Outcome, evaluate_outcome
    from sentiv_hf.metrics import metrics_from_logits

    names = ["Anger", "Enjoyment", "Fear", "Neutral"]
    gold = np.array([0, 0, 1, 1, 3, 3])  # Fear is absent from the gold labels but predicted once
    predicted = np.array([0, 2, 1, 1, 3, 0])
    logits = np.full((len(gold), len(names)), -2.0)
    logits[np.arange(len(gold)), predicted] = 3.0

    selected = selection_score("macro_f1", names, False)(gold, logits)
    reported = metrics_from_logits(logits, gold, label_names=names)["macro_f1"]
    outcome = Outcome([f"x{i}" for i in range(len(gold))], logits, gold, names, [])
    assert selected == reported == evaluate_outcome(outcome)[0]["macro_f1"]


def test_save_models_warns_about_runs_finished_without_it(corpus, tmp_path, caplog):
    config = {"tasks": ["text"], "models": ["baseline:tfidf-logreg"], "budgets": [1.0], "seeds": 1}
    BenchmarkRunner(BenchmarkConfig(dataset=str(corpus), output_dir=str(tmp_path), **config), progress=False).run()
    with caplog.at_level("WARNING", logger="sentiv_hf.benchmark.runner"):
        records = BenchmarkRunner(
            BenchmarkConfig(dataset=str(corpus), output_dir=str(tmp_path), **config), progress=False, save_models=True
        ).run()
    assert len(records) == 1 and records[0]["checkpoint"] is None
    assert "1 finished runs in" in caplog.text and "use a new --output_dir folder" in caplog.text
