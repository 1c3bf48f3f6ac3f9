"""Count encoding and group aggregates: pandas as the reference, unseen keys, fit_on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from podium.exceptions import ConfigError
from podium.features import AGGS, FEATURE_STAGES, CountEncoder, GroupAggregates
from podium.stages import StageChain


def make_frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shop = rng.choice(["s1", "s2", "s3", "s4"], n).astype(object)
    shop[rng.random(n) < 0.05] = None
    price = rng.gamma(2.0, 10.0, n)
    price[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "shop": pd.Series(shop, dtype="str"),
            "item": rng.integers(0, 6, n),
            "price": price,
            "qty": rng.integers(0, 9, n).astype(float),
        }
    )


def test_registry_names() -> None:
    assert FEATURE_STAGES["count_encoder"] is CountEncoder
    assert FEATURE_STAGES["group_aggregates"] is GroupAggregates
    assert type(FEATURE_STAGES) is dict


# -- counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("normalize", [False, True])
def test_counts_equal_value_counts(normalize) -> None:
    train, test = make_frame(), make_frame(60, seed=1)
    test.loc[0, "shop"] = "new-shop"
    enc = CountEncoder(columns=["shop", ["shop", "item"]], normalize=normalize).fit(train)
    out = enc.transform(test)
    pre = "freq_" if normalize else "count_"
    counts = train["shop"].value_counts() / (len(train) if normalize else 1)  # share of all rows
    expected = test["shop"].map(counts).fillna(0.0)
    np.testing.assert_allclose(out[f"{pre}shop"], expected)
    pairs = train.groupby(["shop", "item"]).size() / (len(train) if normalize else 1)
    keys = pd.MultiIndex.from_frame(test[["shop", "item"]])
    expected_pair = pd.Series(pairs.reindex(keys).to_numpy()).fillna(0.0)
    np.testing.assert_allclose(out[f"{pre}shop__item"], expected_pair)
    assert out.loc[0, f"{pre}shop"] == 0  # unseen
    assert (out.loc[test["shop"].isna(), f"{pre}shop"] == 0).all()  # missing
    assert out[f"{pre}shop"].dtype == (np.float64 if normalize else np.int64)


def test_counts_train_plus_test_is_explicit_and_recorded() -> None:
    train, test = make_frame(), make_frame(80, seed=2)
    with pytest.raises(ConfigError, match=r"fit_on='train\+test' needs the test rows.*X_test="):
        CountEncoder(columns=["shop"], fit_on="train+test").fit(train)
    enc = CountEncoder(columns=["item"], fit_on="train+test").fit(train, X_test=test)
    both = pd.concat([train["item"], test["item"]]).value_counts()
    np.testing.assert_array_equal(enc.transform(train)["count_item"], train["item"].map(both))
    assert enc.fit_on_ == "train+test" and enc.n_fit_rows_ == 280
    plain = CountEncoder(columns=["item"]).fit(train, X_test=test)  # X_test ignored
    assert plain.fit_on_ == "train" and plain.n_fit_rows_ == 200
    chain = StageChain([("cnt", CountEncoder(columns=["item"], fit_on="train+test"))])
    out = chain.fit_transform(train, None, X_test=test)  # the chain forwards X_test
    np.testing.assert_array_equal(out["count_item"], train["item"].map(both))


def test_counts_test_rows_are_independent() -> None:
    train, test = make_frame(), make_frame(70, seed=3)
    enc = CountEncoder(columns=["shop", "item"]).fit(train)
    full = enc.transform(test)
    sub = test.sample(30, random_state=0)
    pd.testing.assert_frame_equal(enc.transform(sub), full.loc[sub.index], check_exact=True)


def test_counts_errors() -> None:
    train = make_frame()
    with pytest.raises(ConfigError, match=r"stage 'count_encoder'.*'shopp'.*did you mean 'shop'"):
        CountEncoder(columns=["shopp"]).fit(train)
    with pytest.raises(ConfigError, match="fit_on must be 'train' or 'train\\+test'"):
        CountEncoder(fit_on="test").fit(train)


# -- group aggregates -------------------------------------------------------------------


def _reference(train: pd.DataFrame, rows: pd.DataFrame, keys: list[str], col: str, agg: str):
    grouped = train.groupby(keys)[col]
    base = "mean" if agg in ("diff", "ratio") else agg
    stats = grouped.agg(base)
    idx = pd.MultiIndex.from_frame(rows[keys]) if len(keys) > 1 else pd.Index(rows[keys[0]])
    mapped = pd.Series(stats.reindex(idx).to_numpy(dtype=float), index=rows.index)
    if agg == "diff":
        return rows[col] - mapped
    if agg == "ratio":
        return (rows[col] / mapped).where(mapped != 0)
    return mapped


@pytest.mark.parametrize("keys", [["shop"], ["shop", "item"]])
def test_aggregates_equal_pandas_groupby(keys) -> None:
    train, test = make_frame(), make_frame(60, seed=4)
    test.loc[0, "shop"] = "new-shop"
    by = keys if len(keys) == 1 else [keys]
    stage = GroupAggregates(by=by, columns=["price", "qty"], aggs=list(AGGS)).fit(train)
    out = stage.transform(test)
    name = "__".join(keys)
    for col in ("price", "qty"):
        for agg in AGGS:
            expected = _reference(train, test, keys, col, agg)
            np.testing.assert_allclose(
                out[f"{col}_{agg}_by_{name}"], expected, rtol=1e-12, err_msg=f"{col} {agg}"
            )
    assert out.loc[0].filter(like="_by_").isna().all()  # unseen group -> NaN
    assert list(stage.get_feature_names_out()) == list(out.columns)


def test_aggregates_defaults_use_text_keys_and_numeric_columns() -> None:
    train = make_frame()
    out = GroupAggregates().fit_transform(train)
    assert [c for c in out.columns if "_by_" in c] == [
        f"{c}_{a}_by_shop" for c in ("item", "price", "qty") for a in ("mean", "std")
    ]


def test_aggregates_train_plus_test() -> None:
    train, test = make_frame(), make_frame(50, seed=5)
    stage = GroupAggregates(by=["shop"], columns=["price"], aggs=["mean"], fit_on="train+test")
    out = stage.fit_transform(train, X_test=test)
    both = pd.concat([train, test], ignore_index=True)
    np.testing.assert_allclose(
        out["price_mean_by_shop"], _reference(both, train, ["shop"], "price", "mean")
    )
    assert stage.fit_on_ == "train+test"
    with pytest.raises(ConfigError, match="needs the test rows"):
        GroupAggregates(by=["shop"], fit_on="train+test").fit(train)


def test_a_key_can_also_be_aggregated() -> None:
    train = make_frame()
    out = GroupAggregates(by=["shop"], columns=["item"], aggs=["nunique", "count"]).fit_transform(
        train.assign(item2=train["item"])
    )
    np.testing.assert_allclose(
        out["item_nunique_by_shop"], _reference(train, train, ["shop"], "item", "nunique")
    )
    out = GroupAggregates(by=["item"], columns=["item"], aggs=["std"]).fit_transform(train)
    assert (out["item_std_by_item"].dropna() == 0).all()


def test_aggregates_test_rows_are_independent() -> None:
    train, test = make_frame(), make_frame(70, seed=6)
    stage = GroupAggregates(by=["shop", ["shop", "item"]], aggs=["median", "diff"]).fit(train)
    full = stage.transform(test)
    sub = test.iloc[::-3]
    pd.testing.assert_frame_equal(stage.transform(sub), full.loc[sub.index], check_exact=True)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"by": ["shopp"]},
            r"stage 'group_aggregates'.*by names column 'shopp'.*did you mean 'shop'",
        ),
        (
            {"by": ["shop"], "columns": ["prise"]},
            r"columns names column 'prise'.*did you mean 'price'",
        ),
        ({"by": ["shop"], "aggs": ["mena"]}, r"unknown agg 'mena' - did you mean 'mean'"),
        ({"by": "shop"}, "by must be a list"),
        ({"by": ["item"], "columns": ["shop"]}, "columns must be numeric, column 'shop'"),
    ],
)
def test_aggregates_errors(params, match) -> None:
    with pytest.raises(ConfigError, match=match):
        GroupAggregates(**params).fit(make_frame())
