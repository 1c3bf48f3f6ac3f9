"""Experiment tracking: the :class:`Tracker` interface and its MLflow implementation.

Importing this package is cheap: MLflow is imported when an :class:`MlflowTracker` is
created, and matplotlib when a plot helper is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podium.tracking.base import NullTracker, Plot, RunSummary, Tracker, default_tracking_uri
from podium.tracking.mlflow_tracker import MlflowTracker
from podium.tracking.process import ProcessTracker

if TYPE_CHECKING:
    from podium.tracking.plots import (
        feature_importance_figure,
        residual_figure,
        roc_curve_figure,
    )

__all__ = [
    "Tracker",
    "NullTracker",
    "MlflowTracker",
    "ProcessTracker",
    "Plot",
    "RunSummary",
    "default_tracking_uri",
    "feature_importance_figure",
    "roc_curve_figure",
    "residual_figure",
]

_PLOTS = {"feature_importance_figure", "roc_curve_figure", "residual_figure"}


def __getattr__(name: str) -> Any:
    """Import the plot helpers (and matplotlib) on first use."""
    if name in _PLOTS:
        from podium.tracking import plots

        return getattr(plots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
