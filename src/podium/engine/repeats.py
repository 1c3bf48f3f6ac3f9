"""Repeated CV: one model cross-validated on each of the run's fold assignments.

Each repeat is an ordinary :func:`~podium.engine.cv_loop.run_cv` on its own folds (run by
:func:`podium.engine.experiment.cross_validate`; the
stage chain is refit per outer fold, so cross-fitted stages build their inner folds from
that repeat's training rows). The repeats combine into one :class:`CVResult`: out-of-fold
predictions averaged per row, test predictions averaged over every fold model of every
repeat, and the CV as mean and std over all repeats' folds; ``CVResult.cv_std_repeats``
is the spread of the repeats' own CVs. With one fold assignment nothing changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from podium.engine.result import CVResult

__all__ = ["combine_repeats"]


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
