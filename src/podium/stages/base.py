"""The stage contract: scikit-learn transformers that take and return DataFrames.

A stage's ``__init__`` only stores its arguments (podium's stages declare them once, as
annotated fields of a class decorated with :func:`stage_params`); ``fit`` learns from
training rows and returns ``self``; fitted state ends in ``_``. Stages that need the
target cross-fit: their ``fit_transform`` returns out-of-fold values and differs from
``fit().transform()``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self, TypeVar, dataclass_transform, runtime_checkable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from podium.exceptions import ConfigError, did_you_mean

__all__ = [
    "Stage",
    "BaseStage",
    "NamedStage",
    "as_frame",
    "check_columns",
    "chosen_columns",
    "stage_params",
]

_T = TypeVar("_T")
_H = TypeVar("_H", bound=Hashable)


@dataclass_transform(eq_default=False)
def stage_params(cls: type[_T]) -> type[_T]:
    """Class decorator: the ``__init__`` of an estimator from its annotated fields.

    Each annotated class attribute (``columns: list[str] | None = None``) becomes a
    parameter, in the order written, that the generated ``__init__`` stores and nothing
    else: the signature scikit-learn's ``get_params``/``set_params``/``clone`` read.
    Fields of decorated base classes come first. Class constants are ``ClassVar``; a
    mutable default is an error (use None). Equality and ``repr`` stay scikit-learn's.
    A class that writes its own ``__init__`` keeps it, so plug-in stages written the
    plain scikit-learn way need no decorator.
    """
    return dataclass(eq=False, repr=False, match_args=False)(cls)


@runtime_checkable
class Stage(Protocol):
    """What the engine needs of a stage (plug-ins need not inherit)."""

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None, **fit_params: Any) -> Any: ...

    def transform(self, X: pd.DataFrame) -> pd.DataFrame: ...

    def fit_transform(
        self, X: pd.DataFrame, y: pd.Series | None = None, **fit_params: Any
    ) -> pd.DataFrame: ...


def as_frame(X: Any, columns: list[str] | None = None) -> pd.DataFrame:
    """Return ``X`` as a DataFrame; arrays get columns ``x0, x1, ...`` (or ``columns``).

    DataFrames are taken as they are. Other input is checked as scikit-learn does (2-D,
    dense, not complex, not empty; NaN allowed) and object arrays of numbers become float.
    """
    if isinstance(X, pd.DataFrame):
        return X
    arr = _check_array(X)
    names = columns if columns is not None else [f"x{i}" for i in range(arr.shape[1])]
    return pd.DataFrame(arr, columns=names)


def check_columns(
    X: pd.DataFrame, columns: Sequence[Hashable] | None, stage: str, key: str
) -> None:
    """Raise ConfigError naming a configured column that ``X`` lacks (closest suggested)."""
    for col in columns or []:
        if col not in X.columns:
            raise ConfigError(
                f"stage {stage!r}: {key} names column {col!r}, which the data does not have"
                f"{did_you_mean(str(col), map(str, X.columns))}"
            )


def chosen_columns(
    X: pd.DataFrame,
    columns: Sequence[_H] | None,
    stage: str,
    pick: Callable[[pd.DataFrame], list[_H]],
) -> list[_H]:
    """The columns a stage works on: the configured ``columns`` (ConfigError naming one
    that ``X`` lacks), or when None those ``pick(X)`` chooses on the training rows."""
    check_columns(X, columns, stage, "columns")
    return pick(X) if columns is None else list(columns)


def _check_array(X: Any) -> np.ndarray:
    """scikit-learn's input checks and messages for non-DataFrame input."""
    arr = check_array(X, dtype=None, accept_sparse=False, ensure_all_finite=False)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except ValueError:  # text stays text; unconvertible objects raise TypeError
            pass
    return arr


class NamedStage:
    """A stage's registry name, ``stage_name``, which starts its error messages."""

    stage_name: ClassVar[str] = ""

    @property
    def _where(self) -> str:
        """``stage '<stage_name>'``."""
        return f"stage {self.stage_name!r}"

    def _msg(self, text: str) -> str:
        """``stage '<stage_name>': <text>``, a message naming the stage."""
        return f"{self._where}: {text}"


class BaseStage(NamedStage, TransformerMixin, BaseEstimator):
    """Base class of podium's stages: DataFrame in, DataFrame out.

    Subclasses implement ``_fit(X, y)`` and ``_transform(X)``; this class converts arrays
    to frames, records ``feature_names_in_``/``n_features_in_`` and checks the columns seen
    at transform time.
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # stages impute or pass NaN through
        tags.transformer_tags.preserves_dtype = []  # DataFrame out, mixed dtypes
        return tags

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Self:
        X = as_frame(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self._fit(X, None if y is None else pd.Series(np.asarray(y)), **fit_params)
        self.feature_names_out_ = list(self._transform(X.iloc[:1]).columns)
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "n_features_in_")
        if not isinstance(X, pd.DataFrame):
            X = _check_array(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        X = as_frame(X, list(self.feature_names_in_) if not hasattr(X, "columns") else None)
        return self._transform(X)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return np.asarray(self.feature_names_out_, dtype=object)

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **fit_params: Any) -> None:
        """Learn from training rows (override)."""

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError
