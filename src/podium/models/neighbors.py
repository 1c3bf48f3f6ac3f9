"""k-nearest-neighbours adapter (classifier or regressor) on standardised features."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from podium.models._sklearn import SklearnAdapter

__all__ = ["KNNAdapter"]


class KNNAdapter(SklearnAdapter):
    """``KNeighborsClassifier`` / ``KNeighborsRegressor``.

    ``n_neighbors`` is capped at the number of training rows. Importances are zeros.
    """

    name: ClassVar[str] = "knn"
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "n_neighbors": {"int": [3, 200], "log": True},
        "weights": {"categorical": ["uniform", "distance"]},
        "p": {"categorical": [1, 2]},
    }
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass", "regression"})
    scale_features: ClassVar[bool] = True
    _estimators = ("sklearn.neighbors", "KNeighborsClassifier", "KNeighborsRegressor")

    def _defaults(self) -> dict[str, Any]:
        return {"n_neighbors": 50, "n_jobs": self.n_jobs}

    def _build(self, params: dict[str, Any], n_rows: int) -> Any:
        params["n_neighbors"] = min(int(params["n_neighbors"]), n_rows)
        return super()._build(params, n_rows)

    def _importances(self) -> np.ndarray:
        return np.zeros(self.n_features_in_)
