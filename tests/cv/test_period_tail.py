"""Period-tail folds: validate the latest times of each period, train on no period's tail."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from podium.cv import build_folds, inner_folds
from podium.exceptions import ConfigError, DataError

DAYS = pd.Series(np.repeat(pd.date_range("2024-01-01", "2024-06-30", freq="D"), 2))
N = len(DAYS)


def make(**kw):  # noqa: ANN003, ANN201
    args = {"n_rows": N, "n_splits": 3, "time": DAYS, "period": "month", "tail": 0.3, **kw}
    return build_folds("period_tail", **args)


def test_tails_validated_once_and_never_trained_on() -> None:
    folds = make()
    tail = folds.fold >= 0
    for month, rows in DAYS.groupby(DAYS.dt.month).groups.items():
        days = DAYS[rows].dt.day
        last = days[tail[rows]]
        assert last.min() > days[~tail[rows]].max(), month  # the latest days of the month
        n_days = days.nunique()
        assert last.nunique() == int(np.ceil(0.3 * n_days))
    for k, (train, valid) in enumerate(folds.split()):
        assert not tail[train].any()
        months = set(DAYS.iloc[valid].dt.month)
        assert len(months) == 2 and min(months) == 2 * k + 1  # contiguous blocks of months
    assert folds.fingerprint == make().fingerprint


def test_past_only_trains_on_the_past() -> None:
    folds = make(past_only=True)
    for train, valid in folds.split():
        assert DAYS.iloc[train].max() < DAYS.iloc[valid].min()


def test_text_dates_are_parsed() -> None:
    text = DAYS.dt.strftime("%m/%d/%Y")
    assert make(time=text).fingerprint == make().fingerprint


@pytest.mark.parametrize(
    ("kw", "err", "match"),
    [
        ({"n_splits": 7}, ConfigError, "needs at least 7 months, found 6"),
        ({"period": "year"}, ConfigError, "unknown cv.period 'year'"),
        ({"tail": 1.5}, ConfigError, r"cv.tail must be in \(0, 1\)"),
        ({"time": None}, ConfigError, "needs time values"),
        ({"time": np.arange(N)}, DataError, "holds numbers, not dates"),
    ],
)
def test_errors(kw: dict, err: type, match: str) -> None:
    with pytest.raises(err, match=match):
        make(**kw)


def test_inner_folds_are_shuffled_kfold() -> None:
    outer = make()
    inner = inner_folds(outer, outer.train_index(0), n_splits=3, seed=0)
    assert inner.scheme == "kfold" and inner.n_rows == len(outer.train_index(0))
