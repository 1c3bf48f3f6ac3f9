"""A saved MLflow runs view with the CV columns shown, stored on the experiment.

MLflow's runs table shows no metric column until one is picked ("Show more columns"):
its default columns are fixed (Source, Models, Dataset). An experiment tag
``mlflow.sharedViewState.<id>`` holds a saved view, listed under the runs page's views and
opened by the link ``#/experiments/<id>/runs?viewStateShareKey=<view id>``; podium
saves one, :data:`VIEW_ID`, with the competition metric's CV columns shown and the runs
sorted best first.
"""

from __future__ import annotations

import json

from podium.tracking.keys import cv_key, cv_std_key

__all__ = ["VIEW_ID", "VIEW_TAG_PREFIX", "runs_view_tags", "runs_view_path"]

VIEW_TAG_PREFIX = "mlflow.sharedViewState."
VIEW_ID = "podium-cv"

_CREATED = 1_764_547_200_000  # fixed (2025-12-01): the tag only changes with its columns


def _column(kind: str, key: str) -> str:
    return f"{kind}.`{key}`"


def runs_view_tags(metric: str, greater_is_better: bool) -> dict[str, str]:
    """The experiment tag of podium's runs view for ``metric``: CV mean and std, the
    pipeline and the ``--set`` overrides as columns; best runs first."""
    order = _column("metrics", cv_key(metric))
    state = {
        "orderByKey": order,
        "orderByAsc": not greater_is_better,
        "selectedColumns": [
            order,
            _column("metrics", cv_std_key(metric)),
            _column("tags", "podium.pipeline"),
            _column("tags", "podium.overrides"),
        ],
    }
    envelope = {
        "name": f"podium: CV {metric}",
        "createdAt": _CREATED,
        "updatedAt": _CREATED,
        "state": json.dumps(state, separators=(",", ":")),
    }
    return {VIEW_TAG_PREFIX + VIEW_ID: json.dumps(envelope, separators=(",", ":"))}


def runs_view_path(experiment_id: str) -> str:
    """The UI route (after ``#``) of podium's view of the experiment's runs."""
    return f"/experiments/{experiment_id}/runs?viewStateShareKey={VIEW_ID}"
