"""Study figures for the session's tracking run, drawn with Optuna's matplotlib backend."""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

from podium.tracking.base import Tracker

if TYPE_CHECKING:
    import optuna

__all__ = ["log_study_plots", "PLOTS"]

logger = logging.getLogger(__name__)

PLOTS = {
    "optimization_history.png": "plot_optimization_history",
    "param_importances.png": "plot_param_importances",
    "parallel_coordinate.png": "plot_parallel_coordinate",
}


def log_study_plots(study: optuna.Study, tracker: Tracker) -> list[str]:
    """Log optimisation history, parameter importances and parallel coordinates as PNGs.

    A figure that cannot be drawn (e.g. importances need two complete trials) is skipped
    with a warning in the log.

    Returns:
        The names of the figures logged.
    """
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import optuna.visualization.matplotlib as vis

    logged = []
    for name, func in PLOTS.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fig = _figure(getattr(vis, func)(study))
        except Exception as exc:  # a figure is a nicety; never fail the session for it
            logger.warning("skipped %s: %s", name, exc)
            continue
        tracker.log_figure(fig, name)
        logged.append(name)
    return logged


def _figure(axes: Any) -> Any:
    import numpy as np

    first = np.asarray(axes, dtype=object).ravel()[0]
    fig = first.figure
    fig.set_size_inches(10, 6)
    fig.tight_layout()
    return fig
