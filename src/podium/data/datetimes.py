"""Datetime strings: guess one format from a sample, then parse a whole column with it.

Parsing with one explicit format is vectorised (a million rows in a fraction of a
second); ``format="mixed"`` (each value on its own) is the fallback when no single
format fits the sample.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd

from podium.config import PERIODS
from podium.exceptions import ConfigError, did_you_mean

__all__ = ["guess_format", "parse_datetimes", "period_keys", "period_position"]

MIXED = "mixed"
_GUESSES = 50
# A date has digits split by a separator (2016-01-01, 1/2/2016, 12:44) or a month name.
_DATE_LIKE = re.compile(
    r"\d{1,4}[-/.:]\d{1,2}|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b",
    re.IGNORECASE,
)


def guess_format(sample: pd.Series, min_rate: float = 0.9) -> tuple[str | None, float]:
    """The format that parses most of ``sample`` (strings) and the share it parses.

    Returns ``(None, rate)`` when the values do not look like dates or no format reaches
    ``min_rate`` (``rate`` is then the best share seen, for the report).
    """
    text = sample.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return None, 0.0
    head = text.iloc[:_GUESSES]
    if head.str.contains(_DATE_LIKE).mean() < 0.5:
        return None, 0.0
    candidates: Counter[str] = Counter()
    from pandas.tseries.api import guess_datetime_format

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for value in head:
            for dayfirst in (False, True):
                fmt = guess_datetime_format(value, dayfirst=dayfirst)
                if fmt is not None:
                    candidates[fmt] += 1
    best: tuple[str | None, float] = (None, 0.0)
    for fmt, _ in candidates.most_common(4):
        rate = _rate(text, fmt)
        if rate > best[1]:
            best = (fmt, rate)
        if rate >= 0.999:
            break
    if best[1] < min_rate:
        rate = _rate(text, MIXED)
        if rate > best[1]:
            best = (MIXED, rate)
    return best if best[1] >= min_rate else (None, best[1])


def parse_datetimes(s: pd.Series, fmt: str | None) -> pd.Series:
    """``s`` as datetime64 with ``fmt`` (as :func:`guess_format` returns; None: inferred);
    values that do not parse become NaT. Values with an offset are converted to UTC; the
    result is always tz-naive."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    text = s if pd.api.types.is_string_dtype(s.dtype) else s.astype("str").where(s.notna())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=_utc(fmt))
    return parsed.dt.tz_convert(None) if parsed.dt.tz is not None else parsed


def _rate(text: pd.Series, fmt: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=_utc(fmt))
        except (ValueError, TypeError, OverflowError):
            return 0.0
    return float(parsed.notna().mean())


def _utc(fmt: str | None) -> bool:
    return fmt is None or fmt == MIXED or "%z" in fmt or "%Z" in fmt


def period_keys(t: pd.Series, period: str) -> np.ndarray:
    """An integer per row naming its period (month, ISO-like week from Monday, day)."""
    _check_period(period)
    if period == "month":
        return (t.dt.year * 12 + t.dt.month - 1).to_numpy(dtype=np.int64)
    days = (t.dt.normalize() - pd.Timestamp("1970-01-05")).dt.days.to_numpy(dtype=np.int64)
    return days // 7 if period == "week" else days


def period_position(t: pd.Series, period: str) -> np.ndarray:
    """Where in its period each time falls: 0.0 at the period's start, < 1.0 at its end."""
    _check_period(period)
    if period == "month":
        start = t.dt.to_period("M").dt.start_time
        length = t.dt.days_in_month.to_numpy(dtype=np.float64) * 86400.0
    elif period == "week":
        start = t.dt.normalize() - pd.to_timedelta(t.dt.day_of_week, unit="D")
        length = np.full(len(t), 7 * 86400.0)
    else:
        start = t.dt.normalize()
        length = np.full(len(t), 86400.0)
    seconds = (t - start).dt.total_seconds().to_numpy(dtype=np.float64)
    return seconds / length


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ConfigError(f"unknown cv.period {period!r}{did_you_mean(str(period), PERIODS)}")
