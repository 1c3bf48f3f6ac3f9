"""Small statistics shared by the audit checks: simple features, AUC against the target."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

__all__ = ["simple_features", "target_auc", "null_auc_std", "auc_tolerance"]


def simple_features(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numbers stored as text become floats, other text a shared ``category`` dtype."""
    both = pd.concat([train, test], ignore_index=True)
    out = {}
    for col in both.columns:
        s = both[col]
        if s.dtype.kind in "biuf":
            out[col] = s.astype("float64")
            continue
        num = pd.to_numeric(s.astype("string").str.strip(), errors="coerce")
        present = s.notna() & (s.astype("string").str.strip() != "")
        if present.any() and num[present].notna().mean() >= 0.95:
            out[col] = num.astype("float64")
        else:
            out[col] = s.astype("string").astype("category")
    frame = pd.DataFrame(out)
    n = len(train)
    return frame.iloc[:n].reset_index(drop=True), frame.iloc[n:].reset_index(drop=True)


def target_auc(x: np.ndarray, y: np.ndarray, task: str) -> float:
    """How well ``x`` alone ranks the target: ROC-AUC folded to >= 0.5.

    Regression targets are split at their median; multiclass targets take the best
    one-vs-rest class. Missing ``x`` are dropped; ``nan`` when nothing is left to rank.
    """
    x = np.asarray(x, dtype="float64")
    keep = np.isfinite(x)
    x, y = x[keep], np.asarray(y)[keep]
    if task == "regression":
        labels = [(y > np.median(y)).astype(int)]
    elif task == "binary":
        labels = [y.astype(int)]
    else:
        labels = [(y == c).astype(int) for c in np.unique(y)]
    best = float("nan")
    for lab in labels:
        if lab.min() == lab.max() or np.unique(x).size < 2:
            continue
        a = float(roc_auc_score(lab, x))
        a = max(a, 1.0 - a)
        best = a if not best >= a else best
    return best


def null_auc_std(n_pos: int, n_neg: int) -> float:
    """Standard deviation of ROC-AUC under no signal: sqrt((n1 + n0 + 1) / (12 n1 n0))."""
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return math.sqrt((n_pos + n_neg + 1) / (12.0 * n_pos * n_neg))


def auc_tolerance(n_pos: int, n_neg: int, *, floor: float = 0.03) -> float:
    """Distance from 0.5 an AUC may show by chance: ``max(floor, 3 x null std)``."""
    return max(floor, 3.0 * null_auc_std(n_pos, n_neg))
