"""The MLflow implementation of :class:`~podium.tracking.base.Tracker`.

The only podium package that imports MLflow, lazily (``import mlflow`` takes seconds):
:mod:`._calls` (quiet calls, one-line failures), :mod:`.writer` (:class:`MlflowTracker`)
and :mod:`.reader` (runs and artifacts read back, a run found by id or name).
"""

from podium.tracking.base import default_tracking_uri
from podium.tracking.mlflow_tracker._calls import NOTE_TAG, WRITER_TAG, preload
from podium.tracking.mlflow_tracker.reader import download_run_artifacts, find_run
from podium.tracking.mlflow_tracker.writer import MlflowTracker

__all__ = [
    "MlflowTracker",
    "NOTE_TAG",
    "WRITER_TAG",
    "default_tracking_uri",
    "download_run_artifacts",
    "find_run",
    "preload",
]
