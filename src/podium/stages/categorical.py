"""The ``categorical`` stage: categoricals as native categories, one-hot or ordinal codes.

It learns the categories of the training rows of a fold (values unseen there, and rare
ones with ``min_frequency``, become one "other" level) and never uses the target.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils._param_validation import Interval, StrOptions

from podium.exceptions import ConfigError
from podium.stages.base import BaseStage, chosen_columns, stage_params
from podium.stages.preprocess import MISSING, text_columns

__all__ = ["CategoricalEncoder", "text_codes"]


@stage_params
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

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {  # checked before training
        "encoding": [StrOptions({"native", "ordinal", "onehot"})],
        "min_frequency": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
            None,
        ],
    }

    encoding: str = "native"
    columns: list[str] | None = None
    min_frequency: int | None = None

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        if self.encoding not in ("native", "ordinal", "onehot"):
            raise ConfigError(
                "stage 'categorical': encoding must be native, ordinal or onehot, "
                f"got {self.encoding!r}"
            )
        self.columns_ = chosen_columns(X, self.columns, "categorical", text_columns)
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
