"""profile_columns on synthetic frames: each kind, its evidence, overrides, speed."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from podium.data import profile_columns
from podium.data.datetimes import guess_format, parse_datetimes


def _split(frame: pd.DataFrame, n_test: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    return frame.iloc[:-n_test].reset_index(drop=True), frame.iloc[-n_test:].reset_index(drop=True)


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 4000
    resource_ids = rng.choice(300_000, 600, replace=False)
    words = np.array("the a cat sat on mat with dog ran far away home big red small".split())
    frame = pd.DataFrame(
        {
            "row_id": np.arange(100_000, 100_000 + n),
            # high-cardinality codes stored as integers (Amazon access style)
            "resource": rng.choice(resource_ids, n, p=_zipf(600, rng)),
            "mgr_id": rng.choice(rng.choice(50_000, 300, replace=False), n),
            "age": rng.integers(18, 90, n),
            "quality": rng.integers(1, 11, n),
            "flag": rng.integers(0, 2, n),
            "area": rng.integers(300, 200_000, n),  # a wide measurement, few repeats
            "price": rng.normal(100, 20, n),
            "color": rng.choice(["red", "green", "blue"], n),
            "hourly": pd.date_range("2016-01-01", periods=n, freq="h").strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "when": (
                pd.Timestamp("2013-10-13 12:44:00")
                + pd.to_timedelta(rng.integers(0, 10**7, n), unit="min")
            ).strftime("%Y-%m-%d %H:%M:%S"),
            "us_date": (
                pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
            ).strftime("%m/%d/%Y"),
            "stamp": pd.date_range("2020-01-01", periods=n, freq="37min"),
            "review": [" ".join(rng.choice(words, rng.integers(5, 15))) for _ in range(n)],
            "code_str": [f"C{i:05d}" for i in rng.integers(0, 400, n)],
            "uuid": [f"u-{i:08x}" for i in rng.permutation(n)],
            "spent": np.round(rng.uniform(1, 500, n), 2).astype(str),
            "same": 7,
            "casual": rng.integers(0, 40, n),
        }
    )
    train, test = _split(frame, 1000)
    return train, test.drop(columns="casual")


def _zipf(k: int, rng: np.random.Generator) -> np.ndarray:
    p = 1.0 / np.arange(1, k + 1)
    p = rng.permutation(p)
    return p / p.sum()


EXPECTED = {
    "row_id": "id",
    "resource": "categorical",
    "mgr_id": "categorical",
    "age": "numeric",
    "quality": "numeric",
    "flag": "numeric",
    "area": "numeric",
    "price": "numeric",
    "color": "categorical",
    "hourly": "datetime",
    "when": "datetime",
    "us_date": "datetime",
    "stamp": "datetime",
    "review": "text",
    "code_str": "categorical",
    "uuid": "id",
    "spent": "numeric",
    "same": "constant",
    "casual": "train_only",
}


def test_every_kind_is_inferred(frames) -> None:
    train, test = frames
    profile = profile_columns(train, test, test_name="test.csv")
    assert profile.kinds == EXPECTED
    assert profile.columns("datetime") == ["hourly", "when", "us_date", "stamp"]
    assert profile.columns("id", "constant") == ["row_id", "uuid", "same"]
    with pytest.raises(ValueError, match="unknown column kind"):
        profile.columns("numerical")


def test_evidence_and_reasons(frames) -> None:
    train, test = frames
    profile = profile_columns(train, test, test_name="test.csv")
    res = profile["resource"]
    assert res.n_distinct == train["resource"].nunique()
    assert res.n_distinct_test == test["resource"].nunique()
    unseen = (~test["resource"].isin(train["resource"])).mean()
    assert res.unseen == pytest.approx(unseen)
    assert "integer codes -> categorical" in res.reason
    assert f"{res.n_distinct} values" in res.reason
    assert profile["row_id"].per_row == 1.0 and profile["row_id"].unseen == 1.0
    assert profile["hourly"].parse_rate == 1.0
    assert profile["hourly"].datetime_format == "%Y-%m-%d %H:%M:%S"
    assert profile["us_date"].datetime_format == "%m/%d/%Y"
    assert profile["casual"].reason.startswith("absent from test.csv")
    assert profile["casual"].inferred == "numeric"
    assert "dense" in profile["quality"].reason
    frame = profile.to_frame()
    assert list(frame["column"]) == list(train.columns)
    assert {"kind", "dtype", "n_distinct", "unseen_in_test", "parse_rate", "reason"} <= set(
        frame.columns
    )
    assert profile.summary() == (
        "6 numeric, 4 categorical, 2 id, 4 datetime, 1 text, 1 constant, 1 train_only"
    )


def test_kinds_override_replaces_the_inferred_kind(frames) -> None:
    train, test = frames
    profile = profile_columns(
        train, test, kinds={"quality": "categorical", "resource": "numeric", "casual": "id"}
    )
    assert profile["quality"].kind == "categorical"
    assert profile["quality"].inferred == "numeric"
    assert profile["quality"].reason.startswith("set by data.kinds")
    assert profile["resource"].kind == "numeric"
    assert profile["casual"].kind == "train_only"  # absent from test wins


def test_datetime_override_gets_a_format() -> None:
    train = pd.DataFrame({"d": [f"2016/{m:02d}/01" for m in range(1, 13)] * 3})
    profile = profile_columns(train, train.copy(), kinds={"d": "datetime"})
    assert profile["d"].kind == "datetime"
    assert profile["d"].datetime_format == "%Y/%m/%d"


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (
            ["2016-01-01 00:00:00", "2016-01-01 01:00:00", "2016-12-31 23:00:00"],
            "%Y-%m-%d %H:%M:%S",
        ),
        (["2013-10-13 12:44:00", "2014-02-12 18:22:00"], "%Y-%m-%d %H:%M:%S"),
        (["2016-01-01", "2016-02-28"], "%Y-%m-%d"),
        (["13/02/2016", "01/12/2016", "25/12/2015"], "%d/%m/%Y"),
        (["2016-01-01T05:00:00+01:00", "2016-01-02T05:00:00+01:00"], "%Y-%m-%dT%H:%M:%S%z"),
    ],
)
def test_datetime_formats(values, fmt) -> None:
    s = pd.Series(values * 10)
    got, rate = guess_format(s)
    assert (got, rate) == (fmt, 1.0)
    parsed = parse_datetimes(s, got)
    assert pd.api.types.is_datetime64_any_dtype(parsed.dtype) and parsed.dt.tz is None
    assert parsed.notna().all()


def test_not_datetimes() -> None:
    for values in (["2016", "2017"], ["12.5", "3"], ["red", "blue"], ["1 year", "2 weeks"]):
        assert guess_format(pd.Series(values * 10))[0] is None


def test_unparseable_become_nat() -> None:
    s = pd.Series(["2016-01-01", "oops", None, "2016-01-03"])
    parsed = parse_datetimes(s, "%Y-%m-%d")
    assert parsed.isna().tolist() == [False, True, True, False]


def test_a_million_rows_in_a_few_seconds() -> None:
    rng = np.random.default_rng(1)
    n = 1_000_000
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "code": rng.choice(rng.choice(300_000, 5000, replace=False), n),
            "x": rng.normal(size=n),
            "cat": pd.Series(rng.choice(["a", "b", "c"], n), dtype="str"),
            "when": pd.Series(
                pd.date_range("2016-01-01", periods=20_000, freq="min").strftime("%Y-%m-%d %H:%M")
            )
            .take(rng.integers(0, 20_000, n))
            .to_numpy(),
        }
    )
    frame = frame.reset_index(drop=True)
    train, test = _split(frame, 200_000)
    started = time.perf_counter()
    profile = profile_columns(train, test)
    took = time.perf_counter() - started
    assert profile.kinds == {
        "id": "id",
        "code": "categorical",
        "x": "numeric",
        "cat": "categorical",
        "when": "datetime",
    }
    assert took < 5.0, took
