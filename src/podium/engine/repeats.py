"""Repeated CV: one model cross-validated on each of the run's fold assignments.

Each repeat is an ordinary :func:`~podium.engine.cv_loop.run_cv` on its own folds (the
stage chain is refit per outer fold, so cross-fitted stages build their inner folds from
that repeat's training rows). The repeats combine into one :class:`CVResult`: out-of-fold
predictions averaged per row, test predictions averaged over every fold model of every
repeat, and the CV as mean and std over all repeats' folds; ``CVResult.cv_std_repeats``
is the spread of the repeats' own CVs. With one fold assignment nothing changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from podium.cv import Folds, as_repeats
from podium.engine.cv_loop import run_cv
from podium.engine.result import CVResult, FoldResult

__all__ = ["combine_repeats", "run_repeats"]


def run_repeats(
    chain: Any,
    model: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    folds: Folds | Sequence[Folds],
    on_fold: Callable[[FoldResult, int], None] | None = None,
    **kwargs: Any,
) -> CVResult:
    """:func:`run_cv` on every fold assignment in ``folds``, combined.

    ``on_fold`` is called with each fold's result and the number of folds of all repeats.
    Other keyword arguments are :func:`run_cv`'s. One assignment: exactly :func:`run_cv`.
    """
    repeats = as_repeats(folds)
    if len(repeats) == 1:
        return run_cv(chain, model, X, y, folds=repeats[0], on_fold=on_fold, **kwargs)
    total = sum(f.n_splits for f in repeats)

    def each(fr: FoldResult, _n: int) -> None:
        if on_fold is not None:
            on_fold(fr, total)

    results = [
        run_cv(chain, model, X, y, folds=f, on_fold=each, repeat=r, **kwargs)
        for r, f in enumerate(repeats)
    ]
    return combine_repeats(results)


def combine_repeats(results: Sequence[CVResult]) -> CVResult:
    """One result from each repeat's (see the module docstring); one result is returned
    as it is."""
    if len(results) == 1:
        return results[0]
    first = results[0]
    tests = [r.test for r in results if r.test is not None]
    folds = tuple(f for r in results for f in r.folds)
    scores = np.array([f.score for f in folds])
    imp = pd.concat([r.importances for r in results], axis=1).fillna(0.0).mean(axis=1)
    iters = [r.refit_iterations for r in results if r.refit_iterations is not None]
    return dataclasses.replace(
        first,
        oof=np.mean([r.oof for r in results], axis=0),
        test=np.mean(tests, axis=0) if len(tests) == len(results) else None,
        folds=folds,
        cv_mean=float(scores.mean()),
        cv_std=float(scores.std()),
        importances=imp.sort_values(ascending=False),
        seconds=sum(r.seconds for r in results),
        refit_iterations=int(round(np.mean(iters))) if iters else None,
        feature_seconds=sum(r.feature_seconds for r in results),
        extra={**first.extra, "repeat_scores": [r.cv_mean for r in results]},
        repeats=tuple(results),
    )
