"""The names podium gives its MLflow metrics, in one place (writers and readers use these).

A run's cross-validation score is logged under a key named after the competition's
metric, e.g. ``cv_roc_auc`` and ``cv_roc_auc_std``, with the per-fold scores as one
metric ``fold_roc_auc`` whose ``step`` is the fold. The metric-independent keys
``cv_mean`` and ``cv_std`` are logged too, first, so readers across competitions
(``podium runs``, ``podium blend``) have one stable key. An ensemble's honest (nested)
CV is ``cv_<metric>_nested`` and its optimistic in-sample figure ``cv_<metric>_insample``.

Example:
    ``cv_metrics("roc_auc", 0.81, 0.01)`` ->
    ``{"cv_mean": 0.81, "cv_std": 0.01, "cv_roc_auc": 0.81, "cv_roc_auc_std": 0.01}``
"""

from __future__ import annotations

import re

__all__ = [
    "CV_MEAN",
    "CV_STD",
    "slug",
    "cv_key",
    "cv_std_key",
    "fold_key",
    "nested_key",
    "insample_key",
    "cv_metrics",
]

CV_MEAN = "cv_mean"
"""Stable key of the mean CV score, whatever the metric."""
CV_STD = "cv_std"
"""Stable key of the standard deviation of the fold scores."""


def slug(metric: str) -> str:
    """``metric`` as a key part: lower case, runs of other characters as one ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", metric.lower()).strip("_") or "score"


def cv_key(metric: str) -> str:
    """``cv_<metric>``: the mean CV score, e.g. ``cv_roc_auc``."""
    return f"cv_{slug(metric)}"


def cv_std_key(metric: str) -> str:
    """``cv_<metric>_std``: the standard deviation of the fold scores."""
    return f"{cv_key(metric)}_std"


def fold_key(metric: str) -> str:
    """``fold_<metric>``: one fold's score, logged with ``step`` = the fold."""
    return f"fold_{slug(metric)}"


def nested_key(metric: str) -> str:
    """``cv_<metric>_nested``: an ensemble's CV with its weights fitted inside each fold."""
    return f"{cv_key(metric)}_nested"


def insample_key(metric: str) -> str:
    """``cv_<metric>_insample``: an ensemble scored on the rows its weights were fitted on."""
    return f"{cv_key(metric)}_insample"


def cv_metrics(metric: str, mean: float, std: float | None) -> dict[str, float]:
    """The CV metrics of a run, in logging order: the stable keys first, the keys named
    after ``metric`` last (MLflow shows a run's latest metrics first). ``std`` ``None``
    (one fold) logs no standard deviation."""
    out = {CV_MEAN: float(mean)}
    if std is not None:
        out[CV_STD] = float(std)
    out[cv_key(metric)] = float(mean)
    if std is not None:
        out[cv_std_key(metric)] = float(std)
    return out
