"""The ``datetime`` stage: calendar parts of datetime (and parsed text) columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from podium.exceptions import ConfigError
from podium.stages import BUILTIN_STAGES, DatetimeFeatures, StageChain


def frame(times: list[str | None], **other) -> pd.DataFrame:
    return pd.DataFrame({"t": pd.to_datetime(pd.Series(times)), "x": range(len(times)), **other})


TRAIN = frame(["2020-01-04 10:15", "2021-03-01 23:45", "2020-06-15 00:30"])


def test_registered_and_parts_are_right_on_known_timestamps() -> None:
    assert BUILTIN_STAGES["datetime"] is DatetimeFeatures
    stage = DatetimeFeatures().fit(TRAIN)
    out = stage.transform(frame(["2020-01-04 10:15", "2024-12-29 18:05"]))
    assert "t" not in out and list(out.columns[:1]) == ["x"]
    row = out.iloc[1]  # Sunday 29 Dec 2024: ISO week 52, day 364 of a leap year
    assert row["t__year"] == 2024 and row["t__month"] == 12 and row["t__day"] == 29
    assert row["t__day_of_week"] == 6 and row["t__weekend"] == 1.0
    assert row["t__hour"] == 18 and row["t__minute"] == 5
    assert row["t__day_of_year"] == 364 and row["t__week"] == 52
    first = out.iloc[0]  # Saturday 4 Jan 2020, the earliest training timestamp
    assert first["t__week"] == 1 and first["t__day_of_week"] == 5 and first["t__elapsed"] == 0
    expected = (
        pd.Timestamp("2024-12-29 18:05") - pd.Timestamp("2020-01-04 10:15")
    ) / pd.Timedelta(days=1)
    assert row["t__elapsed"] == pytest.approx(expected)
    assert (out.dtypes.drop("x") == np.float64).all()
    assert stage.get_feature_names_out()[-1] == "t__elapsed"


def test_unseen_years_and_missing_timestamps() -> None:
    stage = DatetimeFeatures(cyclic=True).fit(frame([*TRAIN["t"].astype(str), None]))
    out = stage.transform(frame(["2199-07-01 12:00", None]))
    assert out.loc[0, "t__year"] == 2199 and out.loc[0, "t__elapsed"] > 60_000
    parts = [c for c in out.columns if c.startswith("t__")]
    assert out.loc[1, parts].isna().all()
    assert out.loc[0, "t__hour_sin"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc[0, "t__hour_cos"] == pytest.approx(-1.0)
    assert out.loc[0, "t__month_cos"] == pytest.approx(np.cos(2 * np.pi * 6 / 12))


def test_constant_parts_are_dropped() -> None:
    hourly = frame([f"2021-05-0{d} {h:02d}:00" for d in (3, 4) for h in range(24)])
    cols = DatetimeFeatures(cyclic=True).fit(hourly).get_feature_names_out()
    assert "t__hour" in cols and "t__hour_sin" in cols
    assert "t__minute" not in cols and "t__year" not in cols and "t__month_sin" not in cols
    dates = frame(["2021-05-03", "2021-07-09", "2022-01-01"])
    cols = DatetimeFeatures().fit(dates).get_feature_names_out()
    assert "t__hour" not in cols and "t__minute" not in cols and "t__year" in cols
    one = DatetimeFeatures().fit(frame(["2021-05-03", "2021-05-03"]))
    assert list(one.get_feature_names_out()) == ["x"]  # every part constant, column dropped


def test_time_zone_aware_columns_use_their_own_zone() -> None:
    t = pd.to_datetime(pd.Series(["2020-03-01 23:30", "2020-03-02 08:00"])).dt.tz_localize(
        "America/New_York"
    )
    X = pd.DataFrame({"t": t})
    out = DatetimeFeatures(keep_original=True).fit(X).transform(X)
    assert out["t__hour"].tolist() == [23.0, 8.0]  # local hours, not UTC
    assert out["t__day"].tolist() == [1.0, 2.0]
    assert out["t"].iloc[0] == pd.Timestamp("2020-03-02 04:30", tz="UTC").timestamp()
    assert out["t__elapsed"].iloc[1] == pytest.approx(8.5 / 24)


def test_text_columns_given_explicitly_are_parsed() -> None:
    X = pd.DataFrame(
        {"d": pd.Series(["2020-01-05", "2020-02-05 10:00", "junk", None], dtype="str")}
    )
    stage = DatetimeFeatures(columns=["d"], parts=["month", "hour", "year"]).fit(X)
    out = stage.transform(X)
    assert out.columns.tolist() == ["d__month", "d__hour"]  # year is constant
    assert out["d__month"].tolist()[:2] == [1.0, 2.0] and out["d__hour"].iloc[1] == 10.0
    assert out.iloc[2:].isna().all().all()
    assert DatetimeFeatures().fit(X).transform(X).equals(X)  # text is only parsed if named


def test_day_first_text_is_read_day_first_though_its_first_value_is_ambiguous() -> None:
    # "01/02/2016" reads either way; the later values only day-first. The format is the one
    # that parses most training values (as the loader's), not the first value's guess.
    d = ["01/02/2016", "13/02/2016", "28/03/2016", "05/04/2016"]
    X = pd.DataFrame({"d": pd.Series(d, dtype="str")})
    out = DatetimeFeatures(columns=["d"], parts=["day", "month"]).fit(X).transform(X)
    assert out["d__day"].tolist() == [1.0, 13.0, 28.0, 5.0]
    assert out["d__month"].tolist() == [2.0, 2.0, 3.0, 4.0]


def test_no_datetime_columns_is_a_no_op_and_bad_params_fail() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0], "s": pd.Series(["u", "v"], dtype="str")})
    pd.testing.assert_frame_equal(StageChain([("dates", DatetimeFeatures())]).fit_transform(X), X)
    with pytest.raises(ConfigError, match=r"'hours'.* - did you mean 'hour'\?"):
        DatetimeFeatures(parts=["hours"]).fit(TRAIN)
    with pytest.raises(ConfigError, match=r"column 'x' holds int64 values, not dates"):
        DatetimeFeatures(columns=["x"]).fit(TRAIN)
    with pytest.raises(ConfigError, match=r"names column 'tt'.* - did you mean 't'\?"):
        DatetimeFeatures(columns=["tt"]).fit(TRAIN)


def test_sklearn_contract_on_datetime_frames() -> None:
    stage = DatetimeFeatures(cyclic=True)
    assert clone(stage).get_params() == stage.get_params()
    assert not [k for k in vars(stage) if k.endswith("_")]
    assert stage.fit(TRAIN) is stage
    out = stage.transform(TRAIN)
    assert list(stage.get_feature_names_out()) == list(out.columns)
    pd.testing.assert_frame_equal(clone(stage).fit_transform(TRAIN), out)
    assert stage.n_features_in_ == 2 and list(stage.feature_names_in_) == ["t", "x"]
    with pytest.raises(ValueError, match="X has 1 features"):
        stage.transform(TRAIN[["t"]])
    before = TRAIN.copy()
    stage.transform(TRAIN)
    pd.testing.assert_frame_equal(TRAIN, before)  # input not modified
