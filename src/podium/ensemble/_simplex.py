"""Searching non-negative weights that sum to 1 (the probability simplex) for a loss.

The loss is any function of the weights, smooth (RMSE, log loss) or piecewise constant
(ROC-AUC, accuracy). :func:`caruana` is greedy ensemble selection with replacement;
:func:`optimise` polishes starting points with SLSQP on the simplex (smooth losses) and
then, where SLSQP finds no gradient, a coordinate line search toward each member. Every
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


def _line_search(loss: Loss, w0: np.ndarray, *, step: float, max_evals: int) -> np.ndarray:
    """Coordinate search on the simplex, for losses without a gradient (ROC-AUC, accuracy).

    From ``w0``, move toward each member's corner by the fractions ``step, 2 step, ..., 1/2``
    of the way, keeping every move that lowers the loss, and sweep the members again until
    a whole sweep finds none (or ``max_evals`` evaluations). Each move is a mixture of the
    current blend and one member, so the weights stay on the simplex; a piecewise-constant
    loss is probed at fixed points along the whole segment, where a line minimiser
    (Powell's Brent steps) jumps between plateaus.
    """
    m = len(w0)
    w = np.asarray(w0, dtype=float)
    best = loss(w)
    fractions = step * np.arange(1, int(round(0.5 / step)) + 1)
    evals = 0
    improved = True
    while improved and evals < max_evals:
        improved = False
        for j in range(m):
            for t in fractions:
                candidate = (1.0 - t) * w + t * corner(m, j)
                value = loss(candidate)
                evals += 1
                if value < best - 1e-12:
                    best, w, improved = value, candidate, True
    return _clean(w)


def optimise(
    loss: Loss, starts: Sequence[np.ndarray], *, max_iter: int = 2000
) -> tuple[np.ndarray, bool]:
    """The best weights found from ``starts`` (each on the simplex), and whether the loss
    showed no gradient (so they were searched without one).

    SLSQP runs from every start; when it finds nothing better (the loss has no gradient
    there, as ROC-AUC), a coordinate line search (:func:`_line_search`, steps of 0.02)
    runs from the best start, as it needs none. The result is the best of the starts and
    the polished points, so it is never worse than the best start.
    """
    loss = safe_loss(loss)
    candidates = [np.asarray(s, dtype=float) for s in starts]
    stepwise = False
    if len(candidates[0]) > 1:
        start_loss = min(loss(c) for c in candidates)
        candidates += [_slsqp(loss, s, max_iter=100) for s in candidates]
        scores = [_finite_loss(loss, c) for c in candidates]
        stepwise = not min(scores) < start_loss - 1e-12
        if stepwise:  # no gradient to follow: search without
            best = candidates[int(np.argmin(scores))]
            candidates.append(_line_search(loss, best, step=0.02, max_evals=max_iter))
    scores = [_finite_loss(loss, c) for c in candidates]
    return candidates[int(np.argmin(scores))], stepwise


def _finite_loss(loss: Loss, w: np.ndarray) -> float:
    return loss(w) if np.isfinite(w).all() else np.inf
