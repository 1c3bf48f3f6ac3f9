"""Fast stand-ins for metrics while blend weights are searched.

A weight search evaluates the metric hundreds of times; scikit-learn's ROC-AUC and log
loss spend most of that time checking their inputs. These compute the same values from
numpy directly. They only steer the search: a blender's final in-sample check uses the
competition's metric itself.

With ``groups`` (the fold of each row) the loss is the mean of the per-fold metric, the
figure a model's CV reports, so a blend and its members are compared on one scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import rankdata

from podium.metrics import Metric

__all__ = ["group_rows", "loss", "search_objective"]


def loss(
    metric: Metric, y: np.ndarray, pred: np.ndarray, groups: np.ndarray | None = None
) -> float:
    """The metric as a loss (negated when greater is better); per-group mean with groups."""
    if groups is not None:
        return float(np.mean([loss(metric, y[g], pred[g]) for g in group_rows(groups)]))
    score = metric(y, pred)
    return -score if metric.greater_is_better else score


def group_rows(groups: np.ndarray) -> list[np.ndarray]:
    """The row indices of each distinct group (fold), in sorted group order."""
    groups = np.asarray(groups)
    return [np.flatnonzero(groups == g) for g in np.unique(groups)]


def search_objective(
    metric: Metric, y: np.ndarray, groups: np.ndarray | None = None
) -> Callable[[np.ndarray], float]:
    """The loss of a prediction of rows ``y``, fast for ROC-AUC and log loss.

    With ``groups``, the mean of the per-group losses.
    """
    y = np.asarray(y)
    if groups is not None:
        parts = [(rows, search_objective(metric, y[rows])) for rows in group_rows(groups)]
        return lambda pred: float(np.mean([f(pred[rows]) for rows, f in parts]))
    exact = lambda pred: loss(metric, y, pred)  # noqa: E731
    integer = np.issubdtype(y.dtype, np.integer) or bool(np.all(y == np.round(y)))
    if metric.name not in ("roc_auc", "logloss") or not integer or y.ndim != 1:
        return exact
    labels = y.astype(np.int64)
    positive = labels == 1
    binary = bool(np.isin(labels, (0, 1)).all()) and 0 < int(positive.sum()) < len(y)
    rows = np.arange(len(y))

    def fast(pred: np.ndarray) -> float:
        if metric.name == "roc_auc":
            if pred.ndim == 1:
                return -_auc(positive, pred) if binary else exact(pred)
            if labels.min() < 0 or labels.max() >= pred.shape[1]:
                return exact(pred)
            per_class = [_auc(labels == c, pred[:, c]) for c in range(pred.shape[1])]
            return exact(pred) if np.isnan(per_class).any() else -float(np.mean(per_class))
        eps = np.finfo(np.float64).eps
        if pred.ndim == 1:
            if not binary:
                return exact(pred)
            p = np.clip(pred, eps, 1 - eps)
            return -float(np.mean(np.where(positive, np.log(p), np.log1p(-p))))
        if labels.min() < 0 or labels.max() >= pred.shape[1]:
            return exact(pred)
        p = np.clip(pred, eps, None)
        p = p / p.sum(axis=1, keepdims=True)
        return -float(np.mean(np.log(np.clip(p[rows, labels], eps, 1))))

    return fast


def _auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC from ranks (ties count one half, as scikit-learn's); NaN for one class."""
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
