"""Period-tail folds: validate on the latest part of each month (week, day), as a test that
is the later part of every period would be.

In a competition whose test holds days 20-31 of every month and whose train holds days
1-19, a model must predict later days than it has seen in the same month. Shuffled folds
validate on days it has seen; period-tail folds validate on the last ``tail`` share of each
period's training times and train on the earlier rows of every period (never on a tail),
so each fold asks the test's question: how well do the early days predict the late ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from podium.cv.folds import Folds, as_1d
from podium.data.datetimes import guess_format, parse_datetimes, period_keys
from podium.exceptions import ConfigError, DataError

__all__ = ["DEFAULT_TAIL", "as_datetimes", "period_tail_folds"]

DEFAULT_TAIL = 0.3


def as_datetimes(values: Any, name: str = "time") -> pd.Series:
    """``values`` as a tz-naive datetime64 series (text parsed with one guessed format).

    Raises:
        DataError: values that do not parse as dates.
    """
    s = pd.Series(as_1d(values, name))
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
    if pd.api.types.is_numeric_dtype(s.dtype):
        raise DataError(f"{name} holds numbers, not dates: period_tail needs dates")
    fmt, _ = guess_format(s.astype("str"))
    t = parse_datetimes(s.astype("str"), fmt)
    bad = t.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{name} value {s.iloc[i]!r} at row {i} does not parse as a date")
    return t


def period_tail_folds(
    time: Any,
    *,
    n_rows: int,
    n_splits: int,
    period: str,
    tail: float | None = None,
    past_only: bool = False,
) -> Folds:
    """Folds that validate the latest ``tail`` share of each period's distinct times.

    Periods (in time order) are dealt to ``n_splits`` folds in contiguous blocks; fold k
    validates the tail rows of its periods. Every fold trains on the rows that are in no
    period's tail (with ``past_only``, only those before the fold's first validated time);
    tail rows are validated once, the other rows never (fold -1).

    Raises:
        ConfigError: unknown period, a tail outside (0, 1), fewer periods than folds, or
            ``past_only`` leaving a fold without training rows.
        DataError: times that are missing or do not parse as dates.
    """
    tail = DEFAULT_TAIL if tail is None else float(tail)
    if not 0.0 < tail < 1.0:
        raise ConfigError(f"cv.tail must be in (0, 1), got {tail}")
    t = as_datetimes(as_1d(time, "time", n_rows))
    keys = period_keys(t, period)
    codes, periods = pd.factorize(keys, sort=True)
    if len(periods) < n_splits:
        raise ConfigError(
            f"cv.scheme 'period_tail' with cv.n_splits={n_splits} needs at least {n_splits} "
            f"{period}s, found {len(periods)}"
        )
    ns = t.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    is_tail = np.zeros(n_rows, dtype=bool)
    for p in range(len(periods)):
        rows = np.flatnonzero(codes == p)
        times = np.unique(ns[rows])
        n_tail = int(np.ceil(tail * len(times)))
        if len(times) < 2 or n_tail >= len(times):
            continue  # a period with one time has no earlier part to train on
        is_tail[rows] = ns[rows] >= times[len(times) - n_tail]
    block = np.arange(len(periods)) * n_splits // len(periods)
    fold = np.where(is_tail, block[codes], -1).astype(np.int64)
    empty = [k for k in range(n_splits) if not (fold == k).any()]
    if empty:
        raise ConfigError(
            f"cv.scheme 'period_tail': fold {empty[0]} has no tail rows (each {period} needs "
            "at least two distinct times)"
        )
    head = ~is_tail
    mask = np.repeat(head[:, None], n_splits, axis=1)
    if past_only:
        for k in range(n_splits):
            first = ns[fold == k].min()
            mask[:, k] &= ns < first
        if not mask.any(axis=0).all():
            k = int(np.argmin(mask.any(axis=0)))
            raise ConfigError(
                f"cv.past_only leaves fold {k} without training rows: its first tail is in "
                f"the first {period}; use more {period}s or past_only: false"
            )
    return Folds(fold, n_splits, "period_tail", mask)
