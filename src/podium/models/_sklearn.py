"""Shared base of the scikit-learn model adapters."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from podium.exceptions import ConfigError
from podium.models._check import check_names, check_values
from podium.models._columns import numeric_matrix
from podium.models.base import ModelAdapter

try:  # a ValueError subclass with a readable message; private location
    from sklearn.utils._param_validation import InvalidParameterError
except ImportError:  # pragma: no cover - older/newer scikit-learn
    InvalidParameterError = ValueError

__all__ = ["SklearnAdapter", "fit_estimator"]


def fit_estimator(estimator: Any, X: Any, y: np.ndarray, name: str) -> Any:
    """``estimator.fit(X, y)``; a parameter scikit-learn rejects is one ConfigError line."""
    try:
        return estimator.fit(X, y)
    except InvalidParameterError as err:
        raise ConfigError(f"model {name!r}: {err}") from err


STANDARDIZE = "standardize"


class SklearnAdapter(ModelAdapter):
    """Adapter for a scikit-learn estimator on an all-numeric feature frame (or on the
    design matrix a subclass's :meth:`_prepare` builds).

    Unknown parameter names raise :class:`ConfigError`. Adapters with
    ``scale_features`` standardise the features first unless
    ``params={"standardize": False}``.
    """

    needs_numeric: ClassVar[bool] = True
    allows_nan: ClassVar[bool] = False
    scale_features: ClassVar[bool] = False

    def _defaults(self) -> dict[str, Any]:
        """Parameters used unless the user sets them."""
        return {}

    def _fit_params(self) -> dict[str, Any]:
        """The defaults with the user's parameters over them: what the estimator gets."""
        return {**self._defaults(), **(self.params or {})}

    def param_names(self) -> frozenset[str]:
        """The parameters this adapter uses for its task (tuning searches only these)."""
        names = set(self._estimator_class()().get_params())
        if self.scale_features:
            names.add(STANDARDIZE)
        return frozenset(names)

    def _check_params(self, params: dict[str, Any]) -> None:
        cls = self._estimator_class()
        owner = f"model {self.name!r}"
        check_names(owner, params, set(self.param_names()))
        constraints = dict(getattr(cls, "_parameter_constraints", {}))
        if self.scale_features:
            constraints[STANDARDIZE] = ["boolean"]
        check_values(owner, params, constraints)

    def _prepare(self, X: pd.DataFrame, *, fitting: bool) -> np.ndarray:
        return numeric_matrix(X, self._columns, self.name, allow_nan=self.allows_nan)

    def _build(self, params: dict[str, Any], n_rows: int) -> Any:
        """Instantiate the estimator (hook for adapters that adjust params to the data)."""
        return self._estimator_class()(**params)

    # ModelAdapter's hook, restated: plug-in models override it with these four arguments.
    def _fit_model(
        self,
        X: np.ndarray,
        y: np.ndarray,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None,
        early_stopping_rounds: int | None,
    ) -> None:
        params = self._fit_params()
        standardize = bool(params.pop(STANDARDIZE, self.scale_features))
        estimator = self._build(params, X.shape[0])
        if standardize:
            estimator = Pipeline([("scale", StandardScaler()), ("model", estimator)])
        self.model_ = fit_estimator(estimator, X, y, self.name)

    @property
    def estimator_(self) -> Any:
        """The fitted scikit-learn estimator (without the scaler)."""
        model = self.model_
        return model[-1] if isinstance(model, Pipeline) else model
