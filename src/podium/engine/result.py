"""Typed, frozen results of cross-validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

__all__ = ["FoldResult", "CVResult", "Scored", "scored"]


@dataclass(frozen=True)
class FoldResult:
    """One outer fold of one model.

    ``fit_seconds`` covers the stage chain and the model fit; ``feature_seconds`` is the
    chain's part of it (fit + transform of training, validation and test rows, or the
    read from the feature cache). ``cache_hit``: whether the features came from the
    cache (``None``: the cache was not used). ``repeat``: the fold assignment (repeated CV)
    the fold belongs to; ``fold`` is its index within that assignment.
    """

    fold: int
    score: float
    n_train: int
    n_valid: int
    best_iteration: int | None
    fit_seconds: float
    predict_seconds: float
    feature_seconds: float = 0.0
    cache_hit: bool | None = None
    repeat: int = 0


@dataclass(frozen=True, eq=False)
class CVResult:
    """Out-of-fold and test predictions of one model on the run's folds.

    Attributes:
        name: the model's name in the pipeline.
        oof: predictions for every training row from the fold that held it out
            (NaN for rows never validated, e.g. the first block of a time split).
        test: test predictions (fold average or refit, see ``test_strategy``).
        folds: per-fold scores, sizes, best iterations and timings.
        cv_mean, cv_std: mean and std of the per-fold scores.
        importances: mean feature importance over folds, highest first.
        test_strategy: ``fold_mean`` or ``refit`` (with ``refit_iterations``).
        seconds: wall time of the whole cross-validation.
        feature_seconds: time in the stage chain (folds and refit) or reading its
            outputs from the feature cache.
        refit_cache_hit: whether the refit's features came from the cache (``None``:
            no refit, or no cache).
        repeats: with repeated CV, each fold assignment's own result; ``oof`` and ``test``
            are then their means, ``folds`` all of their folds and ``cv_mean``/``cv_std``
            the mean and std over repeats and folds. Empty for one fold assignment.
    """

    name: str
    metric: str
    oof: np.ndarray
    test: np.ndarray | None
    folds: tuple[FoldResult, ...]
    cv_mean: float
    cv_std: float
    importances: pd.Series
    test_strategy: str
    seconds: float
    refit_iterations: int | None = None
    extra: dict[str, object] = field(default_factory=dict)
    feature_seconds: float = 0.0
    refit_cache_hit: bool | None = None
    repeats: tuple[CVResult, ...] = ()

    @property
    def repeat_scores(self) -> list[float]:
        """Each repeat's CV (the mean of its folds); empty for one fold assignment."""
        return [r.cv_mean for r in self.repeats]

    @property
    def cv_std_repeats(self) -> float | None:
        """The std over repeats of each repeat's CV (``None``: one fold assignment)."""
        return float(np.std(self.repeat_scores)) if len(self.repeats) > 1 else None

    @property
    def fold_scores(self) -> list[float]:
        return [f.score for f in self.folds]

    @property
    def best_iterations(self) -> list[int | None]:
        return [f.best_iteration for f in self.folds]

    @property
    def cache_hits(self) -> int | None:
        """Folds whose features came from the feature cache (``None``: cache not used)."""
        hits = [f.cache_hit for f in self.folds]
        if all(h is None for h in hits):
            return None
        return sum(bool(h) for h in hits)


class Scored(Protocol):
    """A result with predictions and CV scores (a model's, an ensemble's, an experiment's)."""

    @property
    def oof(self) -> np.ndarray: ...
    @property
    def test(self) -> np.ndarray | None: ...
    @property
    def fold_scores(self) -> list[float]: ...
    @property
    def cv_mean(self) -> float: ...
    @property
    def cv_std(self) -> float: ...
    @property
    def cv_std_repeats(self) -> float | None: ...


def scored(result: Scored) -> dict[str, Any]:
    """``result``'s predictions and scores, as the keyword arguments of the result that
    takes them over (an experiment's chosen model or ensemble, a one-model stack)."""
    return {
        "oof": result.oof,
        "test": result.test,
        "fold_scores": [float(s) for s in result.fold_scores],
        "cv_mean": result.cv_mean,
        "cv_std": result.cv_std,
        "cv_std_repeats": result.cv_std_repeats,
    }
