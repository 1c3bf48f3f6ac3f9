"""Preprocessing stages: what real tabular data needs before a model sees it.

None of these stages uses the target, so none can leak it: each learns from the training
rows of a fold and only transforms validation and test rows.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import StrOptions

from podium.exceptions import ConfigError
from podium.stages.base import BaseStage, check_columns, chosen_columns, stage_params

__all__ = [
    "NumericCoercer",
    "Imputer",
    "StandardScaler",
    "DropColumns",
    "LogTransform",
    "text_columns",
    "numeric_columns",
]

MISSING = "__missing__"


def text_columns(X: pd.DataFrame) -> list[str]:
    """Columns holding text or categories (pandas 3 ``str``, object, category, bool);
    datetime64 and timedelta64 columns are not text (a datetime stage expands them)."""
    return [
        c
        for c in X.columns
        if (not pd.api.types.is_numeric_dtype(X[c]) or isinstance(X[c].dtype, pd.CategoricalDtype))
        and not _is_time(X[c].dtype)
    ]


def _is_time(dtype: object) -> bool:
    return pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype)


def numeric_columns(X: pd.DataFrame) -> list[str]:
    """Numeric, non-boolean, non-category columns."""
    return [
        c
        for c in X.columns
        if pd.api.types.is_numeric_dtype(X[c])
        and not pd.api.types.is_bool_dtype(X[c])
        and not isinstance(X[c].dtype, pd.CategoricalDtype)
    ]


@stage_params
class NumericCoercer(BaseStage):
    """Parse numbers stored as text; blanks and junk become NaN.

    A text column is parsed when at least ``min_fraction`` of its non-blank training values
    are numbers (telecom churn's ``TotalSpent`` holds blank strings).

    Leakage: none (no target; the column choice is learned on training rows).

    Args:
        columns: columns to parse; None picks them from the training rows.
        min_fraction: share of non-blank values that must parse, for automatic picking.
    """

    columns: list[str] | None = None
    min_fraction: float = 0.95

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        self.columns_ = chosen_columns(X, self.columns, "to_numeric", self._numbers_as_text)

    def _numbers_as_text(self, X: pd.DataFrame) -> list[str]:
        """Text columns (not categories) of which ``min_fraction`` of values parse."""
        return [
            col
            for col in text_columns(X)
            if not isinstance(X[col].dtype, pd.CategoricalDtype)
            and _numeric_share(X[col], self.min_fraction) >= self.min_fraction
        ]

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        if not self.columns_:
            return X
        X = X.copy()
        for col in self.columns_:
            X[col] = pd.to_numeric(X[col].astype("string").str.strip(), errors="coerce").astype(
                "float64"
            )
        return X


def _numeric_share(s: pd.Series, needed: float = 1.0) -> float:
    """Share of the non-blank values of a text column that parse as numbers (0 if none,
    or if the most frequent values alone show that the share is below ``needed``).

    Counted over distinct values weighted by their counts, so a low-cardinality column
    costs a few parses instead of one per row.
    """
    counts = s.value_counts(dropna=True)
    if _clearly_text(counts, 1.0 - needed):
        return 0.0
    text = pd.Series(counts.index.astype(str), dtype="string").str.strip()
    keep = (text != "").to_numpy()
    total = counts.to_numpy()[keep].sum()
    if total == 0:
        return 0.0
    parsed = pd.to_numeric(text[keep], errors="coerce").notna().to_numpy()
    return float(counts.to_numpy()[keep][parsed].sum() / total)


def _clearly_text(counts: pd.Series, allowed: float, top: int = 8) -> bool:
    """True when the most frequent values alone hold more than ``allowed`` (a share of all
    values) that are not numbers: a quick reject for columns of words."""
    bad = 0
    for value, n in zip(counts.index[:top], counts.to_numpy()[:top], strict=True):
        text = str(value).strip()
        if not text:
            continue
        try:
            float(text)
        except ValueError:
            bad += n
    return bad > allowed * counts.sum()


@stage_params
class Imputer(BaseStage):
    """Fill missing values: numbers with a training statistic, text with a marker.

    Leakage: none (statistics from the training rows of the fold).

    Args:
        strategy: ``median``, ``mean`` or ``zero`` for numeric columns.
        fill_text: value for missing text/category entries.
        indicator: add ``<col>__isna`` columns for numeric columns missing in training.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {  # checked before training
        "strategy": [StrOptions({"median", "mean", "zero"})],
        "fill_text": [str],
        "indicator": ["boolean"],
    }

    strategy: str = "median"
    fill_text: str = MISSING
    indicator: bool = False

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        if self.strategy not in ("median", "mean", "zero"):
            raise ConfigError(
                f"stage 'impute': strategy must be median, mean or zero, got {self.strategy!r}"
            )
        num = numeric_columns(X)
        if self.strategy == "zero":
            stats = pd.Series(0.0, index=num)
        else:
            stats = X[num].agg(self.strategy) if num else pd.Series(dtype=float)
        self.fill_values_ = stats.fillna(0.0).to_dict()
        self.text_columns_ = text_columns(X)
        self.indicator_columns_ = [c for c in num if X[c].isna().any()] if self.indicator else []

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for col in self.indicator_columns_:
            X[f"{col}__isna"] = X[col].isna().astype("float64")
        for col, value in self.fill_values_.items():
            if X[col].isna().any():
                X[col] = X[col].fillna(value)
        for col in self.text_columns_:
            s = X[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                if self.fill_text not in s.cat.categories:
                    s = s.cat.add_categories([self.fill_text])
                X[col] = s.fillna(self.fill_text)
            elif isinstance(s.dtype, pd.StringDtype):
                if s.isna().any():
                    X[col] = s.fillna(self.fill_text)
            else:
                X[col] = s.astype(object).where(s.notna(), self.fill_text).astype("str")
        return X


@stage_params
class StandardScaler(BaseStage):
    """Centre and scale numeric columns with training mean and std (for linear and kNN models).

    Leakage: none (statistics from the training rows of the fold).
    """

    columns: list[str] | None = None

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        cols = chosen_columns(X, self.columns, "standard_scaler", numeric_columns)
        self.mean_ = X[cols].mean().fillna(0.0)
        std = X[cols].std(ddof=0).fillna(0.0)
        self.scale_ = std.where(std > 0, 1.0)

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        cols = list(self.mean_.index)
        if cols:
            X[cols] = ((X[cols] - self.mean_) / self.scale_).astype("float64")
        return X


@stage_params
class LogTransform(BaseStage):
    """``log1p`` of skewed non-negative numeric columns (skew chosen on training rows).

    Leakage: none (no target).

    Args:
        columns: columns to transform; None picks non-negative columns with skew > ``skew``.
        skew: skewness threshold for automatic picking.
    """

    columns: list[str] | None = None
    skew: float = 0.75

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        self.columns_ = chosen_columns(X, self.columns, "log_transform", self._skewed)

    def _skewed(self, X: pd.DataFrame) -> list[str]:
        """Non-negative numeric columns with a skew above ``skew``."""
        nonneg = [c for c in numeric_columns(X) if X[c].min() >= 0]
        skews = X[nonneg].skew() if nonneg else pd.Series(dtype=float)
        return [c for c in nonneg if skews.get(c, 0.0) > self.skew]

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for col in self.columns_:
            X[col] = np.log1p(X[col].clip(lower=0).astype("float64"))
        return X


@stage_params
class DropColumns(BaseStage):
    """Drop the named columns (missing names are an error naming the column)."""

    columns: list[str] | None = None

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        check_columns(X, self.columns, "drop", "columns")

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.drop(columns=list(self.columns or []))
