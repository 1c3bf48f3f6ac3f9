"""Numbers and flags hidden in text categoricals: quantities with units, tokens, missingness.

A categorical column of strings often packs more than one fact into each value: ``"3
weeks"`` is a quantity an encoding of 44 unordered strings cannot rank; ``"Brown/White"``
and ``"Pit Bull Mix"`` are compounds whose parts (``White``, ``Mix``) recur across hundreds
of values; and a missing value in a column of thousands of values (an animal's name) is a
signal that any encoding of the column dilutes. This stage adds those facts as numeric
columns beside the original (which stays for the encoders); it reads no column names, so
a pipeline may apply it to every categorical column (``columns: {kind: categorical}``).

Leakage: none (no target; which columns and tokens to use is learned on training rows).
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
import pandas as pd

from podium.stages.base import BaseStage, check_columns, stage_params
from podium.stages.preprocess import text_columns

__all__ = ["CategoryParts", "TIME_UNITS", "parse_quantities"]

TIME_UNITS = {  # unit (lower case, plural 's' removed) -> days
    "second": 1 / 86400, "sec": 1 / 86400, "s": 1 / 86400,
    "minute": 1 / 1440, "min": 1 / 1440,
    "hour": 1 / 24, "hr": 1 / 24, "h": 1 / 24,
    "day": 1.0, "d": 1.0,
    "week": 7.0, "wk": 7.0, "w": 7.0,
    "month": 30.4375, "mo": 30.4375,
    "year": 365.25, "yr": 365.25, "y": 365.25,
}
_QUANTITY = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*([A-Za-z]+)\.?\s*$")
_SPLIT = r"[\s/,;|&+]+"
_TOKEN = re.compile(r"[\w.'-]+")  # tokens safe in a column name (LightGBM rejects JSON marks)


def parse_quantities(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``(number, unit)`` of each ``"<number> <word>"`` value (``NaN``/``<NA>`` otherwise);
    units are lower case with a plural ``s`` removed (``"Weeks"`` -> ``"week"``)."""
    parts = values.astype("string").str.extract(_QUANTITY)
    number = pd.to_numeric(parts[0], errors="coerce").astype("float64")
    unit = parts[1].str.lower().str.replace(r"(?<=..)s$", "", regex=True)
    return number, unit


@stage_params
class CategoryParts(BaseStage):
    """Quantities with units, frequent tokens and missing flags of text categoricals.

    For each text column (chosen on the training rows):

    - ``<col>__value``: when at least ``min_fraction`` of its non-missing values are a number
      and a unit word (``"2 years"``, ``"3 weeks"``), the number, in days when every unit is a
      time unit (:data:`TIME_UNITS`), as written when there is one unit; mixed unknown units
      are left alone.
    - ``<col>__has_<token>``: when it has at least ``min_distinct`` distinct values that split
      (on spaces and ``/ , ; | & +``) into at most half as many distinct tokens, a 0/1 flag of
      each of its ``max_tokens`` most frequent tokens found in between ``min_share`` and
      ``1 - min_share`` of the rows.
    - ``<col>__isna``: when it has at least ``min_distinct`` distinct values and between
      ``min_share`` and ``1 - min_share`` of its training values are missing.

    The original columns are kept.

    Leakage: none (no target; the columns, units and tokens come from the training rows).

    Args:
        columns: text columns to inspect; None means every text/category column.
        min_fraction: share of non-missing values that must be ``<number> <unit>``.
        min_distinct: distinct values a column needs for token flags and a missing flag.
        max_tokens: the most token flags per column.
        min_share: the rarest (and, as ``1 - min_share``, the commonest) share of rows a
            token or a missing value may cover to get a flag.
    """

    columns: list[str] | None = None
    min_fraction: float = 0.95
    min_distinct: int = 20
    max_tokens: int = 16
    min_share: float = 0.01

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        check_columns(X, self.columns, "category_parts", "columns")
        text = text_columns(X)
        cols = [c for c in text if self.columns is None or c in self.columns]
        self.quantities_: dict[str, dict[str, float] | None] = {}
        self.tokens_: dict[str, list[str]] = {}
        self.missing_: list[str] = []
        n = len(X)
        for col in cols:
            s = X[col]
            counts = s.value_counts(dropna=True)
            scale = self._quantity_scale(counts)
            if scale is not False:  # a dict or None (mypy narrows Literal[False] away)
                self.quantities_[col] = scale
                continue
            if len(counts) < self.min_distinct or n == 0:
                continue
            share = float(s.isna().mean())
            if self.min_share <= share <= 1 - self.min_share:
                self.missing_.append(col)
            tokens = self._tokens(counts, n)
            if tokens:
                self.tokens_[col] = tokens

    def _quantity_scale(self, counts: pd.Series) -> dict[str, float] | None | Literal[False]:
        """Unit -> factor (days), None (one unit: as written), or False (not quantities)."""
        if len(counts) < 3:
            return False
        number, unit = parse_quantities(pd.Series(counts.index.astype(str)))
        weights = counts.to_numpy()
        ok = number.notna().to_numpy() & unit.notna().to_numpy()
        if weights[ok].sum() < self.min_fraction * weights.sum():
            return False
        units = set(unit[ok])
        if units <= TIME_UNITS.keys():
            return {u: TIME_UNITS[u] for u in sorted(units)}
        return None if len(units) == 1 else False

    def _tokens(self, counts: pd.Series, n: int) -> list[str]:
        split = pd.Series(counts.index.astype(str)).str.split(_SPLIT, regex=True)
        rows: dict[str, int] = {}
        for parts, k in zip(split, counts.to_numpy(), strict=True):
            for tok in {p for p in parts if _TOKEN.fullmatch(p)}:
                rows[tok] = rows.get(tok, 0) + int(k)
        if len(rows) > len(counts) / 2:
            return []
        lo, hi = self.min_share * n, (1 - self.min_share) * n
        ranked = sorted(((-k, t) for t, k in rows.items() if lo <= k <= hi))
        return [t for _, t in ranked[: self.max_tokens]]

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        if not (self.quantities_ or self.tokens_ or self.missing_):
            return X
        new: dict[str, Any] = {}
        for col, scale in self.quantities_.items():
            codes, uniques = _factorize(X[col])
            number, unit = parse_quantities(uniques)
            if scale is not None:
                number = number * unit.map(scale).astype("float64")
            new[f"{col}__value"] = _take(number.to_numpy(dtype="float64"), codes, np.nan)
        for col, tokens in self.tokens_.items():
            codes, uniques = _factorize(X[col])
            sets = [set(p) for p in uniques.str.split(_SPLIT, regex=True)]
            for tok in tokens:
                flags = np.fromiter((tok in s for s in sets), dtype="float64", count=len(sets))
                new[f"{col}__has_{tok}"] = _take(flags, codes, 0.0)
        for col in self.missing_:
            new[f"{col}__isna"] = X[col].isna().to_numpy(dtype="float64")
        extra = pd.DataFrame(new, index=X.index)
        return pd.concat([X, extra.drop(columns=[c for c in extra if c in X])], axis=1)


def _factorize(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (-1 for missing) and the distinct values as text: each parsed once."""
    codes, uniques = pd.factorize(s.astype("string"))
    return codes, pd.Series(np.asarray(uniques, dtype=object), dtype="string")


def _take(values: np.ndarray, codes: np.ndarray, missing: float) -> np.ndarray:
    out = np.full(len(codes), missing, dtype="float64")
    seen = codes >= 0
    out[seen] = values[codes[seen]]
    return out
