"""Competition metrics by name.

Predictions follow the model contract: binary tasks score P(y=1) of shape ``(n,)``,
multiclass tasks a probability matrix ``(n, k)``, regression the predicted values.
Classification targets arrive encoded as integers ``0..k-1``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from podium.exceptions import ConfigError, did_you_mean

__all__ = ["Metric", "METRICS", "fold_prior", "get_metric"]

Array = np.ndarray
Chance = Callable[[Array, Array, str], Array]
"""``chance(y, fold, task)``: an informationless prediction for every row (see
:func:`fold_prior`); only the validated rows (``fold >= 0``) are scored."""


def fold_prior(
    y: Array, fold: Array, task: str, center: Callable[[Array], float] = np.mean
) -> Array:
    """Each validated row gets what its fold's training rows say without features.

    Classification: the training folds' class frequencies (P(y=1) for binary, a row of
    frequencies for multiclass). Regression: ``center`` of the training targets (the mean
    unless a metric says otherwise). Rows that are never validated get 0.
    """
    rows = np.flatnonzero(fold >= 0)
    n_classes = int(y.max()) + 1 if task != "regression" else 0
    pred = np.zeros((len(fold), n_classes)) if task == "multiclass" else np.zeros(len(fold))
    for k in np.unique(fold[rows]):
        tr, va = fold != k, fold == k
        if task == "regression":
            pred[va] = center(y[tr])
        else:
            freq = np.bincount(y[tr].astype(int), minlength=n_classes) / tr.sum()
            pred[va] = freq if task == "multiclass" else freq[1]
    return pred


@dataclass(frozen=True)
class Metric:
    """A scoring function with its direction and the tasks it applies to."""

    name: str
    func: Callable[[Array, Array], float]
    greater_is_better: bool
    tasks: frozenset[str]
    log_scaled: bool = False
    """Scores ``log1p`` of targets and predictions (RMSLE): ``target_transform: auto``
    then fits on ``log1p(y)`` (see :mod:`podium.engine.targets`)."""
    chance: Chance = fold_prior
    """What "no information" predicts (the permuted-target audit's chance level): by
    default :func:`fold_prior`; a metric whose best constant is another (the median for
    MAE) says so here."""

    def __call__(self, y_true: Array, y_pred: Array) -> float:
        return float(self.func(np.asarray(y_true), np.asarray(y_pred)))

    def better(self, a: float, b: float) -> bool:
        """Whether score ``a`` is better than score ``b``."""
        return a > b if self.greater_is_better else a < b


def _labels(y_pred: Array) -> Array:
    if y_pred.ndim == 2:
        return y_pred.argmax(axis=1)
    return (y_pred >= 0.5).astype(int)


def _roc_auc(y: Array, p: Array) -> float:
    if p.ndim == 2:
        return skm.roc_auc_score(y, p, multi_class="ovr", labels=np.arange(p.shape[1]))
    return skm.roc_auc_score(y, p)


def _logloss(y: Array, p: Array) -> float:
    if p.ndim == 2:
        return skm.log_loss(y, p, labels=np.arange(p.shape[1]))
    return skm.log_loss(y, p, labels=[0, 1])


def _f1(y: Array, p: Array) -> float:
    average = "macro" if p.ndim == 2 else "binary"
    return skm.f1_score(y, _labels(p), average=average)


def _rmsle(y: Array, p: Array) -> float:
    if np.any(y <= -1) or np.any(p <= -1):
        raise ValueError("rmsle needs targets and predictions greater than -1")
    return float(np.sqrt(np.mean((np.log1p(p) - np.log1p(y)) ** 2)))


def _half_for_binary(y: Array, fold: Array, task: str) -> Array:
    """ROC-AUC: a constant 0.5 for binary (AUC exactly 0.5), priors for multiclass."""
    if task == "binary":
        return np.full(len(fold), 0.5)
    return fold_prior(y, fold, task)


def _majority_for_binary(y: Array, fold: Array, task: str) -> Array:
    """Accuracy and F1: the majority class of all rows for binary, priors for multiclass."""
    if task == "binary":
        return np.full(len(fold), float(np.mean(y) >= 0.5))
    return fold_prior(y, fold, task)


def _median_prior(y: Array, fold: Array, task: str) -> Array:
    return fold_prior(y, fold, task, lambda v: float(np.median(v)))


def _log_mean_prior(y: Array, fold: Array, task: str) -> Array:
    return fold_prior(y, fold, task, lambda v: float(np.expm1(np.mean(np.log1p(v)))))


_CLS = frozenset({"binary", "multiclass"})
_REG = frozenset({"regression"})

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("roc_auc", _roc_auc, True, _CLS, chance=_half_for_binary),
        Metric("logloss", _logloss, False, _CLS),
        Metric(
            "accuracy", lambda y, p: skm.accuracy_score(y, _labels(p)), True, _CLS,
            chance=_majority_for_binary,
        ),  # fmt: skip
        Metric("f1", _f1, True, _CLS, chance=_majority_for_binary),
        Metric("rmse", lambda y, p: float(np.sqrt(np.mean((y - p) ** 2))), False, _REG),
        Metric("rmsle", _rmsle, False, _REG, log_scaled=True, chance=_log_mean_prior),
        Metric(
            "mae", lambda y, p: skm.mean_absolute_error(y, p), False, _REG,
            chance=_median_prior,
        ),  # fmt: skip
    )
}


def get_metric(name: str, task: str | None = None) -> Metric:
    """Look a metric up by name, checking it fits the task.

    Raises:
        ConfigError: unknown name (closest suggested) or a metric of another task.
    """
    if name not in METRICS:
        raise ConfigError(f"unknown metric {name!r}{did_you_mean(name, METRICS)}")
    metric = METRICS[name]
    if task is not None and task not in metric.tasks:
        fits = sorted(n for n, m in METRICS.items() if task in m.tasks)
        raise ConfigError(
            f"metric {name!r} does not fit task {task!r}; use one of: {', '.join(fits)}"
        )
    return metric
