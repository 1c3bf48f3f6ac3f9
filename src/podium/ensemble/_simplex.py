"""Searching non-negative weights that sum to 1 (the probability simplex) for a loss.

The loss is any function of the weights, smooth (RMSE, log loss) or piecewise constant
(ROC-AUC, accuracy). :func:`caruana` is greedy ensemble selection with replacement;
:func:`optimise` polishes starting points with SLSQP on the simplex (smooth losses) and
then Powell's method (no gradient needed) on unnormalised weights in ``[0, 1]``. Every
result is at least as good as the best starting point it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import minimize

__all__ = ["caruana", "corner", "optimise", "safe_loss"]

Loss = Callable[[np.ndarray], float]


def safe_loss(loss: Loss) -> Loss:
    """``loss`` with NaN and ValueError (a metric refusing the values) turned into +inf."""

    def wrapped(w: np.ndarray) -> float:
        try:
            value = float(loss(w))
        except (ValueError, FloatingPointError):
            return np.inf
        return value if np.isfinite(value) else np.inf

    return wrapped


def corner(m: int, j: int) -> np.ndarray:
    """All weight on member ``j`` of ``m``."""
    return np.eye(m)[j]


def caruana(loss: Loss, m: int, first: int, *, n_iter: int = 100, tol: float = 1e-7) -> np.ndarray:
    """Caruana et al. (2004) selection with replacement, starting from member ``first``.

    Repeatedly adds the member whose inclusion most lowers the loss of the running average,
    for ``n_iter`` steps or until no member lowers it by more than ``tol``; the weights are
    the selection counts, normalised.
    """
    counts = corner(m, first)
    best = loss(counts)
    for _ in range(n_iter):
        total = counts.sum()
        trial = [loss((counts + corner(m, j)) / (total + 1)) for j in range(m)]
        j = int(np.argmin(trial))
        if not trial[j] < best - tol:
            break
        best = trial[j]
        counts = counts + corner(m, j)
    return counts / counts.sum()


def _clean(w: np.ndarray, floor: float = 1e-4) -> np.ndarray:
    w = np.clip(np.asarray(w, dtype=float), 0.0, None)
    if not np.isfinite(w).all() or w.sum() <= 0:
        return np.full(len(w), np.nan)
    w = w / w.sum()
    w[w < floor] = 0.0
    return w / w.sum()


def _slsqp(loss: Loss, w0: np.ndarray, max_iter: int) -> np.ndarray:
    m = len(w0)
    res = minimize(
        loss,
        w0,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * m,
        constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0}],
        options={"maxiter": max_iter, "ftol": 1e-10},
    )
    return _clean(res.x)


def _powell(loss: Loss, w0: np.ndarray, max_iter: int) -> np.ndarray:
    def scaled(v: np.ndarray) -> float:
        s = v.sum()
        return loss(v / s) if s > 0 else np.inf

    res = minimize(
        scaled,
        w0 / w0.max(),
        method="Powell",
        bounds=[(0.0, 1.0)] * len(w0),
        options={"maxiter": 3, "maxfev": max_iter, "xtol": 1e-2, "ftol": 1e-6},
    )
    return _clean(res.x)


def optimise(loss: Loss, starts: Sequence[np.ndarray], *, max_iter: int = 2000) -> np.ndarray:
    """The best weights found from ``starts`` (each on the simplex).

    SLSQP runs from every start; when it finds nothing better (the loss has no gradient
    there, as ROC-AUC), Powell's method runs from the best start, as it needs none. The
    result is the best of the starts and the polished points, so it is never worse than
    the best start.
    """
    loss = safe_loss(loss)
    candidates = [np.asarray(s, dtype=float) for s in starts]
    if len(candidates[0]) > 1:
        start_loss = min(loss(c) for c in candidates)
        candidates += [_slsqp(loss, s, max_iter=100) for s in candidates]
        scores = [_finite_loss(loss, c) for c in candidates]
        if not min(scores) < start_loss - 1e-12:  # no gradient to follow: search without
            candidates.append(_powell(loss, candidates[int(np.argmin(scores))], max_iter))
    scores = [_finite_loss(loss, c) for c in candidates]
    return candidates[int(np.argmin(scores))]


def _finite_loss(loss: Loss, w: np.ndarray) -> float:
    return loss(w) if np.isfinite(w).all() else np.inf
