"""Linear model adapters: logistic regression (classification), ridge and lasso (regression),
and ``linear``, which is logistic regression or ridge by task.

Features are standardised inside the adapter (``params={"standardize": False}`` turns
this off), so coefficients are comparable and their magnitudes serve as importances.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from podium.models._check import check_names
from podium.models._sklearn import SklearnAdapter

__all__ = ["LassoAdapter", "LinearAdapter", "LogisticRegressionAdapter", "RidgeAdapter"]


class _LinearAdapter(SklearnAdapter):
    scale_features: ClassVar[bool] = True

    def _importances(self) -> np.ndarray:
        coef = np.atleast_2d(np.asarray(self.estimator_.coef_, dtype=float))
        return np.abs(coef).mean(axis=0)


class LogisticRegressionAdapter(_LinearAdapter):
    """``sklearn.linear_model.LogisticRegression`` (multinomial for multiclass)."""

    name: ClassVar[str] = "logistic_regression"
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "C": {"float": [0.001, 100.0], "log": True},
        "class_weight": {"categorical": [None, "balanced"]},
    }
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass"})

    def _estimator_class(self) -> type:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression

    def _defaults(self) -> dict[str, Any]:
        # n_jobs is deprecated (no effect) for LogisticRegression since scikit-learn 1.8.
        return {"C": 1.0, "max_iter": 2000, "random_state": self.seed}


class RidgeAdapter(_LinearAdapter):
    """``sklearn.linear_model.Ridge`` for regression."""

    name: ClassVar[str] = "ridge"
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "alpha": {"float": [0.001, 1000.0], "log": True},
    }
    tasks: ClassVar[frozenset[str]] = frozenset({"regression"})

    def _estimator_class(self) -> type:
        from sklearn.linear_model import Ridge

        return Ridge

    def _defaults(self) -> dict[str, Any]:
        return {"alpha": 1.0, "random_state": self.seed}


class LassoAdapter(_LinearAdapter):
    """``sklearn.linear_model.Lasso`` for regression (L1: sparse coefficients)."""

    name: ClassVar[str] = "lasso"
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "alpha": {"float": [1e-05, 1.0], "log": True},
    }
    tasks: ClassVar[frozenset[str]] = frozenset({"regression"})

    def _estimator_class(self) -> type:
        from sklearn.linear_model import Lasso

        return Lasso

    def _defaults(self) -> dict[str, Any]:
        return {"alpha": 0.001, "max_iter": 20000, "random_state": self.seed}


class LinearAdapter(_LinearAdapter):
    """Task-aware linear model: logistic regression (binary, multiclass) or ridge (regression).

    Parameters of either are accepted and those of the variant not in use are ignored, so
    one pipeline serves every task (e.g. ``{C: 0.3, alpha: 3.0}``); a name that neither
    knows is an error.
    """

    name: ClassVar[str] = "linear"
    # task-aware: C is used for classification, alpha for regression
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "C": {"float": [0.001, 100.0], "log": True},
        "alpha": {"float": [0.001, 1000.0], "log": True},
    }
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass", "regression"})

    def _variant(self) -> _LinearAdapter:
        cls = RidgeAdapter if self.task == "regression" else LogisticRegressionAdapter
        return cls(task=self.task, seed=self.seed, n_jobs=self.n_jobs)

    def _estimator_class(self) -> type:
        return self._variant()._estimator_class()

    def _defaults(self) -> dict[str, Any]:
        return self._variant()._defaults()

    def _check_params(self, params: dict[str, Any]) -> None:
        valid: set[str] = set()
        for task in ("binary", "regression"):
            valid |= LinearAdapter(task=task).param_names()
        check_names(f"model {self.name!r}", params, valid)

    def _fit_params(self) -> dict[str, Any]:
        own = self.param_names()
        user = {k: v for k, v in (self.params or {}).items() if k in own}
        return {**self._defaults(), **user}
