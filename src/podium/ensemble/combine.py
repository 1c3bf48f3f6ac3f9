"""Ensembles on the run's one fold assignment: blending and stacking with honest CV.

The CV of a blend is *nested*: the rows of fold k are blended with weights fit on the
other folds' out-of-fold predictions, so the scored fold never shapes its own weights. The
naive in-sample figure (weights fit on all rows) is reported beside it. Weights are fit on
the mean of the per-fold metric, the figure every model's CV reports, so the in-sample
blend is never below its best member's CV. A stacker's level-2
model is cross-validated on the same folds as level 1.

With repeated CV (several fold assignments) a blend is fit on the level-1 predictions
averaged over repeats, and nested on each repeat's folds in turn; a stack is built per
repeat, on that repeat's level-1 predictions and folds (a level-2 model would learn the
leave-out bias that averaging sharpens), and :func:`combine_repeats` averages them. Either
way the CV is the mean and std over repeats and folds, ``cv_std_repeats`` the std of each
repeat's CV.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from podium.cv import Folds, as_repeats
from podium.ensemble._objective import group_rows
from podium.ensemble.blend import Blender, make_blender
from podium.exceptions import ConfigError
from podium.metrics import Metric, get_metric

__all__ = [
    "EnsembleResult",
    "blend",
    "blend_test",
    "combine_repeats",
    "nested_blend",
    "stack_frame",
]


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
    cv_std_repeats: float | None = None
    fitted: Any = None
    """What predicts new rows: the blender fit on all rows (a blend), or for a stack
    ``{"level2": [names], "final": blender or None}`` (see :mod:`podium.ensemble.saved`)."""


def combine_repeats(results: Sequence[EnsembleResult]) -> EnsembleResult:
    """One ensemble from one per repeat: predictions and weights averaged, every repeat's
    fold scores in order (one result is returned as it is)."""
    if len(results) == 1:
        return results[0]
    first = results[0]
    scores = [s for r in results for s in r.fold_scores]
    weights = None
    if first.weights is not None:
        weights = {
            n: float(np.mean([(r.weights or {}).get(n, 0.0) for r in results]))
            for n in first.weights
        }
    return EnsembleResult(
        method=first.method,
        members=first.members,
        oof=np.mean([r.oof for r in results], axis=0),
        test=np.mean([r.test for r in results], axis=0),
        fold_scores=scores,
        cv_mean=float(np.mean(scores)),
        cv_std=float(np.std(scores)),
        naive_score=float(np.mean([r.naive_score for r in results])),
        weights=weights,
        details={**first.details, "repeats": [r.details for r in results]},
        cv_std_repeats=float(np.std([r.cv_mean for r in results])),
    )


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
        b = make().fit(P[fit_rows], y[fit_rows], metric, folds.fold[fit_rows])
        oof[va] = b.predict(P[va])
        scores.append(metric(y[va], oof[va]))
    return oof, scores


def nested_repeats(
    make: Callable[[], Blender],
    P: np.ndarray,
    y: np.ndarray,
    folds: Folds | Sequence[Folds],
    metric: Metric,
) -> tuple[np.ndarray, list[float], float | None]:
    """:func:`nested_blend` on each fold assignment: the mean of the nested blends, every
    repeat's fold scores in order, and the std of each repeat's CV (``None``: one)."""
    repeats = as_repeats(folds)
    runs = [nested_blend(make, P, y, f, metric) for f in repeats]
    if len(runs) == 1:
        return runs[0][0], runs[0][1], None
    scores = [s for _, fold_scores in runs for s in fold_scores]
    std = float(np.std([np.mean(fold_scores) for _, fold_scores in runs]))
    return np.mean([oof for oof, _ in runs], axis=0), scores, std


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
    folds: Folds | Sequence[Folds],
    metric: Metric,
    *,
    method: str,
    params: dict[str, Any] | None = None,
    members: list[str] | None = None,
) -> EnsembleResult:
    """Blend level-1 predictions with ``method``; CV nested over ``folds`` (one fold
    assignment, or one per repeat of a repeated CV).

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
    oof, scores, std_repeats = nested_repeats(
        lambda: make_blender(method, params), P, y, folds, metric
    )
    first = as_repeats(folds)[0]
    seen = _validated(first)
    full = make_blender(method, params).fit(P[seen], y[seen], metric, first.fold[seen])
    fitted = full.predict(P[seen])
    naive = np.mean([metric(y[seen][rows], fitted[rows]) for rows in group_rows(first.fold[seen])])
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
        cv_std_repeats=std_repeats,
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
