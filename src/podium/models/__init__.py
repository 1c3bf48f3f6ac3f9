"""Model adapters behind one registry.

Every adapter follows :class:`~podium.models.base.ModelAdapter`::

    model = make_model("lightgbm", task="binary", params={"num_leaves": 63}, seed=0)
    model.fit(X, y, eval_set=(X_valid, y_valid), early_stopping_rounds=100)
    proba = model.predict(X_test)
    final = model.with_iterations(model.best_iteration_).fit(X_all, y_all)
"""

from __future__ import annotations

from typing import Any

from podium.exceptions import ConfigError, did_you_mean
from podium.models.base import TASKS, ModelAdapter
from podium.models.gbdt import CatBoostAdapter, GBDTAdapter, LightGBMAdapter, XGBoostAdapter
from podium.models.linear import (
    LassoAdapter,
    LinearAdapter,
    LogisticRegressionAdapter,
    RidgeAdapter,
)
from podium.models.neighbors import KNNAdapter
from podium.models.sparse_linear import SparseLinearAdapter
from podium.models.trees import ExtraTreesAdapter, RandomForestAdapter

__all__ = [
    "MODEL_ADAPTERS",
    "TASKS",
    "CatBoostAdapter",
    "ExtraTreesAdapter",
    "GBDTAdapter",
    "KNNAdapter",
    "LassoAdapter",
    "LightGBMAdapter",
    "LinearAdapter",
    "LogisticRegressionAdapter",
    "ModelAdapter",
    "RandomForestAdapter",
    "RidgeAdapter",
    "SparseLinearAdapter",
    "XGBoostAdapter",
    "get_adapter",
    "make_model",
]

MODEL_ADAPTERS: dict[str, type[ModelAdapter]] = {
    cls.name: cls
    for cls in (
        LightGBMAdapter,
        XGBoostAdapter,
        CatBoostAdapter,
        LogisticRegressionAdapter,
        RidgeAdapter,
        LassoAdapter,
        LinearAdapter,
        SparseLinearAdapter,
        RandomForestAdapter,
        ExtraTreesAdapter,
        KNNAdapter,
    )
}


def get_adapter(name: str) -> type[ModelAdapter]:
    """Return the adapter class registered as ``name``.

    Raises:
        ConfigError: If no adapter has that name (with a suggestion).
    """
    try:
        return MODEL_ADAPTERS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown model {name!r}" + did_you_mean(str(name), MODEL_ADAPTERS)
        ) from None


def make_model(
    name: str,
    *,
    task: str = "binary",
    params: dict[str, Any] | None = None,
    seed: int = 0,
    n_jobs: int = 2,
) -> ModelAdapter:
    """Build and validate an unfitted adapter.

    Raises:
        ConfigError: For an unknown model, unsupported task or unknown parameter.
    """
    model = get_adapter(name)(task=task, params=params, seed=seed, n_jobs=n_jobs)
    model.validate()
    return model
