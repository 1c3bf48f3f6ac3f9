"""Diagnostic figures logged with runs.

The figures are plain :class:`matplotlib.figure.Figure` objects rendered with Agg: pyplot is
never imported, so no GUI backend is touched and nothing needs closing (``log_figure`` closes
pyplot figures anyway).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from podium.exceptions import DataError

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

__all__ = ["feature_importance_figure", "roc_curve_figure", "residual_figure"]

_MAX_POINTS = 20_000


def feature_importance_figure(importances: pd.Series, top: int = 30, subject: str = "") -> Figure:
    """Horizontal bars of the ``top`` largest importances (by absolute value).

    Args:
        importances: Importance per feature, indexed by feature name.
        top: How many features to show.
        subject: What the importances are of (e.g. ``model lgb``), named in the title.

    Returns:
        The figure, largest importance at the top.
    """
    shown = importances.reindex(importances.abs().sort_values(ascending=False).index)[:top]
    height = 1.5 + 0.28 * max(len(shown), 1)
    fig = Figure(figsize=(7, height))
    names = [_short(str(name)) for name in shown.index[::-1]]
    # Fixed margins sized from the labels: a constrained layout costs more than the drawing.
    label = max((len(n) for n in names), default=1)
    fig.subplots_adjust(
        left=min(0.55, 0.04 + 0.0115 * label), right=0.97, top=1 - 0.45 / height,
        bottom=0.55 / height,
    )  # fmt: skip
    ax = fig.add_subplot()
    ax.barh(names, shown.to_numpy(dtype=float)[::-1], color="tab:blue")
    ax.set_xlabel("importance")
    ax.set_title(_titled("Feature importance", subject, f"top {len(shown)} of {len(importances)}"))
    return fig


def _titled(what: str, subject: str, detail: str) -> str:
    """``what: subject (detail)``, or ``what (detail)`` without a subject."""
    return f"{what}: {subject} ({detail})" if subject else f"{what} ({detail})"


def _short(name: str, limit: int = 40) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "\u2026"


def roc_curve_figure(y_true: ArrayLike, y_score: ArrayLike, subject: str = "") -> Figure:
    """ROC curve of a binary classifier, with its AUC in the title.

    Args:
        y_true: Binary labels.
        y_score: Scores or probabilities of the positive class; a two-column probability
            matrix is accepted and its second column used.
        subject: Whose predictions these are (e.g. ``out-of-fold, ensemble``), in the title.

    Raises:
        DataError: ``y_true`` does not have exactly two classes.
    """
    truth = np.asarray(y_true)
    score = np.asarray(y_score, dtype=float)
    if score.ndim == 2 and score.shape[1] == 2:
        score = score[:, 1]
    classes = np.unique(truth)
    if len(classes) != 2 or score.ndim != 1:
        raise DataError(
            f"roc_curve_figure needs binary labels and one score per row; got "
            f"{len(classes)} classes and scores of shape {score.shape}"
        )
    fpr, tpr = _roc_points(truth == classes[1], score)
    auc = float(np.trapezoid(tpr, fpr))  # ties count half, as in roc_auc_score
    fig = Figure(figsize=(5, 5))
    fig.subplots_adjust(left=0.14, right=0.96, top=0.92, bottom=0.11)
    ax = fig.add_subplot()
    ax.plot(fpr, tpr, color="tab:blue", label=f"AUC = {auc:.4f}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false positive rate", ylabel="true positive rate")
    ax.set_title(_titled("ROC curve", subject, f"AUC = {auc:.4f}"))
    ax.legend(loc="lower right")
    return fig


def _roc_points(positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False and true positive rates at every distinct threshold, from (0, 0) to (1, 1).

    (scikit-learn's ``roc_curve`` without importing scikit-learn.metrics, ~1.5 s.)
    """
    order = np.argsort(-score, kind="mergesort")
    ranked, hits = score[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]  # end of each tie block
    tps = np.cumsum(hits)[last]
    fps = last + 1 - tps
    return np.r_[0.0, fps / fps[-1]], np.r_[0.0, tps / tps[-1]]


def residual_figure(y_true: ArrayLike, y_pred: ArrayLike, subject: str = "") -> Figure:
    """Predicted vs. actual and residuals vs. predicted, side by side (for regression).

    At most 20,000 randomly chosen points are drawn; ``subject`` (whose predictions) is
    the figure's title.
    """
    truth = np.asarray(y_true, dtype=float).ravel()
    pred = np.asarray(y_pred, dtype=float).ravel()
    if truth.shape != pred.shape:
        raise DataError(
            f"residual_figure needs as many predictions as targets; got {pred.size} and "
            f"{truth.size}"
        )
    if truth.size > _MAX_POINTS:
        keep = np.random.default_rng(0).choice(truth.size, _MAX_POINTS, replace=False)
        truth, pred = truth[keep], pred[keep]
    residual = truth - pred
    fig = Figure(figsize=(10, 4.5))
    fig.subplots_adjust(
        left=0.08, right=0.98, top=0.85 if subject else 0.91, bottom=0.12, wspace=0.25
    )
    if subject:
        fig.suptitle(subject)
    left, right = fig.subplots(1, 2)
    left.scatter(truth, pred, s=4, alpha=0.4, color="tab:blue")
    if truth.size:
        low, high = float(min(truth.min(), pred.min())), float(max(truth.max(), pred.max()))
        left.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=1)
    left.set(xlabel="actual", ylabel="predicted", title="Predicted vs. actual")
    right.scatter(pred, residual, s=4, alpha=0.4, color="tab:orange")
    right.axhline(0.0, color="grey", linestyle="--", linewidth=1)
    right.set(xlabel="predicted", ylabel="actual - predicted", title="Residuals")
    return fig
