"""Group aggregates: statistics of numeric columns per group, mapped back to each row."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from podium.exceptions import ConfigError, did_you_mean
from podium.features.counts import (
    KeyCodes,
    check_fit_on,
    fitting_rows,
    join_new,
    key_name,
    parse_keys,
)
from podium.stages.base import BaseStage, as_frame, check_columns, stage_params
from podium.stages.preprocess import numeric_columns, text_columns

__all__ = ["GroupAggregates", "AGGS"]

_GROUPBY_AGGS = ("mean", "std", "min", "max", "median", "count", "nunique")
AGGS = (*_GROUPBY_AGGS, "diff", "ratio")


@stage_params
class GroupAggregates(BaseStage):
    """Per-group statistics of numeric columns: ``<col>_<agg>_by_<key>``.

    ``aggs`` are taken from mean, std (ddof=1), min, max, median, count (non-missing
    values), nunique, plus ``diff`` (value - group mean) and ``ratio`` (value / group
    mean; NaN where the mean is 0). Statistics are learned on the fitting rows; rows whose
    group was not seen there, or whose key is missing, get NaN for every statistic.

    **Leakage:** no target is used. With ``fit_on='train'`` (default) statistics come from
    the fold's training rows only and validation/test rows are only transformed.
    ``fit_on='train+test'`` is an explicit, transductive choice: the statistics also use
    the test rows, given as the fit parameter ``X_test=`` and wired as for
    :class:`~podium.features.counts.CountEncoder`; recorded as ``fit_on_``.

    Args:
        by: group keys: column names, an item may be a list of 2+ columns grouped
            jointly; None means every text/category column on its own.
        columns: numeric columns to aggregate; None means every numeric column that is
            not a key.
        aggs: statistics to compute (see above).
        fit_on: ``train`` or ``train+test``.
    """

    stage_name = "group_aggregates"

    by: list[Any] | None = None
    columns: list[Hashable] | None = None
    aggs: tuple[str, ...] | list[str] = ("mean", "std")
    fit_on: str = "train"

    def fit(self, X: Any, y: Any = None, X_test: Any = None, **fit_params: Any) -> Self:
        return super().fit(X, y, X_test=X_test)

    def fit_transform(self, X: Any, y: Any = None, X_test: Any = None) -> pd.DataFrame:
        """Fit on ``X`` (plus ``X_test`` with ``fit_on='train+test'``), then transform ``X``."""
        return self.fit(X, y, X_test=X_test).transform(X)

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, X_test: Any = None, **_: Any) -> None:
        check_fit_on(self.fit_on, X_test, self.stage_name)
        aggs = [self.aggs] if isinstance(self.aggs, str) else list(self.aggs)
        for agg in aggs:
            if agg not in AGGS:
                raise ConfigError(
                    f"{self._where}: unknown agg {agg!r}{did_you_mean(str(agg), AGGS)}"
                )
        keys = parse_keys(
            [[c] for c in text_columns(X)] if self.by is None else self.by, self.stage_name, "by"
        )
        key_cols = list(dict.fromkeys(c for k in keys for c in k))
        check_columns(X, key_cols, self.stage_name, "by")
        values: list[Hashable]
        if self.columns is None:
            values = [c for c in numeric_columns(X) if c not in key_cols]
        else:
            values = list(self.columns)
            check_columns(X, values, self.stage_name, "columns")
            for c in values:
                if not pd.api.types.is_numeric_dtype(X[c]):
                    raise ConfigError(
                        f"{self._where}: columns must be numeric, column {c!r} has dtype "
                        f"{X[c].dtype}"
                    )
        if self.fit_on == "train+test":
            check_columns(
                as_frame(X_test), key_cols + values, self.stage_name, "by/columns (in X_test)"
            )
        rows = fitting_rows(X, X_test, self.fit_on, list(dict.fromkeys(key_cols + values)))
        base = sorted(
            {"mean" if a in ("diff", "ratio") else a for a in aggs}, key=_GROUPBY_AGGS.index
        )
        self.aggs_ = aggs
        self.columns_ = values
        self.keys_, self.tables_ = [], []
        for key in keys:
            book = KeyCodes(key)
            codes = book.fit_codes(rows)
            self.keys_.append(book)
            self.tables_.append(_group_table(rows, values, codes, book.n_codes, base))
        self.fit_on_ = self.fit_on
        self.n_fit_rows_ = len(rows)

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out: dict[str, np.ndarray] = {}
        for book, table in zip(self.keys_, self.tables_, strict=True):
            codes = book.codes(X)
            kname = key_name(book.columns)
            for col in self.columns_:
                for agg in self.aggs_:
                    name = f"{col}_{agg}_by_{kname}"
                    if agg in ("diff", "ratio"):
                        mean = table[(col, "mean")][codes]
                        value = X[col].to_numpy(dtype=np.float64, na_value=np.nan)
                        if agg == "diff":
                            out[name] = value - mean
                        else:
                            with np.errstate(divide="ignore", invalid="ignore"):
                                out[name] = np.where(mean != 0, value / mean, np.nan)
                    else:
                        out[name] = table[(col, agg)][codes]
        return join_new(X, out, self.stage_name)


def _group_table(
    rows: pd.DataFrame, values: Sequence[Hashable], codes: np.ndarray, k: int, aggs: list[str]
) -> dict[tuple[Hashable, str], np.ndarray]:
    """Per (column, agg): an array of length K+1 (row 0 = missing/unseen key)."""
    frame = pd.DataFrame(
        {i: rows[c].to_numpy(dtype=np.float64, na_value=np.nan) for i, c in enumerate(values)},
        copy=False,
    )
    seen = codes > 0
    stats = frame[seen].groupby(codes[seen], sort=True).agg(aggs) if values else None
    table: dict[tuple[Hashable, str], np.ndarray] = {}
    for i, col in enumerate(values):
        for agg in aggs:
            arr = np.full(k + 1, np.nan)
            if stats is not None and len(stats):
                arr[stats.index.to_numpy()] = stats[(i, agg)].to_numpy(dtype=np.float64)
            table[(col, agg)] = arr
    return table
