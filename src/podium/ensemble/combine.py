"""Ensembles on the run's one fold assignment: blending and stacking with honest CV.

The CV of a blend is *nested*: the rows of fold k are blended with weights fit on the
other folds' out-of-fold predictions, so the scored fold never shapes its own weights. The
naive in-sample figure (weights fit on all rows) is reported beside it. A stacker's level-2
model is cross-validated on the same folds as level 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from podium.cv import Folds
from podium.ensemble.blend import Blender, make_blender
from podium.exceptions import ConfigError
from podium.metrics import Metric, get_metric

__all__ = ["EnsembleResult", "blend", "blend_test", "nested_blend", "stack_frame"]


@dataclass(frozen=True, eq=False)
class EnsembleResult:
    """An ensemble's nested out-of-fold predictions, test predictions and scores."""

    method: str
    members: list[str]
    oof: np.ndarray
    test: np.ndarray
    fold_scores: list[float]
    cv_mean: float
    cv_std: float
    naive_score: float
    weights: dict[str, float] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    fitted: Any = None
    """What predicts new rows: the blender fit on all rows (a blend), or for a stack
    ``{"level2": [names], "final": blender or None}`` (see :mod:`podium.ensemble.saved`)."""


def _stack(preds: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    return np.stack([np.asarray(preds[n], dtype="float64") for n in names], axis=-1)


def _validated(folds: Folds) -> np.ndarray:
    return folds.fold >= 0


def nested_blend(
    make: Callable[[], Blender],
    P: np.ndarray,
    y: np.ndarray,
    folds: Folds,
    metric: Metric,
) -> tuple[np.ndarray, list[float]]:
    """Blend fold k's rows with a blender fit on the other validated rows, for every k.

    Returns:
        The nested out-of-fold blend (NaN for never-validated rows) and per-fold scores.
    """
    seen = _validated(folds)
    oof = np.full(P.shape[:-1], np.nan)
    scores = []
    for k in range(folds.n_splits):
        va = folds.valid_index(k)
        fit_rows = np.flatnonzero(seen & (folds.fold != k))
        b = make().fit(P[fit_rows], y[fit_rows], metric)
        oof[va] = b.predict(P[va])
        scores.append(metric(y[va], oof[va]))
    return oof, scores


def _log1p(a: np.ndarray) -> np.ndarray:
    return np.log1p(np.clip(np.asarray(a, dtype=float), 0.0, None))


def blend_test(
    blender: Blender, tests: dict[str, np.ndarray], names: list[str], metric: Metric
) -> np.ndarray:
    """The test predictions of a fitted ``blender`` over the members ``names`` (in log1p
    space for a log-scaled metric, as it was fit): a run's and ``podium predict``'s."""
    T = _stack(tests, names)
    if metric.log_scaled:
        return np.expm1(blender.predict(_log1p(T)))
    return np.asarray(blender.predict(T))


def blend(
    oofs: dict[str, np.ndarray],
    tests: dict[str, np.ndarray],
    y: np.ndarray,
    folds: Folds,
    metric: Metric,
    *,
    method: str,
    params: dict[str, Any] | None = None,
    members: list[str] | None = None,
) -> EnsembleResult:
    """Blend level-1 predictions with ``method``; CV nested over ``folds``.

    Raises:
        ConfigError: an unknown method or member.
    """
    names = list(members) if members else list(oofs)
    missing = [n for n in names if n not in oofs]
    if missing:
        raise ConfigError(f"ensemble members {missing} are not models of the pipeline")
    P = _stack(oofs, names)
    scale = metric
    back: Callable[[np.ndarray], np.ndarray] = np.asarray
    if metric.log_scaled:
        # RMSLE is RMSE of log1p: blend log1p of the predictions, scored by RMSE on log1p
        # of the target, then map back (a weighted geometric mean, what the metric
        # rewards); every score is the number the log-scaled metric gives.
        P, y = _log1p(P), _log1p(y)
        metric, back = get_metric("rmse", "regression"), np.expm1
    oof, scores = nested_blend(lambda: make_blender(method, params), P, y, folds, metric)
    seen = _validated(folds)
    full = make_blender(method, params).fit(P[seen], y[seen], metric)
    naive = metric(y[seen], full.predict(P[seen]))
    weights = getattr(full, "weights_", None)
    return EnsembleResult(
        method=method,
        members=names,
        oof=back(oof),
        test=blend_test(full, tests, names, scale),
        fold_scores=[float(s) for s in scores],
        cv_mean=float(np.mean(scores)),
        cv_std=float(np.std(scores)),
        naive_score=float(naive),
        weights=None if weights is None else dict(zip(names, map(float, weights), strict=True)),
        fitted=full,
    )


def stack_frame(preds: dict[str, np.ndarray], names: list[str]) -> pd.DataFrame:
    """Level-1 predictions as level-2 features: one column per model (per class)."""
    cols: dict[str, np.ndarray] = {}
    for n in names:
        p = np.asarray(preds[n], dtype="float64")
        if p.ndim == 1:
            cols[n] = p
        else:
            for j in range(p.shape[1]):
                cols[f"{n}_{j}"] = p[:, j]
    return pd.DataFrame(cols)
