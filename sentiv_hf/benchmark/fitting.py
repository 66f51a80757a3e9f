"""`BudgetFitter`: what a task asks for, "fit this model on this label budget", answered with the package's API.

It draws the nested budget (`sentiv_hf.data.budgets.budget_indices`), builds each model once with its kind's builder
(the base model whose frozen encoder fills the feature cache), and hands the rows to the learner of the encoder mode
(`learners.fit_frozen`, `fit_finetune` or `fit_baseline`). Fits are memoised, so the multimodal task reuses the text
and speech models of the same budget and seed.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from sentiv_hf.data.loading import Split

from .features import FeatureProvider
from .kinds import ModelSpec
from .learners import FitRequest, Fitted, TrainSettings, fit_baseline, fit_context, fit_finetune, fit_frozen

logger = logging.getLogger(__name__)
#: seed of the base model whose (random-init or pretrained) encoder every run of a kind shares.
BASE_SEED = 0
#: fits kept for reuse (a multimodal run needs the text and the speech fit of its budget and seed).
MEMOISED_FITS = 4


@dataclass
class BudgetFit:
    """A model fitted on one budget, with the ids it trained on and what was left out."""

    fitted: Fitted
    train_ids: list[str]
    excluded: dict[str, int] | None = None


class BudgetFitter:
    """Fits models on label budgets with the learner of ``settings.encoder``.

    Args:
        settings: how neural models train (mode, epochs, preprocessing).
        provider: the frozen-feature cache.

    Example:
        >>> fitter = BudgetFitter(TrainSettings(), FeatureProvider(FeatureCache("out/cache")))  # doctest: +SKIP
        >>> fit = fitter.fit_budget(parse_model("tiny"), "text", splits, 0.1, seed=0)  # doctest: +SKIP
    """

    def __init__(self, settings: TrainSettings, provider: FeatureProvider) -> None:
        self.settings = settings
        self.provider = provider
        self._bases: dict[tuple, tuple[Any, Any]] = {}
        # The last few fits only: each may hold a whole fine-tuned model. The plan runs the fusion strategies of one
        # (budget, seed) back to back, so they find their text and speech models here.
        self._fits: OrderedDict[tuple, BudgetFit] = OrderedDict()

    def finetunes(self, model: ModelSpec) -> bool:
        """Whether ``model`` trains end to end (``finetune``/``lora``) rather than as a head on cached features."""
        return self.settings.encoder != "frozen" and not model.is_baseline

    def base(
        self, model: ModelSpec, modality: str, label_names: list[str], multi_label: bool, train_texts: list[str]
    ) -> tuple[Any, Any]:
        """The model built once per (kind, modality, labels, tokenizer texts): its frozen encoder fills the cache and
        every run trains the head of a copy of it."""
        key = (model.name, modality, tuple(label_names), multi_label, hash(tuple(train_texts)) if train_texts else 0)
        if key not in self._bases:
            self._bases[key] = model.build(
                modality,
                label_names,
                seed=BASE_SEED,
                preprocessing=self.settings.preprocessing,
                multi_label=multi_label,
                train_texts=train_texts,
            )
        return self._bases[key]

    def inputs(self, model: ModelSpec, modality: str, split: Split, base=None):
        """What a baseline reads: raw texts (TF-IDF) or MFCC statistics."""
        return model.baseline_inputs(split, lambda s: self.provider.features(model, modality, s, base))

    def fit_rows(
        self,
        model: ModelSpec,
        modality: str,
        train: Split,
        idx: np.ndarray,
        val: Split,
        val_idx: np.ndarray,
        *,
        seed: int,
        metric: str = "macro_f1",
        multi_label: bool = False,
        train_texts: list[str] | None = None,
    ) -> Fitted:
        """Fit on ``train[idx]``, select on ``val[val_idx]``, with the learner of the model and encoder mode.

        Args:
            train_texts: texts a ``tiny`` tokenizer is trained on (default: ``train``'s texts).
        """
        request = FitRequest(model, modality, train, idx, val, val_idx, seed, metric, multi_label)
        if model.is_baseline:
            return fit_baseline(request, lambda split: self.inputs(model, modality, split))
        texts = train_texts if train_texts is not None else (train.texts if modality == "text" else [])
        if self.finetunes(model):
            return fit_finetune(request, self.settings, train_texts=texts)
        base = self.base(model, modality, request.label_names, multi_label, texts)

        def features(split: Split) -> np.ndarray:
            return self.provider.features(model, modality, split, base)

        return fit_frozen(request, self.settings, base, features)

    def fit_context_rows(
        self,
        model: ModelSpec,
        calls: Split,
        idx: np.ndarray,
        context_rows: np.ndarray,
        val_idx: np.ndarray,
        *,
        seed: int,
        metric: str,
        multi_label: bool = False,
    ) -> Fitted:
        """The hotline ``context`` variant: a context head over the frozen segment features of whole calls
        (`fit_context`), labelled on ``calls[idx]``, with the rest of ``context_rows`` as unlabelled context."""
        if model.is_baseline or self.finetunes(model):
            raise ValueError(
                f"The context variant trains on frozen segment features; {model.name!r} "
                f"{'is a baseline' if model.is_baseline else 'fine-tunes its encoder'}. Run it with variant segment."
            )
        request = FitRequest(model, "speech", calls, idx, calls, val_idx, seed, metric, multi_label)
        base = self.base(model, "speech", request.label_names, multi_label, [])

        def features(split: Split) -> np.ndarray:
            return self.provider.features(model, "speech", split, base)

        return fit_context(request, self.settings, base, features, context_rows)

    def fit_budget(
        self,
        model: ModelSpec,
        modality: str,
        splits: dict[str, Split],
        budget: float,
        seed: int,
        *,
        exclude: list[Split] = (),
        exclude_from_validation: list[Split] | None = None,
        train_texts: list[str] | None = None,
    ) -> BudgetFit:
        """Fit ``model`` on the ``budget`` subset of ``splits["train"]``, selecting on ``splits["validation"]``.

        Args:
            exclude: evaluation split(s) of *another* config (the multimodal transcripts): train and validation rows
                whose text also occurs there are removed *before* the budget is drawn, so that a sentence the text
                model saw is never scored as a test example, whatever the budget. The budget is drawn on that
                filtered pool with the same seed, so budgets stay nested.
            exclude_from_validation: the splits validation rows must not share a text with (default: ``exclude``);
                the multimodal task lets the text model select on sentences of the fusion's validation split, never
                of its test split.
        """
        from sentiv_hf.data.budgets import budget_indices
        from sentiv_hf.labels import normalize_label_key

        banned = {normalize_label_key(t) for split in exclude for t in split.texts}
        val_exclude = exclude if exclude_from_validation is None else exclude_from_validation
        val_banned = {normalize_label_key(t) for split in val_exclude for t in split.texts}
        train, val = splits["train"], splits["validation"]
        key = (id(train), modality, model.name, budget, seed, hash(frozenset(banned)), hash(frozenset(val_banned)))
        if key in self._fits:
            self._fits.move_to_end(key)
            return self._fits[key]
        pool = np.arange(len(train))
        val_idx = np.arange(len(val))
        excluded = None
        if banned or val_banned:
            pool = pool[[normalize_label_key(t) not in banned for t in train.texts]]
            val_idx = val_idx[[normalize_label_key(t) not in val_banned for t in val.texts]]
            excluded = {"train": int(len(train) - pool.size), "validation": int(len(val) - val_idx.size)}
            if pool.size == 0 or val_idx.size == 0:
                raise ValueError(
                    f"Every {'train' if pool.size == 0 else 'validation'} text of {train.name!r}'s config also occurs "
                    "in the evaluation split it must stay disjoint from; nothing is left to "
                    f"{'train' if pool.size == 0 else 'select'} on. Give the multimodal config transcripts that are "
                    "not all text-task sentences."
                )
        idx = pool[budget_indices(train.labels[pool].tolist(), budget, seed)]
        fitted = self.fit_rows(
            model,
            modality,
            train,
            idx,
            val,
            val_idx,
            seed=seed,
            train_texts=train_texts if train_texts is not None else (train.texts if modality == "text" else None),
        )
        if excluded:
            fitted.selection["excluded_overlap"] = excluded
        fit = BudgetFit(fitted, [train.ids[i] for i in idx], excluded)
        self._fits[key] = fit
        while len(self._fits) > MEMOISED_FITS:
            self._fits.popitem(last=False)
        return fit


def _rows(x, idx: np.ndarray):
    """Rows ``idx`` of a feature array or of a list (raw texts for TF-IDF)."""
    return [x[i] for i in idx] if isinstance(x, list) else x[idx]


__all__ = ["BASE_SEED", "BudgetFit", "BudgetFitter"]
