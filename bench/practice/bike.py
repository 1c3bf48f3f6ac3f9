"""Practice competition (b): hourly bike rentals, like Kaggle's bike sharing (RMSLE).

The id column ``datetime`` ("2011-01-01 00:00:00", hourly, a few hours missing) is also
the main signal: commuter peaks at 8 and 17-18 on working days, a midday hump on weekends
and holidays, growth over the two years. Weather (1 clear .. 4 storm, a sticky Markov
chain), temperature (seasonal and daily cycles), humidity and wind scale the rates. The
target ``count`` = ``casual`` + ``registered``; both parts are in the train file only. As
on Kaggle, train holds days 1-19 of each month and test days 20 to the month's end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .layout import Competition, practice_config, write_competition

__all__ = ["NAME", "FEATURES", "TRAIN_ONLY", "make_bike", "write_bike"]

NAME = "bike_sharing"
FEATURES = ["season", "holiday", "workingday", "weather", "temp", "atemp", "humidity",
            "windspeed"]
TRAIN_ONLY = ["casual", "registered"]
HOLIDAYS = ["2011-01-17", "2011-02-21", "2011-04-15", "2011-05-30", "2011-07-04",
            "2011-09-05", "2011-10-10", "2011-11-11", "2011-11-24", "2011-12-26",
            "2012-01-02", "2012-01-16", "2012-02-20", "2012-04-16", "2012-05-28",
            "2012-07-04", "2012-09-03", "2012-10-08", "2012-11-12", "2012-11-22",
            "2012-12-25"]
_WEATHER_STEP = np.array([[0.93, 0.06, 0.01, 0.0], [0.12, 0.8, 0.08, 0.0],
                          [0.08, 0.22, 0.695, 0.005], [0.1, 0.2, 0.5, 0.2]])
_WEATHER_RATE = np.array([1.0, 0.85, 0.45, 0.15])


def _weather(rng: np.random.Generator, n: int) -> np.ndarray:
    state, out = 0, np.empty(n, dtype="int64")
    cum = _WEATHER_STEP.cumsum(axis=1)
    for i, u in enumerate(rng.random(n)):
        state = min(int(np.searchsorted(cum[state], u)), 3)
        out[i] = state + 1
    return out


def _bump(x: np.ndarray, at: float, width: float) -> np.ndarray:
    return np.exp(-((x - at) ** 2) / width)


def make_bike(
    seed: int = 0, *, start: str = "2011-01-01", end: str = "2012-12-31 23:00"
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train (datetime, features, casual, registered, count), test (datetime, features)
    and the test labels (datetime, count)."""
    rng = np.random.default_rng(seed)
    when = pd.date_range(start, end, freq="h")
    night = when.hour.isin([1, 2, 3, 4, 5])
    keep = rng.random(len(when)) > np.where(night, 0.04, 0.003)  # a few hours are missing
    when = when[keep]
    n = len(when)
    day = np.asarray((when.normalize() - when[0].normalize()).days)
    hour = np.asarray(when.hour, dtype=float)
    doy = np.asarray(when.day_of_year, dtype=float)
    holiday = np.asarray(when.normalize().isin(pd.to_datetime(HOLIDAYS)), dtype="int64")
    workingday = ((np.asarray(when.day_of_week) < 5) & (holiday == 0)).astype("int64")
    weather = _weather(rng, n)

    ar = np.zeros(day.max() + 1)
    for d in range(1, len(ar)):
        ar[d] = 0.7 * ar[d - 1] + rng.normal(0, 2.2)
    temp = (17 + 11 * np.sin(2 * np.pi * (doy - 105) / 365) + ar[day]
            + 4 * np.sin(2 * np.pi * (hour - 9) / 24) - 1.5 * (weather >= 3)
            + rng.normal(0, 0.6, n))
    temp = np.clip(temp, 0.8, 41.0)
    humidity = np.clip(62 + 9 * (weather - 1) - 12 * np.sin(2 * np.pi * (hour - 9) / 24)
                       + rng.normal(0, 10, n), 0, 100).round().astype("int64")
    wind = np.where(rng.random(n) < 0.12, 0.0, rng.gamma(3.0, 4.5, n)).round(4)
    atemp = (temp + 0.08 * (humidity - 60) * (temp > 24) - 0.1 * wind * (temp < 12)
             + rng.normal(0, 0.5, n) + 2.0).round(3)

    growth = np.exp(0.5 * day / 730)
    comfort = _bump(temp, 27.0, 150.0) * _WEATHER_RATE[weather - 1]
    comfort *= np.exp(-0.008 * (humidity - 60)) * np.exp(-0.01 * wind)
    work = (4 + 220 * _bump(hour, 8, 1.5) + 330 * _bump(hour, 17.5, 2.5)
            + 60 * _bump(hour, 12.5, 8.0) + 40 * _bump(hour, 20.5, 3.0))
    rest = 8 + 170 * _bump(hour, 13.5, 14.0)
    registered_rate = 2.1 * np.where(workingday == 1, work, rest) * (0.6 + 0.4 * comfort)
    casual_rate = 2 + np.where(workingday == 1, 28, 115) * _bump(hour, 14.5, 12.0)
    casual_rate = 3.5 * casual_rate * comfort**1.5
    day_effect = np.exp(rng.normal(0, 0.12, day.max() + 1))[day]
    counts = []
    for rate in (casual_rate, registered_rate):
        lam = rate * growth * day_effect
        counts.append(rng.poisson(rng.gamma(8.0, lam / 8.0)).astype("int64"))
    casual, registered = counts

    frame = pd.DataFrame({
        "datetime": when.strftime("%Y-%m-%d %H:%M:%S"),
        "season": ((np.asarray(when.month) - 1) // 3 + 1).astype("int64"),
        "holiday": holiday, "workingday": workingday, "weather": weather,
        "temp": temp.round(2), "atemp": atemp, "humidity": humidity, "windspeed": wind,
        "casual": casual, "registered": registered, "count": casual + registered,
    })
    in_train = np.asarray(when.day) <= 19
    train = frame[in_train].reset_index(drop=True)
    rest_rows = frame[~in_train].reset_index(drop=True)
    test = rest_rows[["datetime", *FEATURES]]
    labels = rest_rows[["datetime", "count"]]
    return train, test, labels


CONFIG = practice_config(
    NAME,
    "Hourly bike rentals (practice, synthetic); scored by RMSLE.",
    task="regression",
    metric="rmsle",
    id="datetime",
    target="count",
    cv="kfold",
    kind="value",
)


def write_bike(root: Path, seed: int = 0, *, small: bool = False) -> Competition:
    """Write the competition under ``root/bike_sharing`` (small: 4 months, ~2.9k hours)."""
    span = {"end": "2011-04-30 23:00"} if small else {}
    train, test, labels = make_bike(seed, **span)
    sample = pd.DataFrame({"datetime": test["datetime"], "count": 0})
    return write_competition(root, NAME, CONFIG, train=train, test=test, sample=sample,
                             labels=labels, header=__doc__.strip().splitlines()[0])
