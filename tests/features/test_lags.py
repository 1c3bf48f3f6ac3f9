"""LagFeatures: values from a naive loop, no future, no validation targets, leakage guard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from podium.cv import SplitContext
from podium.exceptions import ConfigError, LeakageError
from podium.features.lags import LagFeatures
from podium.stages import StageChain

FULL = dict(
    entity="shop",
    period="month",
    target_lags=[1, 3],
    columns=["price"],
    lags=[1, 2],
    rolling=[2, 4],
    aggregates=["mean", "std", "min", "max", "count", "sum"],
)


def _panel(n_shops: int = 4, n_months: int = 10, seed: int = 0, keep: float = 0.8):
    """Shops x months with gaps (each cell kept with probability ``keep``), shuffled rows."""
    rng = np.random.default_rng(seed)
    shops, months = np.meshgrid(np.arange(n_shops), np.arange(n_months), indexing="ij")
    X = pd.DataFrame({"shop": shops.ravel(), "month": months.ravel()})
    X = X[rng.random(len(X)) < keep].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    X["shop"] = X["shop"].map(lambda s: f"s{s}").astype("str")
    X["price"] = rng.normal(10, 2, len(X))
    y = rng.normal(100, 10, len(X))
    return X, y


def _naive(train: pd.DataFrame, y: np.ndarray, rows: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Expected features, row by row, scanning the training history."""
    hist = train.assign(y=y)
    out = []
    for _, r in rows.iterrows():
        same = hist[hist["shop"] == r["shop"]]
        feats = {}
        for lag in params.get("target_lags", []):
            hit = same[same["month"] == r["month"] - lag]["y"]
            feats[f"target_lag{lag}"] = hit.mean() if len(hit) else np.nan
        for w in params.get("rolling", []):
            win = same[(same["month"] >= r["month"] - w) & (same["month"] < r["month"])]["y"]
            feats[f"target_roll{w}_mean"] = win.mean() if len(win) else np.nan
        past = same[same["month"] < r["month"]]["y"]
        for agg in params.get("aggregates", []):
            if agg in ("count", "sum"):
                feats[f"target_past_{agg}"] = float(getattr(past, agg)())
            else:
                feats[f"target_past_{agg}"] = getattr(past, agg)() if len(past) else np.nan
        pool = pd.concat([train, rows])
        pool = pool[pool["shop"] == r["shop"]]
        for lag in params.get("lags", []) if params.get("columns") else []:
            for c in params["columns"]:
                hit = pool[pool["month"] == r["month"] - lag][c]
                feats[f"{c}_lag{lag}"] = hit.mean() if len(hit) else np.nan
        out.append(feats)
    return pd.DataFrame(out, index=rows.index)


def test_values_equal_naive_loop() -> None:
    X, y = _panel()
    stage = LagFeatures(**FULL)
    out = stage.fit_transform(X, y)
    expected = _naive(X, y, X, FULL)
    pd.testing.assert_frame_equal(out[expected.columns], expected, rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(out[X.columns], X)
    pd.testing.assert_frame_equal(out, stage.transform(X))  # lookups go strictly back


def test_duplicate_entity_periods_are_averaged() -> None:
    X = pd.DataFrame({"shop": ["a", "a", "a"], "month": [1, 1, 2]})
    out = LagFeatures(entity="shop", period="month", target_lags=[1], aggregates=["count"])
    out = out.fit_transform(X, [10.0, 20.0, 99.0])
    assert out["target_lag1"].tolist()[2] == 15.0
    assert out["target_past_count"].tolist() == [0.0, 0.0, 1.0]  # periods, after averaging


def test_validation_rows_only_see_training_targets() -> None:
    X, y = _panel(n_months=12, seed=1)
    train = (X["month"] < 8).to_numpy()
    stage = LagFeatures(**FULL).fit(X[train], y[train])
    valid = X[~train]
    got = stage.transform(valid)
    expected = _naive(X[train], y[train], valid, FULL)
    pd.testing.assert_frame_equal(got[expected.columns], expected, rtol=1e-9, atol=1e-9)
    # a lag pointing into the validation months has no value: never a validation target
    into_valid = valid["month"] - 1 >= 8
    assert into_valid.any() and got.loc[into_valid, "target_lag1"].isna().all()
    assert not np.isin(got["target_lag1"].dropna(), y[~train]).any()
    assert np.isin(got["target_lag1"].dropna(), y[train]).all()


def test_test_rows_do_not_depend_on_other_rows_for_target_features() -> None:
    X, y = _panel(seed=2)
    params = {k: v for k, v in FULL.items() if k not in ("columns", "lags")}
    stage = LagFeatures(**params).fit(X, y)
    T = X.assign(month=X["month"] + 3)
    part = T.iloc[::-4]
    pd.testing.assert_frame_equal(stage.transform(part), stage.transform(T).loc[part.index])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(1, 8), shops=st.integers(1, 4))
def test_never_uses_the_future(seed: int, cut: int, shops: int) -> None:
    """Changing targets and features of months >= cut leaves rows of months <= cut alone."""
    X, y = _panel(n_shops=shops, n_months=9, seed=seed)
    stage = LagFeatures(**FULL)
    before = stage.fit_transform(X, y)
    future = (X["month"] >= cut).to_numpy()
    X2, y2 = X.copy(), y.copy()
    y2[future] = y2[future] * -5 + 1000
    X2.loc[future, "price"] = -1.0
    after = LagFeatures(**FULL).fit_transform(X2, y2)
    past = (X["month"] <= cut).to_numpy()
    new = [c for c in before.columns if c not in X.columns]
    pd.testing.assert_frame_equal(before.loc[past, new], after.loc[past, new])
    later = (X["month"] > cut + 1).to_numpy()
    # the change reaches later rows whose previous month exists (lag 1 points into it)
    reachable = later & before["target_lag1"].notna().to_numpy()
    if reachable.any() and future.any():
        assert not before.loc[reachable, new].equals(after.loc[reachable, new])


def test_dates_with_freq() -> None:
    X = pd.DataFrame(
        {
            "shop": ["a"] * 4,
            "date": pd.to_datetime(["2024-01-15", "2024-02-03", "2024-04-30", "2024-05-01"]),
        }
    )
    out = LagFeatures(entity="shop", period="date", freq="M", target_lags=[1, 2])
    out = out.fit_transform(X, [1.0, 2.0, 3.0, 4.0])
    assert out["target_lag1"].tolist()[1:] == [1.0, pytest.approx(np.nan, nan_ok=True), 3.0]
    assert out["target_lag2"].tolist()[2] == 2.0


def test_entity_column_can_be_lagged_and_missing_periods_get_nan() -> None:
    X = pd.DataFrame({"shop": [1.0, 1.0, 2.0], "month": [1.0, 2.0, np.nan]})
    out = LagFeatures(entity="shop", period="month", columns=["shop"], target_lags=[1])
    out = out.fit_transform(X, [5.0, 6.0, 7.0])
    assert out["shop_lag1"].tolist()[1] == 1.0 and out["target_lag1"].tolist()[1] == 5.0
    assert out.iloc[2][["shop_lag1", "target_lag1"]].isna().all()


def test_single_series_without_entity() -> None:
    X = pd.DataFrame({"t": [3, 1, 2]})
    out = LagFeatures(period="t", target_lags=[1], rolling=[2]).fit_transform(
        X, [30.0, 10.0, 20.0]
    )
    assert out["target_lag1"].tolist()[0] == 20.0 and np.isnan(out["target_lag1"][1])
    assert out["target_roll2_mean"].tolist()[0] == 15.0


@pytest.mark.parametrize("scheme", ["kfold", "stratified_kfold", "group_kfold", "fold_column"])
def test_target_lags_need_a_time_scheme(scheme: str) -> None:
    X, y = _panel()
    ctx = SplitContext(scheme=scheme, task="regression")
    with pytest.raises(LeakageError, match=f"cv.scheme is '{scheme}'.*scheme 'time'"):
        LagFeatures(**FULL).fit_transform(X, y, split_context=ctx)
    with pytest.raises(LeakageError, match="lag_features"):  # through a chain, as the engine
        StageChain([("lags", LagFeatures(**FULL))]).fit_transform(X, y, split_context=ctx)
    # feature lags use no target: fine under any scheme
    LagFeatures(entity="shop", period="month", columns=["price"]).fit_transform(
        X, y, split_context=ctx
    )


def test_time_scheme_is_accepted() -> None:
    X, y = _panel()
    ctx = SplitContext(scheme="time", task="regression", time=X["month"].to_numpy())
    out = LagFeatures(**FULL).fit_transform(X, y, split_context=ctx)
    assert "target_lag1" in out.columns


@pytest.mark.parametrize(
    ("params", "y", "match"),
    [
        ({"period": "month", "target_lags": [1]}, None, "stage 'lag_features' requires y"),
        ({"period": "monht", "target_lags": [1]}, "y", "did you mean 'month'"),
        ({"period": "month", "entity": "shp", "target_lags": [1]}, "y", "did you mean 'shop'"),
        ({"period": "month", "target_lags": [0]}, "y", "integers >= 1"),
        ({"period": "month", "rolling": [1.5]}, "y", "integers >= 1"),
        ({"period": "month", "aggregates": ["median"]}, "y", "aggregates must be"),
        ({"period": "month"}, "y", "nothing to compute"),
        ({"target_lags": [1]}, "y", "period is required"),
        ({"period": "shop", "target_lags": [1]}, "y", "must hold numbers"),
    ],
)
def test_config_errors(params, y, match) -> None:
    X, yv = _panel()
    with pytest.raises(ConfigError, match=match):
        LagFeatures(**params).fit_transform(X, None if y is None else yv)


def test_dates_without_freq_are_an_error() -> None:
    X = pd.DataFrame({"d": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    with pytest.raises(ConfigError, match="set freq"):
        LagFeatures(period="d", target_lags=[1]).fit(X, [1.0, 2.0])


@parametrize_with_checks(
    [
        LagFeatures(period="x0", target_lags=(1,), rolling=(2,), aggregates=("mean", "count")),
        LagFeatures(period="x0", columns=["x0"], lags=(1, 2)),
    ]
)
def test_sklearn_contract(estimator, check) -> None:
    check(estimator)
