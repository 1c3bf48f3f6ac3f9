"""The target as class codes, and the task a target implies (for the supervised stages)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MAX_CLASSES", "infer_task", "target_codes"]

MAX_CLASSES = 20


def infer_task(y: np.ndarray, classes: np.ndarray | None = None) -> str:
    """``binary``, ``multiclass`` or ``regression`` from the target values.

    The rule: bool, text and category targets are classification; numeric targets are
    classification when every value is a whole number and there are at most 20 distinct
    values; everything else is regression. Two classes or fewer is ``binary``. Pass the
    task explicitly (the engine does, through ``SplitContext.task``) for an integer
    regression target with few values.

    Args:
        y: the target values.
        classes: its distinct values, if already known (saves a pass).
    """
    kind = y.dtype.kind
    if kind in "fc" and not np.all(np.mod(y, 1) == 0):
        return "regression"
    if classes is None:
        classes = target_codes(y)[1]
    if kind in "iufc" and len(classes) > MAX_CLASSES:
        return "regression"
    return "binary" if len(classes) <= 2 else "multiclass"


def target_codes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class codes ``0..C-1`` (sorted classes) and the classes, without hashing small ints."""
    if y.dtype.kind in "biu" and y.size:
        yi = y.astype(np.int64, copy=False)
        lo, hi = int(yi.min()), int(yi.max())
        if hi - lo < 1_000_000:
            shifted = yi - lo if lo else yi
            present = np.bincount(shifted, minlength=hi - lo + 1) > 0
            lut = np.cumsum(present) - 1
            classes = (np.flatnonzero(present) + lo).astype(y.dtype)
            return lut[shifted], classes
    codes, classes = pd.factorize(y, sort=True)
    return codes.astype(np.int64, copy=False), np.asarray(classes)
