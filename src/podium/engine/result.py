"""Typed, frozen results of cross-validation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["FoldResult", "CVResult"]


@dataclass(frozen=True)
class FoldResult:
    """One outer fold of one model."""

    fold: int
    score: float
    n_train: int
    n_valid: int
    best_iteration: int | None
    fit_seconds: float
    predict_seconds: float


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

    @property
    def fold_scores(self) -> list[float]:
        return [f.score for f in self.folds]

    @property
    def best_iterations(self) -> list[int | None]:
        return [f.best_iteration for f in self.folds]
