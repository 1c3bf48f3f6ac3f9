"""Fixtures for the tuning tests: the toy competition as a project root."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from podium.tracking.base import NullTracker

FAST_LGB = {
    "n_estimators": 40,
    "learning_rate": 0.1,
    "num_leaves": 7,
    "min_child_samples": 5,
    "verbosity": -1,
}

SPACE_PIPELINE: dict[str, Any] = {
    "stages": [
        {"name": "numeric", "use": "to_numeric"},
        {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
    ],
    "models": {
        "lgb": {
            "use": "lightgbm",
            "params": dict(FAST_LGB),
            "early_stopping": {"rounds": 10, "holdout": 0.2},
        }
    },
    "search_space": {
        "models.lgb.params.num_leaves": {"int": [3, 31], "log": True},
        "models.lgb.params.learning_rate": {"float": [0.03, 0.3], "log": True},
    },
}


def pipeline_with(space: dict[str, Any] | None = None, **models: Any) -> dict[str, Any]:
    """SPACE_PIPELINE with another search space and extra models."""
    pipe = copy.deepcopy(SPACE_PIPELINE)
    if space is not None:
        pipe["search_space"] = space
    pipe["models"].update(models)
    return pipe


@pytest.fixture
def project(make_competition: Callable[..., Path]) -> Callable[..., Path]:
    """Write the toy competition with a pipeline ``custom`` (default: SPACE_PIPELINE);
    return the project root."""

    def make(pipeline: dict[str, Any] | None = None, **kwargs: Any) -> Path:
        comp = make_competition(
            pipeline=pipeline or SPACE_PIPELINE, config={"pipeline": "custom"}, **kwargs
        )
        return comp.parent.parent

    return make


@pytest.fixture(name="pipeline_with")
def _pipeline_with() -> Callable[..., dict[str, Any]]:
    """``pipeline_with(space, **models)``: the test pipeline with another space."""
    return pipeline_with


@pytest.fixture
def null_tracker() -> type[NullTracker]:
    return NullTracker
