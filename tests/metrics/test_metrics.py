from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)
from transformers import EvalPrediction

from sentiv_hf.labels import SPEECH_LABELS
from sentiv_hf.metrics import (
    METRIC_PATH,
    compute_classification_metrics,
    compute_multilabel_metrics,
    expected_calibration_error,
    load_metric,
    make_compute_metrics,
    softmax,
)

NAMES = list(SPEECH_LABELS)
RNG = np.random.default_rng(0)
REFS = RNG.integers(0, 6, size=60)
PREDS = np.where(RNG.random(60) < 0.6, REFS, RNG.integers(0, 6, size=60))
PROBS = softmax(RNG.normal(size=(60, 6)))


def _check_against_sklearn(result, preds, refs):
    assert result["accuracy"] == pytest.approx(accuracy_score(refs, preds))
    assert result["macro_f1"] == pytest.approx(f1_score(refs, preds, average="macro"))
    assert result["weighted_f1"] == pytest.approx(f1_score(refs, preds, average="weighted"))
    assert result["micro_f1"] == pytest.approx(f1_score(refs, preds, average="micro"))
    assert result["precision_macro"] == pytest.approx(precision_score(refs, preds, average="macro", zero_division=0))
    assert result["recall_macro"] == pytest.approx(recall_score(refs, preds, average="macro"))
    assert result["uar"] == pytest.approx(balanced_accuracy_score(refs, preds))
    per_class = f1_score(refs, preds, average=None, labels=range(len(NAMES)))
    for name, value in zip(NAMES, per_class):
        assert result[f"f1_{name}"] == pytest.approx(value)
    assert result["confusion_matrix"] == confusion_matrix(refs, preds, labels=range(len(NAMES))).tolist()


def test_classification_metrics_match_sklearn():
    result = compute_classification_metrics(PREDS, REFS, label_names=NAMES, probabilities=PROBS)
    _check_against_sklearn(result, PREDS, REFS)
    assert result["ece"] == pytest.approx(expected_calibration_error(PROBS, REFS))
    assert "ece" not in compute_classification_metrics(PREDS, REFS, label_names=NAMES)


def test_class_missing_everywhere_reports_zero_and_follows_sklearn_averages():
    refs = np.array([0, 1, 1, 2])
    preds = np.array([0, 1, 2, 2])
    result = compute_classification_metrics(preds, refs, label_names=NAMES)
    assert result["f1_Sadness"] == 0.0  # class 4 never occurs
    assert result["macro_f1"] == pytest.approx(f1_score(refs, preds, average="macro"))
    assert result["uar"] == pytest.approx((1.0 + 0.5 + 1.0) / 3)
    assert len(result["confusion_matrix"]) == 6


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true", "ignore:Recall is ill-defined")
def test_uar_is_balanced_accuracy_when_a_predicted_class_never_occurs(tmp_path):
    """Issue 9.16: UAR averages recall over the gold classes only (sklearn's balanced accuracy); a predicted class
    absent from the references no longer adds a recall of 0 (the old union gave (0.5 + 1 + 0) / 3 here)."""
    refs, preds = np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1])
    result = compute_classification_metrics(preds, refs, label_names=NAMES)
    assert result["uar"] == pytest.approx(balanced_accuracy_score(refs, preds)) == pytest.approx(0.75)
    assert result["recall_macro"] == pytest.approx(recall_score(refs, preds, average="macro"))  # sklearn's union
    for _ in range(20):
        n_gold = int(RNG.integers(2, 6))
        refs = RNG.integers(0, n_gold, size=40)
        preds = RNG.integers(0, 6, size=40)  # predicts classes the references never hold
        uar = compute_classification_metrics(preds, refs, label_names=NAMES)["uar"]
        assert uar == pytest.approx(balanced_accuracy_score(refs, preds))
    # the evaluate module computes it with the same function
    metric = load_metric(label_names=NAMES, cache_dir=str(tmp_path))
    evaluated = metric.compute(predictions=[0, 2, 1, 1], references=[0, 0, 1, 1])
    assert evaluated["uar"] == pytest.approx(0.75)


def test_f1_negative_is_the_per_class_f1_of_the_negative_label():
    """Issue 9.12: ``f1_negative`` (hotline binary headline) is sklearn's F1 of the class named "negative"."""
    from sentiv_hf.metrics import metrics_from_logits

    logits = RNG.normal(size=(80, 2))
    gold = RNG.integers(0, 2, size=80)
    for names in (["non-negative", "negative"], ["negative", "non-negative"]):
        expected = f1_score(gold, logits.argmax(-1), pos_label=names.index("negative"))
        assert metrics_from_logits(logits, gold, label_names=names)["f1_negative"] == pytest.approx(expected)


def test_ece_hand_example():
    probs = np.array([[0.9, 0.1], [0.65, 0.35], [0.3, 0.7], [0.45, 0.55]])
    labels = np.array([0, 1, 1, 1])
    # 10 bins: 0.9 -> bin (0.8, 0.9], correct; 0.65 -> (0.6, 0.7], wrong; 0.7 -> (0.6, 0.7], correct;
    # 0.55 -> (0.5, 0.6], correct.
    # Bin (0.8, 0.9]: 1/4 * |1 - 0.9| = 0.025; bin (0.6, 0.7]: 2/4 * |0.5 - 0.675| = 0.0875;
    # bin (0.5, 0.6]: 1/4 * |1 - 0.55| = 0.1125. ECE = 0.225.
    assert expected_calibration_error(probs, labels, n_bins=10) == pytest.approx(0.225)
    # One bin: |accuracy - mean confidence| = |0.75 - 0.7| = 0.05.
    assert expected_calibration_error(probs, labels, n_bins=1) == pytest.approx(0.05)
    perfectly_calibrated = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert expected_calibration_error(perfectly_calibrated, [0, 1]) == 0.0


def test_multilabel_metrics_match_sklearn():
    refs = (RNG.random((40, 4)) < 0.35).astype(int)
    scores = np.clip(refs * 0.6 + RNG.random((40, 4)) * 0.5, 0, 1)
    result = compute_multilabel_metrics(scores, refs, label_names=["a", "b", "c", "d"], threshold=0.5)
    preds = (scores >= 0.5).astype(int)
    for average in ("micro", "macro", "weighted", "samples"):
        expected = f1_score(refs, preds, average=average, zero_division=0)
        assert result[f"{average}_f1"] == pytest.approx(expected)
    assert result["uar"] == pytest.approx(recall_score(refs, preds, average="macro", zero_division=0))
    assert result["subset_accuracy"] == pytest.approx(accuracy_score(refs, preds))
    assert result["f1_c"] == pytest.approx(f1_score(refs[:, 2], preds[:, 2]))
    stricter = compute_multilabel_metrics(scores, refs, label_names=None, threshold=0.9)
    assert stricter["micro_f1"] == pytest.approx(f1_score(refs, (scores >= 0.9).astype(int), average="micro"))
    assert "f1_0" in stricter


def test_make_compute_metrics_for_trainer():
    logits = np.log(PROBS)
    labels = REFS.copy()
    labels[-2:] = -100  # padding rows from the distributed gather are dropped
    compute_metrics = make_compute_metrics(NAMES)
    extra_output = np.zeros((60, 3))  # e.g. embeddings returned next to the logits
    result = compute_metrics(EvalPrediction(predictions=(logits, extra_output), label_ids=labels))
    preds = PROBS.argmax(axis=1)[:-2]
    assert result["macro_f1"] == pytest.approx(f1_score(REFS[:-2], preds, average="macro"))
    assert result["ece"] == pytest.approx(expected_calibration_error(PROBS[:-2], REFS[:-2]))
    assert "confusion_matrix" not in result
    assert all(isinstance(value, float) for value in result.values())
    with_cm = make_compute_metrics(NAMES, include_confusion_matrix=True)(EvalPrediction(logits, REFS))
    assert np.asarray(with_cm["confusion_matrix"]).sum() == 60

    multi = make_compute_metrics(["a", "b"], multi_label=True, threshold=0.5)
    ml_result = multi(EvalPrediction(predictions=np.array([[3.0, -3.0], [-1.0, 2.0]]), label_ids=np.eye(2)))
    assert ml_result["micro_f1"] == 1.0 and ml_result["f1_b"] == 1.0


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="Got 2 predictions but 3 references"):
        compute_classification_metrics([0, 1], [0, 1, 1], label_names=None)
    with pytest.raises(ValueError, match="Got 2 label names"):
        compute_classification_metrics([0, 5], [0, 1], label_names=["a", "b"])
    with pytest.raises(ValueError, match="multi-hot"):
        compute_multilabel_metrics([[0.1, 0.2]], [[2, 0]], label_names=None)
    with pytest.raises(ValueError, match="Unknown sentiv_emotion config 'regression'"):
        load_metric("regression")


def test_evaluate_load_offline_matches_helpers(tmp_path):
    assert (METRIC_PATH / "sentiv_emotion.py").is_file()
    metric = load_metric(label_names=NAMES, cache_dir=str(tmp_path))
    for start in range(0, 60, 20):  # accumulate batches as in an evaluation loop
        metric.add_batch(predictions=PREDS[start : start + 20], references=REFS[start : start + 20])
    result = metric.compute(probabilities=PROBS)
    assert result == compute_classification_metrics(PREDS, REFS, label_names=NAMES, probabilities=PROBS)
    # Names passed at compute time win over those given to load.
    renamed = metric.compute(predictions=[0, 1], references=[0, 1], label_names=["x", "y"])
    assert renamed["f1_x"] == 1.0 and "f1_Anger" not in renamed

    multi = load_metric("multilabel", label_names=["a", "b"], threshold=0.7, cache_dir=str(tmp_path))
    ml = multi.compute(predictions=[[0.8, 0.6], [0.2, 0.9]], references=[[1, 1], [0, 1]])
    assert ml["f1_a"] == 1.0 and ml["f1_b"] == pytest.approx(2 / 3) and ml["threshold"] == 0.7


def test_evaluate_load_by_path_in_fresh_offline_process(tmp_path):
    # A plain `evaluate.load(<folder>)`, without sentiv_hf imported, with the Hub switched off.
    code = (
        "import evaluate, sys\n"
        "m = evaluate.load(sys.argv[1], label_names=['Anger', 'Joy'], cache_dir=sys.argv[2])\n"
        "r = m.compute(predictions=[0, 1, 1], references=[0, 1, 0])\n"
        "print(round(r['macro_f1'], 4), r['f1_Joy'], r['confusion_matrix'])\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_MODULES_CACHE=str(tmp_path / "modules"))
    proc = subprocess.run(
        [sys.executable, "-c", code, str(METRIC_PATH), str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "0.6667 0.6666666666666666 [[1, 1], [0, 1]]"
    assert any(Path(tmp_path / "modules").rglob("sentiv_emotion.py"))


def test_metric_functions_do_not_import_evaluate(tmp_path):
    # `evaluate` imports transformers' pipelines (seconds); the package's metric functions must not pay for it.
    code = "import sys, sentiv_hf.metrics as m\nprint(m.softmax([[0.0, 0.0]]).tolist(), 'evaluate' in sys.modules)\n"
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[[0.5, 0.5]] False"
