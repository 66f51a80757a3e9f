"""The two classical baselines that run anywhere and anchor every table.

* ``baseline:tfidf-logreg`` (text): word 1-2-gram + character 2-5-gram TF-IDF, class-balanced logistic regression.
* ``baseline:mfcc-logreg`` (speech): torchaudio MFCCs with deltas and delta-deltas, mean and standard deviation over
  time, standardised, class-balanced logistic regression.

Both pick ``C`` on the validation split with the task's headline metric, like the neural heads pick their epoch
(`fit_select_c`, one loop for both). The features (vectoriser or scaler) are fitted once per budget and seed on the
training rows; only the classifier is refitted per ``C``. The classifier is liblinear's logistic regression, one
class against the rest: its coordinate descent costs about linearly in the non-zeros of the training matrix, where
lbfgs on the multinomial loss needed ever more iterations as the rows and ``C`` grew (issue 12).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torchaudio
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

logger = logging.getLogger(__name__)

C_GRID: tuple[float, ...] = (0.3, 3.0, 30.0)
MFCC_SAMPLE_RATE = 16000
N_MFCC = 20


def _logreg(C: float, seed: int, dual: bool) -> OneVsRestClassifier:
    """Class-balanced liblinear logistic regression, one independent classifier per class (or per label).

    One-vs-rest is liblinear's only multi-class form and also the multi-label one. ``dual=True`` suits many more
    features than rows (n-grams), ``dual=False`` few dense features (MFCC statistics), as liblinear advises.
    """
    clf = LogisticRegression(
        C=C, solver="liblinear", dual=dual, class_weight="balanced", max_iter=1000, random_state=seed
    )
    return OneVsRestClassifier(clf)


def build_tfidf_logreg(C: float = 3.0, seed: int = 0, multi_label: bool = False) -> Pipeline:
    """Word + character n-gram TF-IDF and a class-balanced logistic regression.

    ``multi_label`` is accepted for the builder signature that `fit_select_c` calls; the one-vs-rest classifier
    handles single- and multi-label targets alike.

    Example:
        >>> model = build_tfidf_logreg().fit(["vui quá", "buồn quá"], [0, 1])
        >>> model.predict(["vui quá"]).tolist()
        [0]
    """
    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)),
        ]
    )
    return Pipeline([("tfidf", features), ("logreg", _logreg(C, seed, dual=True))])


def build_mfcc_logreg(C: float = 3.0, seed: int = 0, multi_label: bool = False) -> Pipeline:
    """Standardised MFCC statistics (see `mfcc_statistics`) and a class-balanced logistic regression."""
    return make_pipeline(StandardScaler(), _logreg(C, seed, dual=False))


_MFCC_TRANSFORM: torchaudio.transforms.MFCC | None = None


def mfcc_statistics(waveform: np.ndarray | torch.Tensor, sampling_rate: int = MFCC_SAMPLE_RATE) -> np.ndarray:
    """Mean and standard deviation over time of 20 MFCCs, their deltas and delta-deltas (120 values).

    Args:
        waveform: mono samples, shape ``(T,)``, at ``sampling_rate``.
        sampling_rate: resampled to 16 kHz when different.

    Example:
        >>> mfcc_statistics(np.zeros(16000, dtype=np.float32)).shape
        (120,)
    """
    global _MFCC_TRANSFORM
    wav = torch.as_tensor(np.asarray(waveform, dtype=np.float32)).reshape(1, -1)
    if sampling_rate != MFCC_SAMPLE_RATE:
        wav = torchaudio.functional.resample(wav, sampling_rate, MFCC_SAMPLE_RATE)
    if wav.shape[-1] < 400:  # shorter than one analysis window
        wav = torch.nn.functional.pad(wav, (0, 400 - wav.shape[-1]))
    if _MFCC_TRANSFORM is None:
        _MFCC_TRANSFORM = torchaudio.transforms.MFCC(
            sample_rate=MFCC_SAMPLE_RATE,
            n_mfcc=N_MFCC,
            melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 40},
        )
    with torch.no_grad():
        mfcc = _MFCC_TRANSFORM(wav)[0]  # (n_mfcc, frames)
        delta = torchaudio.functional.compute_deltas(mfcc)
        delta2 = torchaudio.functional.compute_deltas(delta)
        feats = torch.cat([mfcc, delta, delta2], dim=0)
        stats = torch.cat([feats.mean(dim=1), feats.std(dim=1, unbiased=False)])
    return stats.numpy().astype(np.float32)


def fit_select_c(
    build: Callable[..., Pipeline],
    x_train,
    y_train: np.ndarray,
    x_val,
    y_val: np.ndarray,
    score: Callable[[np.ndarray, np.ndarray], float],
    *,
    num_labels: int,
    seed: int,
    multi_label: bool = False,
    grid: Sequence[float] = C_GRID,
) -> tuple[Pipeline, float, float]:
    """Fit the features once, one classifier per ``C`` in ``grid`` on them, and keep the best on validation.

    The pipeline's steps before the last (the vectoriser or scaler) do not depend on ``C``: they are fitted once on
    the training rows, and the training and validation matrices are computed once. Only the validation rows are
    scored; the test rows never reach this function. The grid is walked from the strongest regularisation up and
    stops at the first ``C`` that scores below the best so far: a larger ``C`` costs more solver iterations (at 60k
    rows, ``C=30`` takes 15x the time of ``C=0.3``) and past the validation optimum it only overfits more.

    Args:
        build: ``build(C=, seed=, multi_label=) -> Pipeline`` (`build_tfidf_logreg` or `build_mfcc_logreg`); its last
            step is the classifier.
        score: ``score(gold, probabilities) -> float``, probabilities ``(N, num_labels)``.
        num_labels: classes of the task (a small budget may miss some; their probability is 0).

    Returns:
        ``(pipeline, C, validation score)``: the selected, fitted pipeline, its ``C`` and its ``score``.

    Example:
        >>> model, c, _ = fit_select_c(build_tfidf_logreg, ["vui", "buồn"], np.array([0, 1]), ["vui"], np.array([0]),
        ...                         lambda gold, probs: float((probs.argmax(-1) == gold).mean()), num_labels=2, seed=0)
        >>> c
        0.3
    """
    if not multi_label and len(present := np.unique(y_train)) < 2:
        # Logistic regression needs two classes; a tiny budget can hold one, then predict it everywhere.
        constant = _ConstantModel(int(present[0]))
        return constant, float(grid[0]), score(y_val, predict_scores(constant, x_val, num_labels, multi_label))
    features = build(C=grid[0], seed=seed, multi_label=multi_label)[:-1]
    train_matrix = features.fit_transform(x_train, y_train)
    val_matrix = features.transform(x_val)
    best, best_c, best_score = None, None, -np.inf
    for c in sorted(grid):
        name, classifier = build(C=c, seed=seed, multi_label=multi_label).steps[-1]
        with warnings.catch_warnings():
            # One-vs-rest warns for every label absent from a small budget; that label is then predicted constant.
            warnings.filterwarnings("ignore", message="Label not .* is present", category=UserWarning)
            classifier.fit(train_matrix, y_train)
        value = score(y_val, predict_scores(classifier, val_matrix, num_labels, multi_label))
        logger.debug("C=%s: validation score %.4f", c, value)
        if value > best_score + 1e-12:
            best, best_c, best_score = (name, classifier), c, value
        elif value < best_score - 1e-12:
            break  # past the validation optimum (see above)
    return Pipeline([*features.steps, best]), float(best_c), float(best_score)


def predict_scores(model, inputs, num_labels: int, multi_label: bool = False) -> np.ndarray:
    """Class probabilities ``(N, num_labels)`` of a fitted baseline; classes unseen in training get 0."""
    probs = np.asarray(model.predict_proba(inputs), dtype=np.float64)
    return probs if multi_label else expand_to_labels(model, probs, num_labels)


def expand_to_labels(model, probs: np.ndarray, num_labels: int) -> np.ndarray:
    """Place the columns of ``probs`` (the classes seen in training) into a ``(N, num_labels)`` matrix."""
    classes = getattr(model, "classes_", None)
    if classes is None or (len(classes) == num_labels and np.array_equal(classes, np.arange(num_labels))):
        return probs
    full = np.zeros((probs.shape[0], num_labels), dtype=np.float64)
    full[:, np.asarray(classes, dtype=int)] = probs
    return full


class _ConstantModel:
    """Predicts the only class seen in training."""

    def __init__(self, label: int) -> None:
        self.classes_ = np.array([label])

    def fit(self, x, y):
        return self

    def predict_proba(self, inputs) -> np.ndarray:
        return np.ones((len(inputs), 1))
