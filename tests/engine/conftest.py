"""Fixtures for the engine tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def te_pipeline() -> dict[str, Any]:
    """A pipeline with a cross-fitted stage: LightGBM on an out-of-fold target encoding of
    ``color`` (and native categoricals), early stopping on an inner holdout. A new dict for
    each test: add models to it freely."""
    return {
        "stages": [{"name": "numeric", "use": "to_numeric"}],
        "models": {
            "lgb": {
                "use": "lightgbm",
                "params": {"n_estimators": 40, "learning_rate": 0.1, "num_leaves": 7},
                "stages": [
                    {"name": "te", "use": "target_encoder", "params": {"columns": ["color"]}},
                    {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
                ],
                "early_stopping": {"rounds": 10, "holdout": 0.2},
            },
        },
    }
