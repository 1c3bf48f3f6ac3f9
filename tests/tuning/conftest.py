"""Fixtures for the tuning tests: the toy competition as a project root."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from podium.tracking.base import NullTracker

SEARCH_SPACE: dict[str, Any] = {
    "models.lgb.params.num_leaves": {"int": [3, 31], "log": True},
    "models.lgb.params.learning_rate": {"float": [0.03, 0.3], "log": True},
}


@pytest.fixture(name="pipeline_with")
def _pipeline_with(fast_pipeline: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``pipeline_with(space, **models)``: the test pipeline (the tests' fast pipeline with
    40 trees and SEARCH_SPACE) with another search space and extra models."""

    def pipeline_with(space: dict[str, Any] | None = None, **models: Any) -> dict[str, Any]:
        pipe = fast_pipeline(n_estimators=40, verbosity=-1)
        pipe["search_space"] = copy.deepcopy(SEARCH_SPACE) if space is None else space
        pipe["models"].update(models)
        return pipe

    return pipeline_with


@pytest.fixture
def project(
    make_competition: Callable[..., Path], pipeline_with: Callable[..., dict[str, Any]]
) -> Callable[..., Path]:
    """Write the toy competition with a pipeline ``custom`` (default: ``pipeline_with()``);
    return the project root."""

    def make(pipeline: dict[str, Any] | None = None, **kwargs: Any) -> Path:
        comp = make_competition(
            pipeline=pipeline or pipeline_with(), config={"pipeline": "custom"}, **kwargs
        )
        return comp.parent.parent

    return make


@pytest.fixture
def null_tracker() -> type[NullTracker]:
    return NullTracker
