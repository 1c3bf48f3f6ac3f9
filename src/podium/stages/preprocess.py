"""Preprocessing stages: what real tabular data needs before a model sees it.

None of these stages uses the target, so none can leak it: each learns from the training
rows of a fold and only transforms validation and test rows.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils._param_validation import Interval, StrOptions

from podium.exceptions import ConfigError
from podium.stages.base import BaseStage, check_columns

__all__ = [
    "NumericCoercer",
    "Imputer",
    "CategoricalEncoder",
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


class NumericCoercer(BaseStage):
    """Parse numbers stored as text; blanks and junk become NaN.

    A text column is parsed when at least ``min_fraction`` of its non-blank training values
    are numbers (telecom churn's ``TotalSpent`` holds blank strings).

    Leakage: none (no target; the column choice is learned on training rows).

    Args:
        columns: columns to parse; None picks them from the training rows.
        min_fraction: share of non-blank values that must parse, for automatic picking.
    """

    def __init__(self, columns: list[str] | None = None, min_fraction: float = 0.95) -> None:
        self.columns = columns
        self.min_fraction = min_fraction

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        check_columns(X, self.columns, "to_numeric", "columns")
        if self.columns is not None:
            self.columns_ = list(self.columns)
            return
        chosen = []
        for col in text_columns(X):
            if isinstance(X[col].dtype, pd.CategoricalDtype):
                continue
            if _numeric_share(X[col], self.min_fraction) >= self.min_fraction:
                chosen.append(col)
        self.columns_ = chosen

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


class Imputer(BaseStage):
    """Fill missing values: numbers with a training statistic, text with a marker.

    Leakage: none (statistics from the training rows of the fold).

    Args:
        strategy: ``median``, ``mean`` or ``zero`` for numeric columns.
        fill_text: value for missing text/category entries.
        indicator: add ``<col>__isna`` columns for numeric columns missing in training.
    """

    _parameter_constraints: dict[str, list[Any]] = {  # checked before training
        "strategy": [StrOptions({"median", "mean", "zero"})],
        "fill_text": [str],
        "indicator": ["boolean"],
    }

    def __init__(
        self, strategy: str = "median", fill_text: str = MISSING, indicator: bool = False
    ) -> None:
        self.strategy = strategy
        self.fill_text = fill_text
        self.indicator = indicator

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


class CategoricalEncoder(BaseStage):
    """Encode text/category columns: ``native`` category dtype, ``ordinal`` codes or ``onehot``.

    Categories are learned on training rows; categories unseen there never fail: ``native``
    turns them into NaN, ``ordinal`` into -1, ``onehot`` into all-zero rows. Numeric
    columns named in ``columns`` (integer codes such as manager ids) are treated as
    categories too: ``3`` and ``3.0`` are one category, ``ordinal`` keeps numeric order.

    Leakage: none (no target).

    Args:
        encoding: ``native`` (for LightGBM/XGBoost/CatBoost), ``ordinal`` or ``onehot``.
        columns: columns to encode (numeric ones too); None means every text/category/bool
            column.
        min_frequency: ``onehot`` only: rarer categories are grouped as infrequent.
    """

    _parameter_constraints: dict[str, list[Any]] = {  # checked before training
        "encoding": [StrOptions({"native", "ordinal", "onehot"})],
        "min_frequency": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
            None,
        ],
    }

    def __init__(
        self,
        encoding: str = "native",
        columns: list[str] | None = None,
        min_frequency: int | None = None,
    ) -> None:
        self.encoding = encoding
        self.columns = columns
        self.min_frequency = min_frequency

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        if self.encoding not in ("native", "ordinal", "onehot"):
            raise ConfigError(
                "stage 'categorical': encoding must be native, ordinal or onehot, "
                f"got {self.encoding!r}"
            )
        check_columns(X, self.columns, "categorical", "columns")
        self.columns_ = list(self.columns) if self.columns is not None else text_columns(X)
        self.categories_ = {c: _categories(X[c]) for c in self.columns_}
        if self.encoding == "onehot" and self.columns_:
            self.onehot_ = OneHotEncoder(
                handle_unknown="infrequent_if_exist" if self.min_frequency else "ignore",
                min_frequency=self.min_frequency,
                sparse_output=False,
                dtype=np.float64,
            )
            self.onehot_.fit(_as_text(X[self.columns_]))

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        if not self.columns_:
            return X
        if self.encoding == "onehot":
            enc = self.onehot_.transform(_as_text(X[self.columns_]))
            names = [str(n) for n in self.onehot_.get_feature_names_out(self.columns_)]
            rest = X.drop(columns=self.columns_)
            return pd.concat([rest, pd.DataFrame(enc, columns=names, index=X.index)], axis=1)
        X = X.copy()
        for col in self.columns_:
            categories = self.categories_[col]
            codes = text_codes(X[col], categories)
            if self.encoding == "native":
                X[col] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))
            else:
                X[col] = np.where(codes >= 0, codes, -1).astype("float64")
        return X


def _is_number(dtype: Any) -> bool:
    """Numeric and not boolean: values compared as numbers (integer codes), not as text."""
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _text_of(values: Any) -> pd.Index:
    """The text of values, as podium compares categories (``str()`` of each).

    Numbers are written so that a code reads the same whatever its dtype: whole numbers
    without a decimal point (``3`` from int64 and from float64 ``3.0``, as when a column
    with missing values is read as float), other numbers as ``repr`` of the float.
    """
    index = pd.Index(values)
    if isinstance(index.dtype, pd.CategoricalDtype):
        index = pd.Index(np.asarray(index.categories)[index.codes])
    if not _is_number(index.dtype):
        return index.astype(str)
    if pd.api.types.is_integer_dtype(index.dtype):
        return index.astype(str)
    v = index.to_numpy(dtype=np.float64)
    whole = np.isfinite(v) & (np.mod(v, 1) == 0) & (np.abs(v) < 2.0**53)
    text = v.astype(str).astype(object)
    text[whole] = v[whole].astype(np.int64).astype(str)
    return pd.Index(text, dtype="str")


def text_codes(s: pd.Series, categories: pd.Index) -> np.ndarray:
    """Position in ``categories`` of each value's text; -1 for missing or unseen values.

    Works on the distinct values (category codes, or a hash lookup of ``str`` columns, or
    a factorization) instead of converting every row to text.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        lookup = categories.get_indexer(_text_of(s.cat.categories))
        codes = s.cat.codes.to_numpy()
        return np.where(codes >= 0, lookup[codes], -1) if len(lookup) else np.full(len(s), -1)
    if isinstance(s.dtype, pd.StringDtype):
        return categories.get_indexer(s)
    codes, uniques = pd.factorize(s)
    if not len(uniques):
        return np.full(len(s), -1, dtype=np.intp)
    lookup = categories.get_indexer(_text_of(uniques))
    return np.where(codes >= 0, lookup[codes], -1)


def _as_text(X: pd.DataFrame) -> pd.DataFrame:
    """Each value's text (as :func:`_text_of`), ``MISSING`` for missing values."""
    out = {}
    for col in X.columns:
        s = X[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes, uniques = s.cat.codes.to_numpy(), s.cat.categories
        else:
            codes, uniques = pd.factorize(s)
        text = np.full(len(s), MISSING, dtype=object)
        present = codes >= 0
        text[present] = np.asarray(_text_of(uniques), dtype=object)[codes[present]]
        out[col] = text
    return pd.DataFrame(out, index=X.index, columns=X.columns)


def _categories(s: pd.Series) -> pd.Index:
    """Sorted distinct texts of the values present (missing excluded); numbers (integer
    codes) sorted as numbers, so ``ordinal`` codes keep their order."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        values = s.cat.categories[np.unique(codes[codes >= 0])]
    else:
        values = pd.unique(s.dropna())
    if _is_number(pd.Index(values).dtype):
        return pd.Index(dict.fromkeys(_text_of(np.sort(np.asarray(values)))), dtype="str")
    return pd.Index(sorted(set(_text_of(values))), dtype="str")


class StandardScaler(BaseStage):
    """Centre and scale numeric columns with training mean and std (for linear and kNN models).

    Leakage: none (statistics from the training rows of the fold).
    """

    def __init__(self, columns: list[str] | None = None) -> None:
        self.columns = columns

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        check_columns(X, self.columns, "standard_scaler", "columns")
        cols = list(self.columns) if self.columns is not None else numeric_columns(X)
        self.mean_ = X[cols].mean().fillna(0.0)
        std = X[cols].std(ddof=0).fillna(0.0)
        self.scale_ = std.where(std > 0, 1.0)

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        cols = list(self.mean_.index)
        if cols:
            X[cols] = ((X[cols] - self.mean_) / self.scale_).astype("float64")
        return X


class LogTransform(BaseStage):
    """``log1p`` of skewed non-negative numeric columns (skew chosen on training rows).

    Leakage: none (no target).

    Args:
        columns: columns to transform; None picks non-negative columns with skew > ``skew``.
        skew: skewness threshold for automatic picking.
    """

    def __init__(self, columns: list[str] | None = None, skew: float = 0.75) -> None:
        self.columns = columns
        self.skew = skew

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        check_columns(X, self.columns, "log_transform", "columns")
        if self.columns is not None:
            self.columns_ = list(self.columns)
            return
        num = numeric_columns(X)
        nonneg = [c for c in num if X[c].min() >= 0]
        skews = X[nonneg].skew() if nonneg else pd.Series(dtype=float)
        self.columns_ = [c for c in nonneg if skews.get(c, 0.0) > self.skew]

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for col in self.columns_:
            X[col] = np.log1p(X[col].clip(lower=0).astype("float64"))
        return X


class DropColumns(BaseStage):
    """Drop the named columns (missing names are an error naming the column)."""

    def __init__(self, columns: list[str] | None = None) -> None:
        self.columns = columns

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        check_columns(X, self.columns, "drop", "columns")

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.drop(columns=list(self.columns or []))
