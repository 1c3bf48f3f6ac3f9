"""``pairs: all`` / ``interactions: k`` for the count and target encoders."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from podium.exceptions import ConfigError
from podium.features import CountEncoder, TargetEncoder
from podium.features.counts import expand_keys


def codes_frame(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Integer codes: a, b, c independent; d determined by a; u unique per row."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 6, n)
    X = pd.DataFrame(
        {
            "a": a,
            "b": rng.integers(0, 4, n),
            "c": rng.integers(0, 3, n),
            "d": a * 10 + 7,  # d is a function of a: the pair (a, d) repeats a
            "u": rng.permutation(n),  # near-unique: any pair with it too
        }
    )
    y = (rng.random(n) < 0.3 + 0.1 * (X["b"] == 1)).astype(int).to_numpy()
    return X, y


def single(X: pd.DataFrame) -> list[tuple[str, ...]]:
    return [(c,) for c in X.columns]


def test_all_pairs_minus_redundant_and_near_unique() -> None:
    X, _ = codes_frame()
    keys = expand_keys(X, single(X), 2, 64)
    added = keys[len(X.columns) :]
    assert keys[: len(X.columns)] == single(X)
    expected = [p for p in combinations(X.columns, 2) if "u" not in p and p != ("a", "d")]
    assert added == expected  # generation order, nothing else dropped


def test_cap_keeps_the_pairs_with_fewest_values_and_skips_hand_written_ones() -> None:
    X, _ = codes_frame()
    keys = [("a",), ("b",), ("c",), ("b", "c")]
    added = expand_keys(X, keys, 2, 1)[len(keys) :]
    assert added == [("a", "c")]  # 18 values, fewer than (a, b): 24; (b, c) is already there
    assert expand_keys(X, keys, 2, 0) == keys
    assert expand_keys(X, keys, 1, 64) == keys


def test_interactions_3_adds_triples() -> None:
    X, _ = codes_frame()
    keys = expand_keys(X[["a", "b", "c"]], [("a",), ("b",), ("c",)], 3, 64)
    assert keys[3:] == [("a", "b"), ("a", "c"), ("b", "c"), ("a", "b", "c")]


@pytest.mark.parametrize("cls", [CountEncoder, TargetEncoder])
def test_pairs_all_equals_writing_the_pairs_by_hand(cls) -> None:
    X, y = codes_frame()
    X_new, _ = codes_frame(120, seed=1)
    X_new.loc[0, "a"] = 99  # unseen code
    pairs = [list(p) for p in combinations(X.columns, 2) if "u" not in p and p != ("a", "d")]
    auto = cls(columns=list(X.columns), pairs="all")
    hand = cls(columns=list(X.columns) + pairs)
    pd.testing.assert_frame_equal(auto.fit_transform(X, y), hand.fit_transform(X, y))
    pd.testing.assert_frame_equal(auto.transform(X_new), hand.transform(X_new))
    out = cls(columns=list(X.columns), interactions=2).fit(X, y).transform(X_new)
    pd.testing.assert_frame_equal(out, hand.transform(X_new))
    name = "te_a__b" if cls is TargetEncoder else "count_a__b"
    assert name in out and "count_a__d" not in out and "te_a__d" not in out


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pairs": "some"}, r"pairs must be 'all' or null, got 'some'"),
        ({"interactions": 0}, r"interactions must be an integer >= 1"),
        ({"interactions": True}, r"interactions must be an integer >= 1"),
        ({"pairs": "all", "interactions": 3}, r"pairs: all means interactions: 2"),
        ({"pairs": "all", "max_pairs": -1}, r"max_pairs must be an integer >= 0"),
    ],
)
@pytest.mark.parametrize("cls", [CountEncoder, TargetEncoder])
def test_bad_pair_params(cls, params, message) -> None:
    X, y = codes_frame(50)
    with pytest.raises(ConfigError, match=message):
        cls(**params).fit_transform(X, y)


def test_min_values_encodes_many_valued_columns_and_pairs_with_one() -> None:
    X, y = codes_frame()  # a: 6 values, b: 4, c: 3, d: 6, u: 400
    keys = expand_keys(X, single(X) + [("b", "c")], 2, 64, min_values=5)
    assert [k for k in keys if len(k) == 1] == [("a",), ("d",), ("u",)]
    assert ("b", "c") in keys  # a combination written by hand stays
    added = keys[4:]
    assert added == [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]  # one member of 5+
    for cls in (CountEncoder, TargetEncoder):
        enc = cls(columns=["a", "b", "c"], pairs="all", min_values=5)
        out = enc.fit_transform(X[["a", "b", "c"]], y)
        made = [c for c in out.columns if c not in ("a", "b", "c")]
        assert len(made) == 3 and all("a" in m.split("_", 1)[1] for m in made), made
        assert (out["b"] == X["b"]).all()
