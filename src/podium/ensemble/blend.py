"""Blenders: ways to combine level-1 predictions, each fit on out-of-fold predictions.

A blender has ``fit(P, y, metric)`` and ``predict(P)``; ``P`` stacks the models'
predictions along the last axis: ``(n, m)`` for binary and regression, ``(n, k, m)`` for
multiclass probabilities. Every fitted blender exposes ``weights_`` (non-negative, summing
to 1) where weights make sense.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logit, softmax
from scipy.stats import rankdata

from podium.exceptions import ConfigError, did_you_mean
from podium.metrics import Metric

__all__ = [
    "BLENDERS",
    "Blender",
    "BestBlender",
    "HillClimbBlender",
    "MeanBlender",
    "PowerBlender",
    "RankBlender",
    "WeightsBlender",
    "make_blender",
]

_EPS = 1e-6


def _combine(P: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.tensordot(P, w, axes=([P.ndim - 1], [0]))


def _loss(metric: Metric, y: np.ndarray, pred: np.ndarray) -> float:
    score = metric(y, pred)
    return -score if metric.greater_is_better else score


class Blender:
    """Base: a fixed weighted mean; subclasses learn ``weights_`` or transform inputs."""

    def fit(self, P: np.ndarray, y: np.ndarray, metric: Metric) -> Self:
        self.weights_ = np.full(P.shape[-1], 1.0 / P.shape[-1])
        return self

    def predict(self, P: np.ndarray) -> np.ndarray:
        return _combine(P, self.weights_)

    def describe(self) -> dict[str, Any]:
        return {"weights": [float(w) for w in self.weights_]}


class MeanBlender(Blender):
    """The plain average (nothing is fit, so its in-sample CV is already honest)."""


class BestBlender(Blender):
    """All weight on the single model with the best score on the rows it is fit on."""

    def fit(self, P: np.ndarray, y: np.ndarray, metric: Metric) -> Self:
        losses = [_loss(metric, y, P[..., j]) for j in range(P.shape[-1])]
        self.weights_ = np.eye(P.shape[-1])[int(np.argmin(losses))]
        return self


class WeightsBlender(Blender):
    """Weights optimised on the metric: non-negative and summing to 1 (a softmax of free
    parameters), searched with Powell's method from equal weights (works for rank metrics
    such as ROC-AUC that have no gradient)."""

    def __init__(self, max_iter: int = 2000) -> None:
        self.max_iter = max_iter

    def fit(self, P: np.ndarray, y: np.ndarray, metric: Metric) -> Self:
        m = P.shape[-1]
        if m == 1:
            self.weights_ = np.ones(1)
            return self

        def objective(z: np.ndarray) -> float:
            return _loss(metric, y, _combine(P, softmax(z)))

        res = minimize(objective, np.zeros(m), method="Powell", options={"maxiter": self.max_iter})
        w = softmax(res.x)
        w[w < 1e-4] = 0.0
        self.weights_ = w / w.sum()
        return self


class RankBlender(WeightsBlender):
    """Weighted mean of ranks scaled to [0, 1] (for rank metrics such as ROC-AUC).

    Test rows are ranked against the training predictions of the same model, so a test
    row's value does not depend on the other test rows.
    """

    def fit(self, P: np.ndarray, y: np.ndarray, metric: Metric) -> Self:
        if P.ndim != 2:
            raise ConfigError("ensemble method 'rank' works for binary and regression tasks")
        self.reference_ = np.sort(P, axis=0)
        return super().fit(self._ranks(P), y, metric)

    def _ranks(self, P: np.ndarray) -> np.ndarray:
        n = self.reference_.shape[0]
        cols = []
        for j in range(P.shape[1]):
            lo = np.searchsorted(self.reference_[:, j], P[:, j], side="left")
            hi = np.searchsorted(self.reference_[:, j], P[:, j], side="right")
            cols.append((lo + hi) / (2.0 * n))
        return np.column_stack(cols)

    def predict(self, P: np.ndarray) -> np.ndarray:
        return _combine(self._ranks(P), self.weights_)


class PowerBlender(WeightsBlender):
    """Weighted mean in a transformed space: ``logit`` (binary probabilities) or
    ``power`` (``mean(p ** power) ** (1 / power)``)."""

    def __init__(self, space: str = "logit", power: float = 2.0, max_iter: int = 2000) -> None:
        super().__init__(max_iter=max_iter)
        self.space = space
        self.power = power

    def _forward(self, P: np.ndarray) -> np.ndarray:
        if self.space == "logit":
            return logit(np.clip(P, _EPS, 1 - _EPS))
        return np.power(np.clip(P, 0, None), self.power)

    def _inverse(self, Z: np.ndarray) -> np.ndarray:
        if self.space == "logit":
            return expit(Z)
        return np.power(np.clip(Z, 0, None), 1.0 / self.power)

    def fit(self, P: np.ndarray, y: np.ndarray, metric: Metric) -> Self:
        if self.space not in ("logit", "power"):
            raise ConfigError(f"ensemble space must be logit or power, got {self.space!r}")
        Z = self._forward(P)
        m = P.shape[-1]

        def objective(z: np.ndarray) -> float:
            return _loss(metric, y, self._inverse(_combine(Z, softmax(z))))

        res = minimize(objective, np.zeros(m), method="Powell", options={"maxiter": self.max_iter})
        w = softmax(res.x)
        w[w < 1e-4] = 0.0
        self.weights_ = w / w.sum()
        return self

    def predict(self, P: np.ndarray) -> np.ndarray:
        return self._inverse(_combine(self._forward(P), self.weights_))


class HillClimbBlender(Blender):
    """Caruana et al. (2004) ensemble selection with replacement.

    Starts from the best single model and repeatedly adds (with replacement) the model
    that most improves the metric of the running average, for ``n_iter`` steps or until
    nothing improves; weights are the selection counts.
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-7) -> None:
        self.n_iter = n_iter
        self.tol = tol

    def fit(self, P: np.ndarray, y: np.ndarray, metric: Metric) -> Self:
        m = P.shape[-1]
        counts = np.zeros(m)
        losses = [_loss(metric, y, P[..., j]) for j in range(m)]
        first = int(np.argmin(losses))
        counts[first] = 1
        total = P[..., first].copy()
        best = losses[first]
        for _ in range(self.n_iter):
            k = counts.sum()
            trial = [_loss(metric, y, (total + P[..., j]) / (k + 1)) for j in range(m)]
            j = int(np.argmin(trial))
            if trial[j] > best - self.tol:
                break
            best = trial[j]
            counts[j] += 1
            total = total + P[..., j]
        self.weights_ = counts / counts.sum()
        return self


BLENDERS: dict[str, type[Blender]] = {
    "best": BestBlender,
    "mean": MeanBlender,
    "weights": WeightsBlender,
    "rank": RankBlender,
    "power": PowerBlender,
    "hill": HillClimbBlender,
}


def make_blender(method: str, params: dict[str, Any] | None = None) -> Blender:
    """A blender by name (``best mean weights rank power hill``)."""
    if method not in BLENDERS:
        raise ConfigError(f"unknown ensemble method {method!r}{did_you_mean(method, BLENDERS)}")
    try:
        return BLENDERS[method](**(params or {}))
    except TypeError as exc:
        raise ConfigError(f"ensemble method {method!r}: {exc}") from None


def rank_columns(P: np.ndarray) -> np.ndarray:
    """Ranks per column scaled to (0, 1] (ties get their average rank)."""
    return np.column_stack([rankdata(P[:, j]) / len(P) for j in range(P.shape[1])])
