"""Bagged tree ensembles: random forest and extra trees (classifier or regressor)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from podium.models._sklearn import SklearnAdapter

__all__ = ["RandomForestAdapter", "ExtraTreesAdapter"]


class _ForestAdapter(SklearnAdapter):
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass", "regression"})
    allows_nan: ClassVar[bool] = True
    iteration_param: ClassVar[str | None] = "n_estimators"
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "max_features": {"float": [0.1, 1.0]},
        "min_samples_leaf": {"int": [1, 50], "log": True},
    }

    def _defaults(self) -> dict[str, Any]:
        return {"n_estimators": 500, "random_state": self.seed, "n_jobs": self.n_jobs}

    def _predict_model(self, X: np.ndarray) -> np.ndarray:
        # Threads add tree outputs in completion order, which changes the last bits of
        # the average; predicting on one thread keeps repeated runs bit-identical.
        n_jobs = self.model_.n_jobs
        self.model_.set_params(n_jobs=1)
        try:
            return super()._predict_model(X)
        finally:
            self.model_.set_params(n_jobs=n_jobs)

    def _importances(self) -> np.ndarray:
        return self.model_.feature_importances_


class RandomForestAdapter(_ForestAdapter):
    """``RandomForestClassifier`` / ``RandomForestRegressor`` (accepts NaN)."""

    name: ClassVar[str] = "random_forest"
    _estimators = ("sklearn.ensemble", "RandomForestClassifier", "RandomForestRegressor")


class ExtraTreesAdapter(_ForestAdapter):
    """``ExtraTreesClassifier`` / ``ExtraTreesRegressor`` (accepts NaN)."""

    name: ClassVar[str] = "extra_trees"
    _estimators = ("sklearn.ensemble", "ExtraTreesClassifier", "ExtraTreesRegressor")
