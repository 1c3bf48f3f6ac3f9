"""Column checks and conversions shared by the model adapters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from podium.exceptions import ConfigError, DataError

__all__ = [
    "is_categorical",
    "categorical_columns",
    "align_categories",
    "datetimes_as_seconds",
    "learn_categories",
    "numeric_matrix",
    "to_float",
    "to_catboost_strings",
]


def is_categorical(dtype: object) -> bool:
    """True for ``category``, ``str``/string and ``object`` dtypes."""
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
    )


def datetimes_as_seconds(X: pd.DataFrame) -> pd.DataFrame:
    """``X`` with every datetime64 column as float seconds since the epoch (NaT -> NaN).

    A pipeline without a datetime stage still trains: the model sees the instant as a
    number. Timezone-aware columns are converted to UTC first.
    """
    dates = [c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c].dtype)]
    if not dates:
        return X
    X = X.copy()
    for col in dates:
        s = X[col]
        if s.dt.tz is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        X[col] = ((s - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).astype("float64")
    return X


def categorical_columns(X: pd.DataFrame, names: Sequence[object], model: str) -> list[str]:
    """Return the categorical columns of ``X``; reject columns no GBDT can read.

    Args:
        X: Frame with positional column names.
        names: The user's column names, in the same order, for error messages.
        model: Registry name of the model, for error messages.

    Raises:
        ConfigError: For a column that is neither numeric, boolean nor categorical.
    """
    cats = []
    for col, name in zip(X.columns, names, strict=True):
        dtype = X[col].dtype
        if is_categorical(dtype):
            cats.append(col)
        elif not pd.api.types.is_numeric_dtype(dtype):
            raise ConfigError(
                f"column {name!r} has dtype {dtype} which model {model!r} cannot use; "
                "convert it to a number or a category in a stage first"
            )
    return cats


def align_categories(s: pd.Series, categories: pd.Index) -> pd.Series:
    """Cast ``s`` to a category dtype with exactly ``categories``.

    Values outside ``categories`` (unseen at training time) and missing values become
    NaN, so prediction never fails on new levels.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        if s.cat.categories.equals(categories) and s.cat.categories.dtype == categories.dtype:
            return s
        lookup = categories.get_indexer(s.cat.categories)
        raw = s.cat.codes.to_numpy()
        codes = np.where(raw >= 0, lookup[raw], -1)
    elif isinstance(s.dtype, pd.StringDtype):
        codes = categories.get_indexer(s)
    else:
        codes = categories.get_indexer(pd.Index(s.astype(object)))
    cat = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))
    return pd.Series(cat, index=s.index, name=s.name)


def learn_categories(s: pd.Series) -> pd.Index:
    """The categories of a training column: its own that occur in it (in their order), or
    its sorted distinct values. A ``category`` column read at load holds every value of
    train and test; on a fold's rows it gives what its text would."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        seen = np.bincount(codes[codes >= 0], minlength=len(s.cat.categories)) > 0
        return s.cat.categories if seen.all() else s.cat.categories[seen]
    values = pd.unique(s.dropna().astype(object))
    try:
        return pd.Index(sorted(values))
    except TypeError:  # mixed, unorderable types
        return pd.Index(sorted(values, key=str))


def to_float(s: pd.Series) -> pd.Series:
    """Convert nullable numeric/boolean extension columns to float64 (NA -> NaN)."""
    if isinstance(s.dtype, pd.api.extensions.ExtensionDtype):
        return pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index, name=s.name)
    return s


def to_catboost_strings(s: pd.Series) -> pd.Series:
    """CatBoost categorical column: strings, with missing values as ``"__nan__"``."""
    obj = s.astype(object)
    return obj.where(obj.notna(), "__nan__").astype(str)


def numeric_matrix(
    X: pd.DataFrame, names: Sequence[object], model: str, *, allow_nan: bool
) -> np.ndarray:
    """Return ``X`` as a float64 matrix for a scikit-learn model.

    Args:
        X: Feature frame (any column names).
        names: The user's column names, in the same order, for error messages.
        model: Registry name of the model, for error messages.
        allow_nan: Whether the model accepts missing values.

    Raises:
        ConfigError: For a non-numeric column (names the column and the fix), or a
            column with missing values when the model cannot take them.
    """
    X = datetimes_as_seconds(X)
    for col, name in zip(X.columns, names, strict=True):
        dtype = X[col].dtype
        if is_categorical(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            raise ConfigError(
                f"model {model!r} needs numeric features but column {name!r} has dtype "
                f"{dtype}; add a 'categorical' stage (encoding: onehot or ordinal) for it"
            )
    try:
        matrix = X.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise DataError(f"model {model!r} could not read the features as numbers: {err}") from err
    infinite = np.isinf(matrix).any(axis=0)
    if infinite.any():
        name = names[int(np.flatnonzero(infinite)[0])]
        raise DataError(f"column {name!r} has infinite values, which model {model!r} rejects")
    if not allow_nan:
        bad = np.isnan(matrix).any(axis=0)
        if bad.any():
            name = names[int(np.flatnonzero(bad)[0])]
            raise ConfigError(
                f"model {model!r} cannot handle missing values but column {name!r} has some; "
                "add an 'impute' stage or use a model that accepts NaN"
            )
    return matrix
