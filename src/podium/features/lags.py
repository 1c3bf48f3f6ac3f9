"""Lags for entity x period data: past targets and past feature values of the same entity.

Periods are numbers (a lag of ``l`` means period ``p - l``; Kaggle's ``date_block_num``)
or dates with a ``freq`` (``"D"``, ``"W"``, ``"M"``...) that turns them into period numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from podium._validate import Integral, Interval
from podium.cv import SplitContext
from podium.exceptions import ConfigError, DataError, LeakageError
from podium.stages.base import BaseStage, as_frame, check_columns, stage_params

__all__ = ["LagFeatures", "AGGREGATES"]

AGGREGATES = ("mean", "std", "min", "max", "count", "sum")
_P, _Y, _ROW, _ONE = "__period", "__y", "__row", "__entity"
_CUM = {
    "count": "__n",
    "sum": "__s",
    "mean": "__mean",
    "std": "__std",
    "min": "__min",
    "max": "__max",
}


def _positive_ints(value: Any, name: str, where: str) -> list[int]:
    ok = isinstance(value, list | tuple) and all(
        Interval(Integral, 1).is_satisfied_by(v) for v in value
    )
    if not ok:
        raise ConfigError(
            f"{where}: {name} must be a list of integers >= 1 (1 = the previous "
            f"period; 0 would be the row's own period), got {value!r}"
        )
    return sorted({int(v) for v in value})


@stage_params
class LagFeatures(BaseStage):
    """Past targets and past feature values of the same entity, by period.

    Outputs (appended to ``X``): ``target_lag<l>`` (the entity's target ``l`` periods
    earlier), ``target_roll<w>_mean`` (mean target over periods ``p-w .. p-1``),
    ``target_past_<agg>`` (``agg`` of the entity's targets over all strictly earlier
    periods) and ``<col>_lag<l>`` (feature ``col`` ``l`` periods earlier). Rows of the
    same (entity, period) are averaged first; a value that is not there is NaN.

    **Leakage:** target features only ever read strictly earlier periods, and only targets
    given to ``fit``: ``fit`` stores the (entity, period, y) history of the fitting rows and
    ``transform`` looks values up in it, so validation and test rows never get their own
    targets nor those of other validation rows (a lag that points into the validation
    period is NaN: choose lags at least as long as the forecast horizon). Because lookups
    are strictly into the past, ``fit_transform(X, y)`` equals ``fit(X, y).transform(X)``.
    This is leak-free only under a time-ordered cv scheme: with k-fold, a training row's
    ``target_lag1`` can be a validation row's target, so ``fit``/``fit_transform`` raise
    :class:`~podium.exceptions.LeakageError` when ``split_context.scheme`` is not
    ``time`` and target features are requested. Feature lags use no target; they are
    looked up among the fitting rows and the rows being transformed (a test row may take
    its lag from an earlier test row of the same entity).

    Args:
        entity: column (or columns) naming the series; None means one series.
        period: orderable column: numbers, or dates together with ``freq``.
        target_lags: lags of the target (periods back, >= 1).
        columns: feature columns to lag by ``lags``.
        lags: periods back for ``columns``.
        rolling: windows (periods) for rolling means of past targets.
        aggregates: expanding statistics of past targets: mean, std, min, max, count, sum.
        freq: pandas frequency turning a date ``period`` into period numbers.

    Example:
        >>> lags = LagFeatures(entity="store", period="month", target_lags=[1, 12],
        ...                    rolling=[3], aggregates=["mean"])
    """

    stage_name = "lag_features"

    entity: str | list[str] | None = None
    period: str | None = None
    target_lags: list[int] | tuple[int, ...] = ()
    columns: list[str] | None = None
    lags: list[int] | tuple[int, ...] = (1,)
    rolling: list[int] | tuple[int, ...] = ()
    aggregates: list[str] | tuple[str, ...] = ()
    freq: str | None = None

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit_transform(
        self, X: Any, y: Any = None, *, split_context: SplitContext | None = None
    ) -> pd.DataFrame:
        """Fit, then transform the same rows (lookups go strictly into the past)."""
        X = as_frame(X)
        return self.fit(X, y, split_context=split_context).transform(X)

    def _fit(
        self,
        X: pd.DataFrame,
        y: pd.Series | None,
        split_context: SplitContext | None = None,
        **_: Any,
    ) -> None:
        self._check_params(X)
        uses_target = bool(self.target_lags_ or self.rolling_ or self.aggregates_)
        if uses_target and split_context is not None and split_context.scheme != "time":
            raise LeakageError(
                f"{self._where}: target lags, rolling means and past aggregates are only "
                f"leak-free when validation periods come after training periods, but "
                f"cv.scheme is {split_context.scheme!r}: a training row's target lag can then "
                "be a validation row's target. Use cv.scheme 'time' (with cv.time set to "
                f"the period column {self.period!r}), or keep only feature lags (columns/lags)"
            )
        keys = self._keys(X)
        if uses_target:
            if y is None:
                raise ConfigError(
                    f"{self._where} requires y to be passed, but the target y is None "
                    "(target_lags, rolling and aggregates are built from past targets)"
                )
            if len(y) != len(X):
                raise DataError(f"{self._where}: y has {len(y)} values, X has {len(X)} rows")
            target = pd.to_numeric(y, errors="coerce").to_numpy()[keys.index]
            frame = keys.assign(**{_Y: target})
            self.history_ = _cumulative(frame.dropna(subset=[_Y]), self.entity_)
        if self.columns_:
            self.feature_history_ = self._feature_table(X, keys)

    def _check_params(self, X: pd.DataFrame) -> None:
        if self.period is None:
            raise ConfigError(f"{self._where}: period is required (the column of periods)")
        ent = self.entity
        self.entity_ = [] if ent is None else [ent] if isinstance(ent, str) else list(ent)
        check_columns(X, self.entity_, self.stage_name, "entity")
        check_columns(X, [self.period], self.stage_name, "period")
        check_columns(X, self.columns, self.stage_name, "columns")
        self.columns_ = list(self.columns or [])
        text = [c for c in self.columns_ if not pd.api.types.is_numeric_dtype(X[c])]
        if text:
            raise ConfigError(
                f"{self._where}: columns to lag must be numeric, but {text} are not "
                "(encode them first)"
            )
        self.target_lags_ = _positive_ints(self.target_lags, "target_lags", self._where)
        self.lags_ = _positive_ints(self.lags, "lags", self._where) if self.columns_ else []
        self.rolling_ = _positive_ints(self.rolling, "rolling", self._where)
        aggs = self.aggregates
        if isinstance(aggs, str) or any(a not in AGGREGATES for a in aggs):
            raise ConfigError(
                f"{self._where}: aggregates must be a list of {list(AGGREGATES)}, got {aggs!r}"
            )
        self.aggregates_ = list(dict.fromkeys(aggs))
        nothing = not (self.target_lags_ or self.rolling_ or self.aggregates_ or self.columns_)
        if nothing and self.columns is None:  # columns: [] (an empty selector) is a no-op
            raise ConfigError(
                f"{self._where}: nothing to compute; set target_lags, rolling, aggregates "
                "or columns"
            )
        s = X[self.period]
        self.period_kind_ = "date" if pd.api.types.is_datetime64_any_dtype(s) else "number"

    def _periods(self, X: pd.DataFrame) -> np.ndarray:
        s = X[self.period]
        if self.period_kind_ == "date":
            if not pd.api.types.is_datetime64_any_dtype(s):
                raise DataError(f"{self._where}: period {self.period!r} held dates in fit")
            if self.freq is None:
                raise ConfigError(
                    f"{self._where}: period {self.period!r} holds dates; set freq (e.g. 'D', "
                    "'W', 'M') so that a lag of 1 means one period"
                )
            p = s.dt.to_period(self.freq).array.asi8.astype(np.float64)
            return np.where(s.isna().to_numpy(), np.nan, p)
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise ConfigError(
                f"{self._where}: period {self.period!r} must hold numbers (a lag of 1 is "
                f"period - 1) or dates with freq, found dtype {s.dtype}"
            )
        p = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.where(np.isfinite(p), p, np.nan)

    def _keys(self, X: pd.DataFrame) -> pd.DataFrame:
        """Entity columns and numeric period of the rows that have a period."""
        keys = (
            X[self.entity_].reset_index(drop=True)
            if self.entity_
            else pd.DataFrame({_ONE: np.zeros(len(X), dtype=np.int64)})
        )
        keys = keys.assign(**{_P: self._periods(X)})
        return keys[keys[_P].notna()]

    @property
    def _by(self) -> list[str]:
        return self.entity_ or [_ONE]

    @property
    def _value_names(self) -> list[str]:
        return [f"__v{i}" for i in range(len(self.columns_))]

    def _feature_table(self, X: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
        values = X[self.columns_].reset_index(drop=True).iloc[keys.index].astype(np.float64)
        values.columns = self._value_names  # an entity may also be lagged
        frame = pd.concat([keys, values], axis=1)
        return frame.groupby([*self._by, _P], sort=False, dropna=False).mean().reset_index()

    # ---- transforming --------------------------------------------------------------------

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        found = self._keys(X)
        rows = found.index.to_numpy()  # positions of the rows with a period
        keys = found.reset_index(drop=True).assign(**{_ROW: np.arange(len(found))})
        out: dict[str, Any] = {}
        if self.target_lags_ or self.rolling_ or self.aggregates_:
            hist = self.history_
            for lag in self.target_lags_:
                out[f"target_lag{lag}"] = _lookup(keys, hist, self._by, lag, [_Y])[_Y]
            now = _before(keys, hist, self._by, 0)
            for w in self.rolling_:
                then = _before(keys, hist, self._by, w)
                n = now["__n"].fillna(0) - then["__n"].fillna(0)
                s = now["__s"].fillna(0) - then["__s"].fillna(0)
                out[f"target_roll{w}_mean"] = np.where(n > 0, s / np.where(n > 0, n, 1), np.nan)
            for agg in self.aggregates_:
                col = now[_CUM[agg]]
                out[f"target_past_{agg}"] = col.fillna(0) if agg in ("count", "sum") else col
        if self.columns_:
            table = pd.concat([self.feature_history_, self._feature_table(X, found)])
            table = table.groupby([*self._by, _P], sort=False, dropna=False).mean()
            table = table.reset_index()
            for lag in self.lags_:
                found = _lookup(keys, table, self._by, lag, self._value_names)
                for c, v in zip(self.columns_, self._value_names, strict=True):
                    out[f"{c}_lag{lag}"] = found[v]
        clash = [n for n in out if n in X.columns]
        if clash:
            raise ConfigError(f"{self._where}: output column {clash[0]!r} already exists")
        values = np.full((len(X), len(out)), np.nan)
        for j, v in enumerate(out.values()):
            values[rows, j] = np.asarray(v, dtype=np.float64)
        new = pd.DataFrame(values, index=X.index, columns=list(out))
        return pd.concat([X, new], axis=1)


def _cumulative(frame: pd.DataFrame, entity: list[str]) -> pd.DataFrame:
    """One row per (entity, period): mean y, and stats of all rows up to that period."""
    by = entity or [_ONE]
    hist = frame.groupby([*by, _P], sort=False, dropna=False)[_Y].mean().reset_index()
    hist = hist.sort_values(_P, kind="stable").reset_index(drop=True)
    g = hist.groupby(by, sort=False, dropna=False)[_Y]
    hist["__n"] = g.cumcount() + 1.0
    hist["__s"] = g.cumsum()
    hist["__mean"] = hist["__s"] / hist["__n"]
    hist["__min"] = g.cummin()
    hist["__max"] = g.cummax()
    std = g.expanding().std()
    hist["__std"] = std.reset_index(level=list(range(len(by))), drop=True).sort_index()
    return hist


def _lookup(
    keys: pd.DataFrame, table: pd.DataFrame, by: list[str], lag: int, cols: list[str]
) -> pd.DataFrame:
    """Values of ``cols`` at (entity, period - lag), in the order of ``keys``."""
    left = keys[[*by, _P]].assign(**{_P: keys[_P] - lag})
    found = left.merge(table[[*by, _P, *cols]], on=[*by, _P], how="left", sort=False)
    return found.reset_index(drop=True)


def _before(keys: pd.DataFrame, hist: pd.DataFrame, by: list[str], back: int) -> pd.DataFrame:
    """Cumulative stats over periods strictly before ``period - back``, in ``keys`` order."""
    left = keys[[*by, _P, _ROW]].assign(**{_P: keys[_P] - back})
    left = left.sort_values(_P, kind="stable")
    stats = ["__n", "__s", "__mean", "__std", "__min", "__max"]
    found = pd.merge_asof(
        left,
        hist[[*by, _P, *stats]],
        on=_P,
        by=by,
        direction="backward",
        allow_exact_matches=False,
    )
    return found.sort_values(_ROW).reset_index(drop=True)
