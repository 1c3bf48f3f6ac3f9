"""Calendar parts of datetime columns: year, month, ..., weekend, days since the start.

**Leakage:** none from the target (it is never read). Every part is computed row by row
from the row's own timestamp, except ``elapsed``, which is measured from the earliest
timestamp of the fitting rows (a fold's training part) learned in ``fit``; validation and
test rows are only transformed. Which parts are kept (non-constant ones) is also decided
on the fitting rows.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from podium.data.datetimes import MIXED, guess_format, parse_datetimes
from podium.exceptions import ConfigError, did_you_mean
from podium.stages.base import BaseStage, chosen_columns, stage_params

__all__ = ["PARTS", "DatetimeFeatures", "datetime_columns"]

PARTS = (
    "year",
    "month",
    "day",
    "day_of_week",
    "hour",
    "minute",
    "day_of_year",
    "week",
    "weekend",
    "elapsed",
)
PERIODS = {"month": 12, "day_of_week": 7, "hour": 24}  # parts with cyclic sin/cos
_DAY = pd.Timedelta(days=1)
_SECOND = pd.Timedelta(seconds=1)
_EPOCH = pd.Timestamp(0)


def datetime_columns(X: pd.DataFrame) -> list[str]:
    """Columns of a datetime64 dtype (time-zone aware or not)."""
    return [c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c])]


@stage_params
class DatetimeFeatures(BaseStage):
    """Calendar parts of each datetime column: ``<col>__year``, ``<col>__month``, ...

    Parts: ``year``, ``month`` (1-12), ``day`` (of month), ``day_of_week`` (Monday = 0),
    ``hour``, ``minute``, ``day_of_year``, ``week`` (ISO week), ``weekend`` (1.0 on Saturday
    and Sunday) and ``elapsed`` (days since the earliest training timestamp). All are
    float64; a missing or unparsable timestamp gives NaN in every part. Time-zone aware
    columns give the parts in their own zone (``elapsed`` and epoch seconds in UTC).
    Parts that are constant on the training rows (the minute of an hourly series, the
    hour of a date-only column) are not output. ``cyclic=True`` adds ``<part>_sin`` and
    ``<part>_cos`` for month, day of week and hour. The datetime column itself is
    dropped, or with ``keep_original=True`` replaced by float epoch seconds.

    Without ``columns`` the stage takes every datetime64 column of the training rows,
    and is a no-op when there is none. Columns of text named in ``columns`` are parsed
    with the format that parses most training values (day-first and month-first both
    tried, as the loader does); values that do not parse become NaT.

    Leakage: none (see the module docstring; ``elapsed`` uses only the training
    part's earliest timestamp).

    Args:
        columns: datetime (or text) columns; None means every datetime64 column.
        parts: the parts to compute (default: all of :data:`PARTS`).
        cyclic: add sin/cos of month, day of week and hour.
        keep_original: keep each column as float epoch seconds instead of dropping it.
    """

    default_kinds: ClassVar[tuple[str, ...]] = ("datetime",)
    """With ``columns`` left out it takes every datetime64 column: the ``datetime`` kind
    (read by :mod:`podium.engine.explain` to say where those columns go)."""

    columns: list[str] | None = None
    parts: list[str] | None = None
    cyclic: bool = False
    keep_original: bool = False

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        self.columns_ = chosen_columns(X, self.columns, "datetime", datetime_columns)
        parts = list(PARTS if self.parts is None else self.parts)
        for part in parts:
            if part not in PARTS:
                raise ConfigError(
                    f"stage 'datetime': parts names {part!r}, which is not a datetime part"
                    f"{did_you_mean(str(part), PARTS)}"
                )
        self.formats_: dict[str, str | None] = {}
        self.origins_: dict[str, pd.Timestamp] = {}
        self.parts_: dict[str, list[str]] = {}
        for col in self.columns_:
            s = X[col]
            if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
                raise ConfigError(
                    f"stage 'datetime': column {col!r} holds {s.dtype} values, not dates or "
                    "text (convert epoch numbers yourself, or leave the column out)"
                )
            self.formats_[col] = _guess_format(s)
            t = parse_datetimes(s, self.formats_[col])
            self.origins_[col] = _utc_naive(t).min()
            values = _parts(t, parts, self.origins_[col])
            self.parts_[col] = [p for p in parts if values[p].nunique(dropna=True) > 1]

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        if not self.columns_:
            return X
        new: dict[str, pd.Series] = {}
        X = X.copy()
        for col in self.columns_:
            t = parse_datetimes(X[col], self.formats_[col])
            values = _parts(t, self.parts_[col], self.origins_[col])
            for part in self.parts_[col]:
                new[f"{col}__{part}"] = values[part]
                if self.cyclic and part in PERIODS:
                    start = 1.0 if part == "month" else 0.0
                    angle = 2 * np.pi * (values[part] - start) / PERIODS[part]
                    new[f"{col}__{part}_sin"] = np.sin(angle)
                    new[f"{col}__{part}_cos"] = np.cos(angle)
            if self.keep_original:
                X[col] = ((_utc_naive(t) - _EPOCH) / _SECOND).astype("float64")
        if not self.keep_original:
            X = X.drop(columns=self.columns_)
        clash = [c for c in new if c in X.columns]
        if clash:
            raise ConfigError(
                f"stage 'datetime': output column {clash[0]!r} already exists in the data"
            )
        return pd.concat([X, pd.DataFrame(new, index=X.index)], axis=1)


def _guess_format(s: pd.Series) -> str | None:
    """The format of a text column's training values, as the loader guesses it (day-first
    and month-first both tried, the one that parses more values kept); None: datetime64;
    or ``mixed`` when no single format parses 90% of them (each value parsed on its own)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return None
    return guess_format(s)[0] or MIXED


def _utc_naive(t: pd.Series) -> pd.Series:
    """Time-zone aware timestamps as naive UTC (naive ones unchanged)."""
    if getattr(t.dt, "tz", None) is not None:
        return t.dt.tz_convert("UTC").dt.tz_localize(None)
    return t


def _parts(t: pd.Series, parts: list[str], origin: pd.Timestamp) -> dict[str, pd.Series]:
    """The asked-for parts of timestamps ``t`` as float64 (NaN where ``t`` is NaT)."""
    dt = t.dt
    get = {
        "year": lambda: dt.year,
        "month": lambda: dt.month,
        "day": lambda: dt.day,
        "day_of_week": lambda: dt.day_of_week,
        "hour": lambda: dt.hour,
        "minute": lambda: dt.minute,
        "day_of_year": lambda: dt.day_of_year,
        "week": lambda: dt.isocalendar().week,
        "weekend": lambda: (dt.day_of_week >= 5).where(t.notna()),
        "elapsed": lambda: (_utc_naive(t) - origin) / _DAY,
    }
    return {p: get[p]().astype("float64") for p in parts}
