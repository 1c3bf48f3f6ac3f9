"""The :class:`ModelAdapter` contract shared by every model podium can train.

An adapter wraps one library estimator behind the same small interface: ``fit`` on a
DataFrame and an already-encoded target, ``predict`` returning probabilities (binary:
``P(y=1)``; multiclass: one column per class) or values (regression), a fitted
``feature_importances_`` Series and ``best_iteration_`` for refitting on all rows with
:meth:`ModelAdapter.with_iterations`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from podium._validate import Integral, Interval, check_param
from podium.exceptions import ConfigError, DataError, NotFittedError, did_you_mean

__all__ = ["TASKS", "ModelAdapter"]

TASKS: frozenset[str] = frozenset({"binary", "multiclass", "regression"})

_FITTED_ATTRIBUTES = frozenset(
    {
        "model_",
        "best_iteration_",
        "feature_importances_",
        "n_features_in_",
        "feature_names_in_",
        "n_classes_",
        "classes_",
        "estimator_",
    }
)


class ModelAdapter(BaseEstimator):
    """Base class of podium's model adapters (a scikit-learn estimator).

    Subclasses set the class variables and implement :meth:`_fit_model` and
    :meth:`_importances`, and optionally :meth:`_check_params`, :meth:`_prepare` and
    :meth:`_predict_model` (by default the scikit-learn API's ``predict_proba``/``predict``).

    Args:
        task: One of ``"binary"``, ``"multiclass"``, ``"regression"``.
        params: Library parameters merged over the adapter's defaults.
        seed: Random seed passed to the library.
        n_jobs: Number of threads the library may use.
    """

    name: ClassVar[str] = ""
    supports_early_stopping: ClassVar[bool] = False
    tasks: ClassVar[frozenset[str]] = frozenset()
    needs_numeric: ClassVar[bool] = True
    iteration_param: ClassVar[str | None] = None
    search_space: ClassVar[dict[str, dict[str, Any]]] = {}
    """The model's default tuning space over its ``params`` (entries as in a pipeline's
    ``search_space``: ``{"num_leaves": {"int": [4, 128], "log": True}}``); a plug-in
    adapter may declare its own. Iteration counts are not searched: GBDTs stop early."""
    search_fixed: ClassVar[dict[str, Any]] = {}
    """Params set on every trial unless the pipeline sets them."""

    def __init__(
        self,
        *,
        task: str = "binary",
        params: dict[str, Any] | None = None,
        seed: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.task = task
        self.params = params
        self.seed = seed
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ public API
    def validate(self) -> None:
        """Check the task and parameters without data (``fit`` calls this first).

        Raises:
            ConfigError: If the task is unknown or unsupported, or a parameter is unknown.
        """
        if self.task not in self.tasks:
            if self.task in TASKS:
                raise ConfigError(
                    f"model {self.name!r} does not support task {self.task!r}; it supports "
                    + ", ".join(repr(t) for t in sorted(self.tasks))
                )
            raise ConfigError(f"unknown task {self.task!r}" + did_you_mean(self.task, TASKS))
        if self.params is not None and not isinstance(self.params, Mapping):
            raise ConfigError(
                f"params of model {self.name!r} must be a mapping, "
                f"got {type(self.params).__name__}"
            )
        self._check_params(dict(self.params or {}))

    def fit(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        *,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None = None,
        early_stopping_rounds: int | None = None,
    ) -> Self:
        """Fit the model.

        Args:
            X: Feature frame; its column order is remembered for ``predict``.
            y: Encoded target: ints ``0..k-1`` for classification, floats for regression.
            eval_set: ``(X_valid, y_valid)`` used for early stopping (GBDTs only).
            early_stopping_rounds: Stop after this many rounds without improvement on
                ``eval_set``; ignored unless both are given and the model supports it.

        Returns:
            The fitted adapter.
        """
        self.validate()
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"model {self.name!r} expects a pandas DataFrame, got {type(X)}")
        if X.columns.has_duplicates:
            dupes = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
            raise DataError(f"feature frame has duplicate columns: {', '.join(dupes)}")
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        self._columns = list(X.columns)
        y_fit = self._encode_y(y, len(X))
        X_fit = self._prepare(self._rename(X), fitting=True)
        eval_data = None
        if (
            self.supports_early_stopping
            and eval_set is not None
            and early_stopping_rounds is not None
        ):
            if early_stopping_rounds < 1:
                raise ConfigError(
                    f"early_stopping_rounds must be >= 1, got {early_stopping_rounds}"
                )
            X_eval, y_eval = eval_set
            eval_data = self._eval_data(X_eval, y_eval)
        self.best_iteration_: int | None = None
        self._fit_model(X_fit, y_fit, eval_data, early_stopping_rounds if eval_data else None)
        importances = np.asarray(self._importances(), dtype=float)
        self.feature_importances_ = pd.Series(
            importances, index=pd.Index(self._columns), name="importance", dtype=float
        )
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predict probabilities (classification) or values (regression).

        Args:
            X: Frame holding at least the columns seen by ``fit`` (extra ones are ignored).

        Returns:
            Binary: ``P(y=1)`` of shape ``(n,)``; multiclass: ``(n, n_classes)``
            probabilities; regression: ``(n,)`` values.
        """
        if "model_" not in self.__dict__:
            raise NotFittedError(f"model {self.name!r} must be fitted before predict")
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"model {self.name!r} expects a pandas DataFrame, got {type(X)}")
        missing = [str(c) for c in self._columns if c not in X.columns]
        if missing:
            raise DataError(
                f"model {self.name!r} cannot predict: missing feature columns "
                + ", ".join(repr(c) for c in missing[:10])
            )
        X_pred = self._prepare(self._rename(X.loc[:, self._columns]), fitting=False)
        out = np.asarray(self._predict_model(X_pred))
        if self.task == "regression":
            return out.reshape(-1).astype(float)
        proba = np.zeros((len(X), self.n_classes_), dtype=float)
        proba[:, self.classes_] = out.reshape(len(X), -1)
        return proba[:, 1] if self.task == "binary" else proba

    def with_iterations(self, n: int) -> ModelAdapter:
        """Return an unfitted clone whose iteration count is ``n``.

        Raises:
            ConfigError: If the model has no iteration count or ``n`` is not positive.
        """
        if self.iteration_param is None:
            raise ConfigError(f"model {self.name!r} has no iteration count to set")
        check_param("iteration count", n, Interval(Integral, 1), expected="a positive integer")
        params = {
            k: v for k, v in (self.params or {}).items() if k not in self._iteration_aliases()
        }
        params[self.iteration_param] = int(n)
        return clone(self).set_params(params=params)

    def __getattr__(self, name: str) -> Any:
        if name in _FITTED_ATTRIBUTES:
            raise NotFittedError(
                f"{type(self).__name__}.{name} is not available: call fit() first"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def param_names(self) -> frozenset[str] | None:
        """The parameters this adapter uses for its task, if it can tell (``None``: it
        cannot; the GBDTs' are read from their libraries). Tuning searches only these."""
        return None

    def accepted_params(self) -> frozenset[str] | None:
        """Every parameter name this adapter accepts, aliases included (``None``: it
        cannot tell). Tuning checks search-space paths against it."""
        names = self.param_names()
        return None if names is None else self._with_aliases(names)

    def _with_aliases(self, names: frozenset[str]) -> frozenset[str]:
        """``names`` plus the adapter's ``aliases`` (canonical names and their aliases)."""
        aliases = getattr(self, "aliases", {}) or {}
        return frozenset(names | set(aliases) | {n for ns in aliases.values() for n in ns})

    # ------------------------------------------------------------- subclass hooks
    def _check_params(self, params: dict[str, Any]) -> None:
        """Raise ConfigError for parameters the library does not accept."""

    def _iteration_aliases(self) -> frozenset[str]:
        """All parameter names that set the iteration count."""
        return frozenset({self.iteration_param} if self.iteration_param else ())

    def _prepare(self, X: pd.DataFrame, *, fitting: bool) -> pd.DataFrame:
        """Turn a renamed feature frame into what the library accepts."""
        return X

    _estimators: ClassVar[tuple[str, str, str] | None] = None
    """``(module, classifier, regressor)``: the library's estimator classes by task."""

    def _estimator_class(self) -> type:
        """The library's estimator class for ``self.task`` (its module imported here, so
        importing podium does not import every library)."""
        if self._estimators is None:
            raise NotImplementedError
        module, classifier, regressor = self._estimators
        lib = importlib.import_module(module)
        return getattr(lib, regressor if self.task == "regression" else classifier)

    def _fit_model(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None,
        early_stopping_rounds: int | None,
    ) -> None:
        """Fit the library model, set ``model_`` and ``best_iteration_``."""
        raise NotImplementedError

    def _predict_model(self, X: pd.DataFrame) -> np.ndarray:
        """Return library output: class probabilities (one column per trained class) or
        values; by default the scikit-learn API's ``predict_proba`` or ``predict``."""
        if self.task == "regression":
            return self.model_.predict(X)
        return self.model_.predict_proba(X)

    def _importances(self) -> np.ndarray:
        """Return one importance per feature, in column order."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def _rename(self, X: pd.DataFrame) -> pd.DataFrame:
        """Use positional names ``f0..`` so libraries never see odd column names."""
        return X.set_axis([f"f{i}" for i in range(X.shape[1])], axis=1)

    def _encode_y(self, y: Any, n_rows: int) -> np.ndarray:
        y_arr = np.asarray(y).reshape(-1)
        if len(y_arr) != n_rows:
            raise DataError(f"target has {len(y_arr)} values but the feature frame {n_rows} rows")
        try:
            y_float = y_arr.astype(float)
        except (TypeError, ValueError) as err:
            raise DataError(f"model {self.name!r} needs a numeric (encoded) target") from err
        if np.isnan(y_float).any():
            raise DataError("target contains missing values")
        if self.task == "regression":
            return y_float
        if (y_float < 0).any() or (y_float != np.round(y_float)).any():
            raise DataError("classification target must be encoded as integers 0..k-1")
        labels = y_float.astype(np.int64)
        self.classes_ = np.unique(labels)
        if self.task == "binary" and self.classes_.max() > 1:
            raise DataError(f"binary target must be 0/1, found labels {self.classes_.tolist()}")
        if len(self.classes_) < 2:
            raise DataError(f"target has a single class ({self.classes_[0]}); nothing to learn")
        self.n_classes_ = 2 if self.task == "binary" else int(self.classes_.max()) + 1
        return np.searchsorted(self.classes_, labels)

    def _eval_data(self, X: pd.DataFrame, y: Any) -> tuple[pd.DataFrame, np.ndarray] | None:
        """Prepare the early-stopping set like training data (unknown classes dropped)."""
        missing = [str(c) for c in self._columns if c not in X.columns]
        if missing:
            raise DataError("eval_set lacks feature columns " + ", ".join(missing[:10]))
        X_eval = self._prepare(self._rename(X.loc[:, self._columns]), fitting=False)
        y_eval = np.asarray(y).reshape(-1)
        if len(y_eval) != len(X_eval):
            raise DataError("eval_set target and frame have different lengths")
        if self.task == "regression":
            return X_eval, y_eval.astype(float)
        labels = y_eval.astype(np.int64)
        known = np.isin(labels, self.classes_)
        if not known.any():
            return None
        return X_eval[known], np.searchsorted(self.classes_, labels[known])
