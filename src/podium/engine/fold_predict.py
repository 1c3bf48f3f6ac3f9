"""A fold model's test predictions, and the file a run keeps it in.

One definition for a run (:mod:`podium.engine.cv_loop`) and ``podium predict``
(:mod:`podium.engine.saved`), so both compute the same numbers.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from podium.engine.pickled import dump_pickled, load_pickled
from podium.engine.targets import TargetRange

__all__ = ["FOLD_FILE", "REFIT_FILE", "fold_mean", "predict_fold", "save_fold"]

FOLD_FILE = "fold{k}.joblib"
"""A fitted fold chain + model, as written under ``run_cv(save_to=...)`` (``k`` = fold)."""
REFIT_FILE = "refit.joblib"
"""The chain + model refit on all rows (``test_predictions: refit``)."""


def predict_fold(
    model: Any, features: pd.DataFrame, *, target_transform: str, target_range: TargetRange
) -> np.ndarray:
    """A fitted fold model's test predictions on the target's scale, clipped: what a run
    and ``podium predict`` (from the saved model) both compute."""
    p = np.asarray(model.predict(features))
    return target_range.clip(np.expm1(p) if target_transform == "log1p" else p)


def fold_mean(preds: list[np.ndarray], n_splits: int) -> np.ndarray:
    """The ``fold_mean`` test prediction: the folds' predictions summed, over ``n_splits``."""
    return np.sum(preds, axis=0) / n_splits


def save_fold(path: str, chain: Any, model: Any) -> None:
    """Write a fitted chain + model (a fold's, or the refit's) for ``podium predict``
    (compressed: see :func:`podium.engine.pickled.dump_pickled`)."""
    dump_pickled((chain, model), path, compress=True)


def load_fold(path: str | os.PathLike[str]) -> tuple[Any, Any]:
    """A fitted chain + model written by :func:`save_fold`."""
    chain, model = load_pickled(path, compressed=True)
    return chain, model
