"""What a run's predictions may be: the target transform and the target's valid range.

``target_transform: auto`` (the default) means ``log1p`` for a log-scaled metric (RMSLE and
any metric marked ``log_scaled``) when every target is > -1, else ``none``.
:func:`resolve_target_transform` makes that choice once per run (``prepare`` records it in
the run's resolved config).

:class:`TargetRange` is the one place predictions are clipped to what the target can be:
every model prediction is clipped in :func:`podium.engine.run_cv` as it is made (folds,
test and refit), so scores, ensembles and the submission only ever see valid values and no
metric can fail on them (blends are convex or monotone combinations of clipped inputs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from podium.metrics import Metric

__all__ = ["TargetRange", "resolve_target_transform", "target_range"]


@dataclass(frozen=True)
class TargetRange:
    """Bounds predictions are clipped to (``None``: unbounded); ``simplex``: rows of a
    multiclass probability matrix are renormalised to sum to 1 after clipping."""

    lower: float | None = None
    upper: float | None = None
    simplex: bool = False

    def clip(self, pred: np.ndarray) -> np.ndarray:
        """``pred`` clipped to the range (NaN, e.g. never-validated rows, stays NaN)."""
        pred = np.asarray(pred, dtype="float64")
        if self.lower is None and self.upper is None:
            return pred
        out = np.clip(pred, self.lower, self.upper)
        if self.simplex and out.ndim == 2:
            total = out.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                out = np.where(total > 0, out / total, 1.0 / out.shape[1])
            out[np.isnan(pred).any(axis=1)] = np.nan
        return out

    def describe(self) -> str:
        lo = "-inf" if self.lower is None else f"{self.lower:g}"
        hi = "inf" if self.upper is None else f"{self.upper:g}"
        return f"[{lo}, {hi}]" + (" rows sum to 1" if self.simplex else "")


def target_range(task: str, metric: Metric, y: np.ndarray) -> TargetRange:
    """The valid range of predictions for ``task``, ``metric`` and training target ``y``.

    Classification: probabilities in [0, 1] (multiclass rows renormalised). Regression:
    non-negative when no training target is negative (counts, prices: clipping then only
    moves a prediction towards every possible target, so no metric gets worse), and for a
    log-scaled metric at least the smallest target (> -1); otherwise unbounded.
    """
    if task == "binary":
        return TargetRange(0.0, 1.0)
    if task == "multiclass":
        return TargetRange(0.0, 1.0, simplex=True)
    lowest = float(np.min(y)) if len(y) else 0.0
    if lowest >= 0:
        return TargetRange(lower=0.0)
    if metric.log_scaled:
        return TargetRange(lower=lowest)
    return TargetRange()


def resolve_target_transform(
    requested: str, task: str, metric: Metric, y: np.ndarray
) -> tuple[str, str]:
    """The transform a run uses and why: ``requested`` unless it is ``auto``.

    ``auto`` is ``log1p`` for a regression task scored by a log-scaled metric whose
    targets are all > -1, else ``none``.
    """
    if requested != "auto":
        return requested, "set in the config"
    if task != "regression":
        return "none", f"auto: {task} task"
    if not metric.log_scaled:
        return "none", f"auto: metric {metric.name} is not log-scaled"
    if len(y) and float(np.min(y)) <= -1:
        return "none", "auto: some targets are <= -1"
    return "log1p", f"auto: metric {metric.name} is log-scaled and every target is > -1"
