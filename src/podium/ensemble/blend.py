"""Blenders: ways to combine level-1 predictions, each fit on out-of-fold predictions.

A blender has ``fit(P, y, metric, groups=None)`` and ``predict(P)``; ``P`` stacks the
models' predictions along the last axis: ``(n, m)`` for binary and regression, ``(n, k, m)``
for multiclass probabilities. ``groups`` (each row's fold) makes the fitted score the mean
of the per-fold metric, as a model's CV is. Every fitted blender exposes ``weights_``
(non-negative, summing to 1) where weights make sense. The blenders that fit weights
(``weights rank power hill``) never score worse in-sample than their best member, on the
score they are fit on: they fall back to it.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import signature
from typing import Any, Self

import numpy as np
from scipy.special import expit, logit
from scipy.stats import rankdata

from podium.ensemble._objective import loss as _loss
from podium.ensemble._objective import search_objective
from podium.ensemble._simplex import caruana, corner, optimise, safe_loss
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


class Blender:
    """Base: a fixed weighted mean; subclasses learn ``weights_`` or transform inputs."""

    def check_params(self) -> None:
        """Raise ConfigError for a parameter value the blender cannot use (before any fit:
        :func:`make_blender` calls it)."""

    def fit(
        self, P: np.ndarray, y: np.ndarray, metric: Metric, groups: np.ndarray | None = None
    ) -> Self:
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

    def fit(
        self, P: np.ndarray, y: np.ndarray, metric: Metric, groups: np.ndarray | None = None
    ) -> Self:
        losses = [_loss(metric, y, P[..., j], groups) for j in range(P.shape[-1])]
        self.weights_ = np.eye(P.shape[-1])[int(np.argmin(losses))]
        return self


class _FittedWeights(Blender):
    """Base of the blenders that fit weights, with the guarantee that the fitted blend
    scores in-sample no worse than the best single member.

    Subclasses set how inputs are mapped (``_space``, ``_prepare``) and how weights are
    searched (``_search``). If the searched blend loses to the best member on the rows
    it was fit on, the blender falls back to that member: ``weights_`` is its corner and
    ``member_`` its index, and ``predict`` returns its predictions unchanged.
    """

    def _prepare(self, P: np.ndarray) -> None:
        """Learn what ``_space`` needs from the fitting rows (e.g. rank references)."""

    def _space(self, P: np.ndarray) -> np.ndarray:
        """The members' predictions in the space where they are averaged."""
        return P

    def _out(self, Z: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Blend in the averaging space, mapped back to predictions."""
        return _combine(Z, w)

    def _search(self, loss: Callable[[np.ndarray], float], m: int, first: int) -> np.ndarray:
        raise NotImplementedError

    def fit(
        self, P: np.ndarray, y: np.ndarray, metric: Metric, groups: np.ndarray | None = None
    ) -> Self:
        m = P.shape[-1]
        score = safe_loss(lambda pred: _loss(metric, y, pred, groups))
        losses = [score(P[..., j]) for j in range(m)]  # exactly what the fallback predicts
        first = int(np.argmin(losses))
        self._prepare(P)
        Z = self._space(P)
        w = self._weights(Z, y, metric, groups, first) if m > 1 else np.ones(1)
        if score(self._out(Z, w)) <= losses[first]:
            self.weights_, self.member_ = np.asarray(w, dtype=float), None
        else:
            self.weights_, self.member_ = corner(m, first), first
        return self

    def _weights(
        self, Z: np.ndarray, y: np.ndarray, metric: Metric, groups: np.ndarray | None, first: int
    ) -> np.ndarray:
        """Weights searched on the rows of ``Z`` (the averaging space), from member
        ``first``."""
        objective = search_objective(metric, y, groups)
        return self._search(safe_loss(lambda w: objective(self._out(Z, w))), Z.shape[-1], first)

    def predict(self, P: np.ndarray) -> np.ndarray:
        if self.member_ is not None:
            return P[..., self.member_]
        return self._out(self._space(P), self.weights_)

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.member_ is not None:
            out["fallback_member"] = int(self.member_)
        return out


class WeightsBlender(_FittedWeights):
    """Weights optimised on the metric: non-negative and summing to 1.

    Searched from two starts, the best single model's corner and Caruana's greedy
    selection with replacement, with SLSQP on the simplex and then, where the metric has
    no gradient in the weights (ROC-AUC, accuracy), a coordinate line search toward each
    member. Such a metric's optimum is a plateau picked by a few rows, so there the weights
    are also bagged over the folds (``bag: auto``): searched once leaving out each fold in
    turn and averaged. On 31 telecom_churn runs (auto and strong, 23 seeds) the nested CV
    was 0.84926 ROC-AUC with the line search alone and 0.84929 bagged, beside the best
    single model's 0.84928 (``bench/blend_bagging.py``); on 16 of them Powell's method,
    before, gave 0.84918 and the line search 0.84925. ``bag: true`` bags for every metric,
    ``false`` never. In-sample the blend never scores worse than the best member (it falls
    back to that member otherwise).
    """

    def __init__(self, max_iter: int = 2000, bag: bool | str = "auto") -> None:
        self.max_iter = max_iter
        self.bag = bag

    def check_params(self) -> None:
        if self.bag not in ("auto", True, False):
            raise ConfigError(f"ensemble param bag must be auto, true or false, got {self.bag!r}")

    def fit(
        self, P: np.ndarray, y: np.ndarray, metric: Metric, groups: np.ndarray | None = None
    ) -> Self:
        self.check_params()
        return super().fit(P, y, metric, groups)

    def _search(self, loss: Callable[[np.ndarray], float], m: int, first: int) -> np.ndarray:
        starts = [corner(m, first), caruana(loss, m, first)]
        w, self.stepwise_ = optimise(loss, starts, max_iter=self.max_iter)
        return w

    def _weights(
        self, Z: np.ndarray, y: np.ndarray, metric: Metric, groups: np.ndarray | None, first: int
    ) -> np.ndarray:
        w = super()._weights(Z, y, metric, groups, first)
        stepwise = self.stepwise_  # of this search: the ones below set it again
        if groups is None or self.bag is False or (self.bag == "auto" and not stepwise):
            return w
        keys = np.unique(groups)
        if len(keys) < 3:
            return w
        fits = []
        for key in keys:  # leave each fold out in turn: the mean of those searches
            rows = groups != key
            objective = safe_loss(search_objective(metric, y[rows], groups[rows]))
            members = [objective(self._out(Z[rows], corner(len(w), j))) for j in range(len(w))]
            start = int(np.argmin(members))
            fits.append(super()._weights(Z[rows], y[rows], metric, groups[rows], start))
        self.stepwise_ = stepwise
        return np.mean(fits, axis=0)


class RankBlender(WeightsBlender):
    """Weighted mean of ranks scaled to [0, 1] (for rank metrics such as ROC-AUC).

    Test rows are ranked against the training predictions of the same model, so a test
    row's value does not depend on the other test rows.
    """

    def fit(
        self, P: np.ndarray, y: np.ndarray, metric: Metric, groups: np.ndarray | None = None
    ) -> Self:
        if P.ndim != 2:
            raise ConfigError("ensemble method 'rank' works for binary and regression tasks")
        return super().fit(P, y, metric, groups)

    def _prepare(self, P: np.ndarray) -> None:
        self.reference_ = np.sort(P, axis=0)

    def _space(self, P: np.ndarray) -> np.ndarray:
        n = self.reference_.shape[0]
        cols = []
        for j in range(P.shape[1]):
            lo = np.searchsorted(self.reference_[:, j], P[:, j], side="left")
            hi = np.searchsorted(self.reference_[:, j], P[:, j], side="right")
            cols.append((lo + hi) / (2.0 * n))
        return np.column_stack(cols)


class PowerBlender(WeightsBlender):
    """Weighted mean in a transformed space: ``logit`` (binary probabilities) or
    ``power`` (``mean(p ** power) ** (1 / power)``)."""

    def __init__(self, space: str = "logit", power: float = 2.0, max_iter: int = 2000) -> None:
        super().__init__(max_iter=max_iter)
        self.space = space
        self.power = power

    def check_params(self) -> None:
        super().check_params()
        if self.space not in ("logit", "power"):
            raise ConfigError(f"ensemble space must be logit or power, got {self.space!r}")

    def _space(self, P: np.ndarray) -> np.ndarray:
        if self.space == "logit":
            return logit(np.clip(P, _EPS, 1 - _EPS))
        return np.power(np.clip(P, 0, None), self.power)

    def _out(self, Z: np.ndarray, w: np.ndarray) -> np.ndarray:
        if self.space == "logit":
            return expit(_combine(Z, w))
        return np.power(np.clip(_combine(Z, w), 0, None), 1.0 / self.power)


class HillClimbBlender(_FittedWeights):
    """Caruana et al. (2004) ensemble selection with replacement.

    Starts from the best single model and repeatedly adds (with replacement) the model
    that most improves the metric of the running average, for ``n_iter`` steps or until
    nothing improves; weights are the selection counts.
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-7) -> None:
        self.n_iter = n_iter
        self.tol = tol

    def _search(self, loss: Callable[[np.ndarray], float], m: int, first: int) -> np.ndarray:
        return caruana(loss, m, first, n_iter=self.n_iter, tol=self.tol)


BLENDERS: dict[str, type[Blender]] = {
    "best": BestBlender,
    "mean": MeanBlender,
    "weights": WeightsBlender,
    "rank": RankBlender,
    "power": PowerBlender,
    "hill": HillClimbBlender,
}


def make_blender(method: str, params: dict[str, Any] | None = None) -> Blender:
    """A blender by name (``best mean weights rank power hill``), its parameters checked."""
    if method not in BLENDERS:
        raise ConfigError(f"unknown ensemble method {method!r}{did_you_mean(method, BLENDERS)}")
    cls = BLENDERS[method]
    names = [] if cls.__init__ is object.__init__ else list(signature(cls.__init__).parameters)
    names = [n for n in names if n != "self"]
    for key in params or {}:
        if key not in names:
            known = did_you_mean(key, names) if names else " (it takes none)"
            raise ConfigError(f"unknown parameter {key!r} of ensemble method {method!r}{known}")
    try:
        blender = cls(**(params or {}))
    except TypeError as exc:
        raise ConfigError(f"ensemble method {method!r}: {exc}") from None
    blender.check_params()
    return blender


def rank_columns(P: np.ndarray) -> np.ndarray:
    """Ranks per column scaled to (0, 1] (ties get their average rank)."""
    return np.column_stack([rankdata(P[:, j]) / len(P) for j in range(P.shape[1])])
