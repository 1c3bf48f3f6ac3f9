"""Gradient-boosted tree adapters: LightGBM, XGBoost and CatBoost.

The libraries are imported when a model is fitted, so importing podium stays fast.
Parameters pass through to the library (merged over podium's defaults); common aliases
such as ``eta`` or ``num_boost_round`` are folded onto one name so a user value always
replaces the default instead of conflicting with it.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from podium.exceptions import DataError
from podium.models._check import (
    catboost_names,
    check_names,
    check_values,
    gbdt_constraints,
    lightgbm_names,
    xgboost_names,
)
from podium.models._columns import (
    align_categories,
    categorical_columns,
    datetimes_as_seconds,
    learn_categories,
    to_catboost_strings,
    to_float,
)
from podium.models._params import merge_params
from podium.models.base import ModelAdapter

__all__ = ["GBDTAdapter", "LightGBMAdapter", "XGBoostAdapter", "CatBoostAdapter"]

EarlyStop = tuple[tuple[pd.DataFrame, np.ndarray], int]
"""Early stopping: the prepared eval set ``(X, y)`` and the patience in rounds."""


class GBDTAdapter(ModelAdapter):
    """Shared behaviour of the boosting adapters: categoricals, params, early stopping."""

    supports_early_stopping: ClassVar[bool] = True
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass", "regression"})
    needs_numeric: ClassVar[bool] = False
    iteration_param: ClassVar[str | None] = "n_estimators"
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {}

    def _defaults(self) -> dict[str, Any]:
        raise NotImplementedError

    def _library_params(self) -> dict[str, Any]:
        return merge_params(self._defaults(), self.params, self.aliases)

    def _library_names(self) -> frozenset[str]:
        """Every parameter name the library accepts."""
        raise NotImplementedError

    def accepted_params(self) -> frozenset[str]:
        return self._with_aliases(self._library_names())

    def _check_params(self, params: dict[str, Any]) -> None:
        merge_params({}, params, self.aliases)
        owner = f"model {self.name!r}"
        check_names(owner, params, self.accepted_params())
        check_values(owner, params, gbdt_constraints(self.name))

    def _iteration_aliases(self) -> frozenset[str]:
        param = self.iteration_param or ""
        return frozenset({param, *self.aliases.get(param, ())})

    def _prepare(self, X: pd.DataFrame, *, fitting: bool) -> pd.DataFrame:
        X = datetimes_as_seconds(X)
        if fitting:
            cats = categorical_columns(X, self._columns, self.name)
            self._categories = {c: learn_categories(X[c]) for c in cats}
        out, same = {}, {}
        for col, name in zip(X.columns, self._columns, strict=True):
            s = same[col] = X[col]
            if col in self._categories:
                out[col] = self._categorical(s, self._categories[col])
            elif not pd.api.types.is_numeric_dtype(s.dtype) or isinstance(
                s.dtype, pd.CategoricalDtype
            ):
                raise DataError(
                    f"column {name!r} was numeric when model {self.name!r} was fitted "
                    f"but now has dtype {s.dtype}"
                )
            else:
                out[col] = to_float(s)
        if all(out[col] is s for col, s in same.items()):
            return X  # nothing to convert: no copy of the fold's rows
        return pd.DataFrame(out, index=X.index, columns=X.columns)

    def _categorical(self, s: pd.Series, categories: pd.Index) -> pd.Series:
        """Encode one categorical column for the library (category dtype by default)."""
        return align_categories(s, categories)

    # The signature is ModelAdapter's hook, which plug-in models override with these four
    # arguments: every adapter family that fits a model restates it.
    def _fit_model(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None,
        early_stopping_rounds: int | None,
    ) -> None:
        params = self._library_params()
        kwargs = self._fit_kwargs(X)
        stop = None
        if eval_set is not None and early_stopping_rounds is not None:
            stop = (eval_set, early_stopping_rounds)
            kwargs.update(self._stop_kwargs(params, stop))
        model = self._estimator_class()(**params)
        model.fit(X, y, **kwargs)
        self.model_ = model
        self.best_iteration_ = self._best_iteration(stopped=stop is not None)

    def _fit_kwargs(self, X: pd.DataFrame) -> dict[str, Any]:
        """The library's ``fit`` keyword arguments other than early stopping's."""
        return {}

    def _stop_kwargs(self, params: dict[str, Any], stop: EarlyStop) -> dict[str, Any]:
        """``fit``'s early-stopping keyword arguments (may also set constructor params)."""
        raise NotImplementedError

    def _best_iteration(self, *, stopped: bool) -> int:
        """The fitted ``model_``'s iteration count (its best one if it stopped early)."""
        raise NotImplementedError


class LightGBMAdapter(GBDTAdapter):
    """LightGBM (``LGBMClassifier``/``LGBMRegressor``), deterministic and silent."""

    name: ClassVar[str] = "lightgbm"
    _estimators = ("lightgbm", "LGBMClassifier", "LGBMRegressor")
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "learning_rate": {"float": [0.01, 0.2], "log": True},
        "num_leaves": {"int": [4, 128], "log": True},
        "min_child_samples": {"int": [5, 200], "log": True},
        "subsample": {"float": [0.5, 1.0]},
        "colsample_bytree": {"float": [0.3, 1.0]},
        "reg_lambda": {"float": [0.001, 30.0], "log": True},
        "reg_alpha": {"float": [0.001, 10.0], "log": True},
    }
    search_fixed: ClassVar[dict[str, Any]] = {"subsample_freq": 1}  # subsample acts
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "n_estimators": (
            "num_iterations",
            "num_iteration",
            "n_iter",
            "num_tree",
            "num_trees",
            "num_round",
            "num_rounds",
            "nrounds",
            "num_boost_round",
            "max_iter",
        ),
        "learning_rate": ("shrinkage_rate", "eta"),
        "num_leaves": ("num_leaf", "max_leaves", "max_leaf", "max_leaf_nodes"),
        "random_state": ("seed", "random_seed"),
        "n_jobs": ("num_threads", "num_thread", "nthread", "nthreads"),
        "verbosity": ("verbose",),
    }

    def _library_names(self) -> frozenset[str]:
        return lightgbm_names()

    def _defaults(self) -> dict[str, Any]:
        defaults: dict[str, Any] = {
            "n_estimators": 2000,
            "learning_rate": 0.03,
            "num_leaves": 31,
            "verbosity": -1,
            "deterministic": True,
            "random_state": self.seed,
            "n_jobs": self.n_jobs,
        }
        if not (self.params or {}).get("force_col_wise"):
            defaults["force_row_wise"] = True
        return defaults

    def _stop_kwargs(self, params: dict[str, Any], stop: EarlyStop) -> dict[str, Any]:
        import lightgbm as lgb

        eval_set, rounds = stop
        cls: Any = self._estimator_class()
        kwargs: dict[str, Any] = {}
        if "eval_X" in inspect.signature(cls.fit).parameters:  # lightgbm >= 4.7
            kwargs["eval_X"], kwargs["eval_y"] = eval_set
        else:  # pragma: no cover - lightgbm 4.6
            kwargs["eval_set"] = [eval_set]
        kwargs["callbacks"] = [lgb.early_stopping(rounds, verbose=False)]
        return kwargs

    def _best_iteration(self, *, stopped: bool) -> int:
        if stopped and self.model_.best_iteration_:
            return int(self.model_.best_iteration_)
        return int(self.model_.booster_.current_iteration())

    def _importances(self) -> np.ndarray:
        return self.model_.booster_.feature_importance(importance_type="gain")


_NO_VALUE = pd.Index(["(no value in the fitting rows)"], dtype="str")


class XGBoostAdapter(GBDTAdapter):
    """XGBoost (``XGBClassifier``/``XGBRegressor``) with native categorical support."""

    name: ClassVar[str] = "xgboost"
    _estimators = ("xgboost", "XGBClassifier", "XGBRegressor")
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "learning_rate": {"float": [0.01, 0.2], "log": True},
        "max_depth": {"int": [2, 10]},
        "min_child_weight": {"float": [0.1, 50.0], "log": True},
        "subsample": {"float": [0.5, 1.0]},
        "colsample_bytree": {"float": [0.3, 1.0]},
        "reg_lambda": {"float": [0.001, 30.0], "log": True},
        "reg_alpha": {"float": [0.001, 10.0], "log": True},
    }
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "n_estimators": ("num_boost_round", "num_round"),
        "learning_rate": ("eta",),
        "random_state": ("seed",),
        "n_jobs": ("nthread",),
    }

    def _library_names(self) -> frozenset[str]:
        return xgboost_names()

    def _defaults(self) -> dict[str, Any]:
        return {
            "n_estimators": 2000,
            "learning_rate": 0.03,
            "tree_method": "hist",
            "enable_categorical": True,
            "random_state": self.seed,
            "n_jobs": self.n_jobs,
        }

    def _categorical(self, s: pd.Series, categories: pd.Index) -> pd.Series:
        # XGBoost fails on a category column with no categories ("cannot call `vectorize`
        # on size 0 inputs"): a column with no value in the fitting rows, as an early-
        # stopping split of a small fold can leave a rare one. It gets one category that
        # no value has, so it stays all missing, as it is in those rows.
        return super()._categorical(s, categories if len(categories) else _NO_VALUE)

    def _stop_kwargs(self, params: dict[str, Any], stop: EarlyStop) -> dict[str, Any]:
        eval_set, rounds = stop
        metric = {"binary": "logloss", "multiclass": "mlogloss", "regression": "rmse"}
        params.setdefault("eval_metric", metric[self.task])
        params["early_stopping_rounds"] = rounds
        return {"eval_set": [eval_set], "verbose": False}

    def _best_iteration(self, *, stopped: bool) -> int:
        if stopped:
            return int(self.model_.best_iteration) + 1
        return int(self.model_.get_booster().num_boosted_rounds())

    def _importances(self) -> np.ndarray:
        booster = self.model_.get_booster()
        best = self.best_iteration_
        if best is not None and best < booster.num_boosted_rounds():
            booster = booster[:best]
        scores = booster.get_score(importance_type="total_gain")
        return np.array([scores.get(f"f{i}", 0.0) for i in range(self.n_features_in_)])


class CatBoostAdapter(GBDTAdapter):
    """CatBoost with categorical columns given as strings (NaN -> ``"__nan__"``)."""

    name: ClassVar[str] = "catboost"
    _estimators = ("catboost", "CatBoostClassifier", "CatBoostRegressor")
    # Like the other GBDTs' declarations in shape only: each library has its own parameter
    # names and ranges, so each adapter declares its own space.
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "learning_rate": {"float": [0.01, 0.2], "log": True},
        "depth": {"int": [3, 8]},
        "l2_leaf_reg": {"float": [0.5, 30.0], "log": True},
        "random_strength": {"float": [0.01, 10.0], "log": True},
        "rsm": {"float": [0.3, 1.0]},
    }
    iteration_param: ClassVar[str | None] = "iterations"
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "iterations": ("n_estimators", "num_boost_round", "num_trees"),
        "learning_rate": ("eta",),
        "random_seed": ("random_state",),
        "thread_count": ("n_jobs",),
        "loss_function": ("objective",),
    }
    _LOGGING = ("verbose", "logging_level", "verbose_eval", "silent")
    _PINNED = ("leaf_estimation_iterations", "boosting_type")

    def _library_names(self) -> frozenset[str]:
        return catboost_names()

    def _defaults(self) -> dict[str, Any]:
        loss = {"binary": "Logloss", "multiclass": "MultiClass", "regression": "RMSE"}
        defaults: dict[str, Any] = {
            "iterations": 2000,
            "learning_rate": 0.05,
            "allow_writing_files": False,
            "random_seed": self.seed,
            "thread_count": self.n_jobs,
            "loss_function": loss[self.task],
        }
        if not any(k in (self.params or {}) for k in self._LOGGING):
            defaults["verbose"] = 0
        return defaults

    def with_iterations(self, n: int) -> ModelAdapter:
        """Unfitted clone with ``iterations=n``.

        CatBoost picks some defaults from the iteration count (``leaf_estimation_iterations``
        for Logloss changes at 200 iterations); a fitted model's resolved values are
        carried over so the refit trains the same way as the model it came from.
        """
        refit = super().with_iterations(n)
        fitted = self.__dict__.get("model_")
        if fitted is not None:
            resolved = fitted.get_all_params()
            params = dict(refit.params or {})
            for key in self._PINNED:
                if key not in params and key in resolved:
                    params[key] = resolved[key]
            refit.set_params(params=params)
        return refit

    def _categorical(self, s: pd.Series, categories: pd.Index) -> pd.Series:
        # Unseen values stay as their own string: CatBoost scores them with its prior.
        return to_catboost_strings(s)

    def _fit_kwargs(self, X: pd.DataFrame) -> dict[str, Any]:
        return {"cat_features": [i for i, c in enumerate(X.columns) if c in self._categories]}

    def _stop_kwargs(self, params: dict[str, Any], stop: EarlyStop) -> dict[str, Any]:
        eval_set, rounds = stop
        return {"eval_set": eval_set, "early_stopping_rounds": rounds, "use_best_model": True}

    def _best_iteration(self, *, stopped: bool) -> int:
        if stopped:
            return int(self.model_.get_best_iteration()) + 1
        return int(self.model_.tree_count_)

    def _importances(self) -> np.ndarray:
        return self.model_.get_feature_importance()
