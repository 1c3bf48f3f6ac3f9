"""Tests of podium.cv: building, checking, saving and nesting the run's folds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score

from podium.cv import SCHEMES, Folds, build_folds, inner_folds
from podium.exceptions import ConfigError, DataError, LeakageError

N = 120
RNG = np.random.default_rng(7)
Y_CLASS = RNG.choice(["a", "b", "c"], size=N, p=[0.6, 0.3, 0.1])
Y_REG = RNG.normal(size=N)
GROUPS = RNG.integers(0, 25, size=N)
TIME = pd.Series(pd.date_range("2024-01-01", periods=30, freq="D")).sample(
    N, replace=True, random_state=1
)
FOLD_COL = np.arange(N) % 4 - 1  # -1, 0, 1, 2

INPUTS: dict[str, dict[str, Any]] = {
    "kfold": {},
    "stratified_kfold": {"y": Y_CLASS},
    "group_kfold": {"groups": GROUPS},
    "stratified_group_kfold": {"y": Y_CLASS, "groups": GROUPS},
    "time": {"time": TIME, "gap": 1},
    "fold_column": {"fold_column": FOLD_COL},
    "period_tail": {"time": TIME, "period": "week"},
}
MASKED = ("time", "period_tail")  # schemes whose folds carry a train mask


def make(scheme: str, **extra: Any) -> Folds:
    kwargs = {"n_rows": N, "n_splits": 3, "seed": 0, **INPUTS[scheme], **extra}
    return build_folds(scheme, **kwargs)


def test_inputs_cover_every_scheme() -> None:
    assert set(INPUTS) == set(SCHEMES)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_scheme_builds(scheme: str) -> None:
    folds = make(scheme)
    assert folds.scheme == scheme
    assert folds.n_rows == N
    assert folds.n_splits == 3
    assert folds.fold.dtype == np.int64
    assert set(np.unique(folds.fold)) <= {-1, 0, 1, 2}
    assert (folds.train_mask is not None) == (scheme in MASKED)
    with pytest.raises(ValueError):
        folds.fold[0] = 1  # read-only


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_row_validated_once_and_never_trained_on_in_its_fold(scheme: str) -> None:
    folds = make(scheme)
    valid = np.concatenate([folds.valid_index(k) for k in range(folds.n_splits)])
    expected = np.flatnonzero(folds.fold >= 0)
    assert len(valid) == len(np.unique(valid))
    np.testing.assert_array_equal(np.sort(valid), expected)
    if scheme not in ("time", "fold_column", "period_tail"):
        assert len(expected) == N
    for k, (train, val) in enumerate(folds.split()):
        assert train.dtype == np.int64 and val.dtype == np.int64
        assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)
        assert np.intersect1d(train, val).size == 0
        np.testing.assert_array_equal(val, folds.valid_index(k))
        if folds.train_mask is None:
            np.testing.assert_array_equal(np.union1d(train, val), np.arange(N))


def test_fold_column_keeps_user_ids() -> None:
    folds = make("fold_column", n_splits=99)  # n_splits is inferred, not taken
    np.testing.assert_array_equal(folds.fold, FOLD_COL)
    assert folds.n_splits == 3
    never = np.flatnonzero(FOLD_COL == -1)
    assert all(np.isin(never, folds.train_index(k)).all() for k in range(3))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    groups=st.lists(st.integers(0, 30), min_size=10, max_size=150),
    n_splits=st.integers(2, 6),
    seed=st.integers(0, 1000),
    stratified=st.booleans(),
)
def test_group_folds_never_split_a_group(
    groups: list[int], n_splits: int, seed: int, stratified: bool
) -> None:
    g = np.array(groups)
    assume(len(np.unique(g)) >= n_splits)
    y = np.arange(len(g)) % 2
    assume(not stratified or len(g) // 2 >= n_splits)  # every class has n_splits rows
    scheme = "stratified_group_kfold" if stratified else "group_kfold"
    folds = build_folds(scheme, n_rows=len(g), n_splits=n_splits, seed=seed, y=y, groups=g)
    assert (folds.fold >= 0).all()
    per_group = pd.Series(folds.fold).groupby(g).nunique()
    assert (per_group == 1).all()


@settings(max_examples=80, deadline=None)
@given(
    times=st.lists(st.integers(-50, 50), min_size=5, max_size=120),
    n_splits=st.integers(2, 5),
    gap=st.integers(0, 3),
)
def test_time_folds_never_train_on_the_future(times: list[int], n_splits: int, gap: int) -> None:
    t = np.array(times)
    distinct = np.unique(t)
    assume(len(distinct) >= n_splits + 1)
    first_block = len(np.array_split(distinct, n_splits + 1)[0])
    if gap >= first_block:
        with pytest.raises(ConfigError, match="cv.gap"):
            build_folds("time", n_rows=len(t), n_splits=n_splits, time=t, gap=gap)
        return
    folds = build_folds("time", n_rows=len(t), n_splits=n_splits, time=t, gap=gap)
    assert pd.Series(folds.fold).groupby(t).nunique().max() == 1  # equal times, same block
    assert t[folds.fold == -1].max() < t[folds.fold >= 0].min()  # block 0 is the earliest
    for train, valid in folds.split():
        start = t[valid].min()
        assert t[train].max() < start
        skipped = distinct[(distinct > t[train].max()) & (distinct < start)]
        assert len(skipped) == gap
        # expanding window: every row before the cut trains
        np.testing.assert_array_equal(train, np.flatnonzero(t <= t[train].max()))


def test_time_accepts_dates_and_blocks_distinct_values() -> None:
    folds = make("time", gap=0)
    days = np.sort(TIME.unique())
    blocks = np.array_split(days, 4)
    for k in range(3):
        np.testing.assert_array_equal(
            np.sort(TIME.to_numpy()[folds.valid_index(k)]),
            np.sort(TIME.to_numpy()[np.isin(TIME.to_numpy(), blocks[k + 1])]),
        )


def test_stratified_class_ratios_close_per_fold() -> None:
    y = np.repeat(["x", "y", "z"], [600, 300, 100])
    folds = build_folds("stratified_kfold", n_rows=1000, n_splits=5, seed=3, y=y)
    overall = pd.Series(y).value_counts(normalize=True)
    for k in range(5):
        share = pd.Series(y[folds.valid_index(k)]).value_counts(normalize=True)
        assert np.allclose(share[overall.index], overall, atol=0.01)


@pytest.mark.parametrize("scheme", ["stratified_kfold", "stratified_group_kfold"])
def test_rare_multiclass_class_dealt_to_distinct_folds(scheme: str) -> None:
    """A multiclass class of fewer rows than folds: each row in its own fold, so every
    training part keeps the class (without the task given it is refused, see ERRORS)."""
    y = np.array(["a", "b"] * 60 + ["rare"] * 3)
    groups = np.arange(len(y)) if "group" in scheme else None
    folds = build_folds(scheme, n_rows=len(y), n_splits=5, seed=1, y=y, task="multiclass",
                        groups=groups)  # fmt: skip
    rare = folds.fold[y == "rare"]
    assert len(set(rare)) == 3
    for k in range(5):
        assert (y[folds.train_index(k)] == "rare").sum() >= 2
    few = np.array(["a", "b", "c", "d"])
    with pytest.raises(ConfigError, match="class 'a' has 1 rows"):  # no class fills the folds
        build_folds(scheme, n_rows=4, n_splits=4, y=few, task="multiclass",
                    groups=None if groups is None else np.arange(4))  # fmt: skip
    binary = np.r_[np.zeros(len(y) - 2, dtype=int), [1, 1]]
    with pytest.raises(ConfigError, match="class 1 has 2 rows"):  # binary: a fold's ROC-AUC
        build_folds(scheme, n_rows=len(y), n_splits=5, y=binary, task="binary", groups=groups)


def test_stratified_regression_uses_quantile_bins() -> None:
    y = np.random.default_rng(0).lognormal(size=1000)
    folds = build_folds("stratified_kfold", n_rows=1000, n_splits=5, y=y, task="regression")
    deciles = pd.qcut(y, 10, labels=False)
    for k in range(5):
        counts = np.bincount(deciles[folds.valid_index(k)], minlength=10)
        assert counts.min() >= 19 and counts.max() <= 21


def test_float_target_is_stratified_as_regression() -> None:
    inferred = build_folds("stratified_kfold", n_rows=N, n_splits=3, y=Y_REG)
    explicit = build_folds("stratified_kfold", n_rows=N, n_splits=3, y=Y_REG, task="regression")
    assert inferred.fingerprint == explicit.fingerprint


@pytest.mark.parametrize("scheme", SCHEMES)
def test_same_seed_same_folds(scheme: str, tmp_path: Any) -> None:
    a, b = make(scheme, seed=11), make(scheme, seed=11)
    a.to_csv(tmp_path / "a.csv")
    b.to_csv(tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 16


@pytest.mark.parametrize("scheme", ["kfold", "stratified_kfold", "group_kfold"])
def test_different_seed_different_shuffled_folds(scheme: str) -> None:
    a, b = make(scheme, seed=1), make(scheme, seed=2)
    assert a.fingerprint != b.fingerprint
    assert not np.array_equal(a.fold, b.fold)


def test_no_shuffle_ignores_seed() -> None:
    a, b = make("kfold", shuffle=False, seed=1), make("kfold", shuffle=False, seed=2)
    assert a.fingerprint == b.fingerprint
    np.testing.assert_array_equal(a.fold, np.repeat([0, 1, 2], N // 3))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_csv_round_trip_keeps_fingerprint(scheme: str, tmp_path: Any) -> None:
    folds = make(scheme)
    path = tmp_path / "sub" / "folds.csv"
    folds.to_csv(path)
    back = Folds.from_csv(path, scheme=scheme)
    assert back.fingerprint == folds.fingerprint
    assert back.scheme == scheme and back.n_splits == folds.n_splits
    for (t1, v1), (t2, v2) in zip(folds.split(), back.split(), strict=True):
        np.testing.assert_array_equal(t1, t2)
        np.testing.assert_array_equal(v1, v2)
    inferred = Folds.from_csv(path)
    assert inferred.scheme == ("time" if scheme in MASKED else "fold_column")


def test_from_frame_accepts_shuffled_rows() -> None:
    folds = make("time")
    frame = folds.to_frame().sample(frac=1.0, random_state=0)
    assert Folds.from_frame(frame).fingerprint == folds.fingerprint


def test_as_cv_is_a_sklearn_splitter() -> None:
    folds = make("group_kfold")
    cv = folds.as_cv()
    assert cv.get_n_splits() == 3
    pairs = list(cv.split(np.zeros((N, 2))))
    for (t1, v1), (t2, v2) in zip(pairs, folds.split(), strict=True):
        np.testing.assert_array_equal(t1, t2)
        np.testing.assert_array_equal(v1, v2)
    x = RNG.normal(size=(N, 2))
    scores = cross_val_score(LinearRegression(), x, Y_REG, cv=cv)
    assert len(scores) == 3
    with pytest.raises(DataError, match="X has 5 rows but the folds cover 120"):
        list(cv.split(np.zeros((5, 2))))


def test_subset_keeps_folds_of_rows() -> None:
    folds = make("kfold")
    rows = np.arange(0, N, 2)
    sub = folds.subset(rows)
    np.testing.assert_array_equal(sub.fold, folds.fold[rows])
    assert sub.n_rows == len(rows)


def test_fold_index_out_of_range() -> None:
    with pytest.raises(IndexError, match="fold k must be in 0..2, got 3"):
        make("kfold").train_index(3)


def test_folds_constructor_checks() -> None:
    fold = np.array([0, 1, 0, 1])
    with pytest.raises(DataError, match="fold 2 has no validation rows"):
        Folds(fold, 3, "kfold")
    with pytest.raises(DataError, match="found 5 at row 0"):
        Folds(np.array([5, 0, 1]), 2, "kfold")
    leaky = np.ones((4, 2), dtype=bool)
    with pytest.raises(LeakageError, match="row 0 is both a training and a validation row"):
        Folds(fold, 2, "time", leaky)
    with pytest.raises(ConfigError, match="unknown cv.scheme 'kfolds' - did you mean 'kfold'"):
        Folds(fold, 2, "kfolds")


def y_with_rare_class() -> np.ndarray:
    return np.array(["a"] * (N - 2) + ["rare"] * 2)


ERRORS: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("kfolds", {}, ConfigError, r"unknown cv.scheme 'kfolds' - did you mean 'kfold'\?"),
    ("kfold", {"n_splits": 1}, ConfigError, r"cv.n_splits must be >= 2, got 1"),
    ("kfold", {"n_splits": 2.5}, ConfigError, r"cv.n_splits must be an integer >= 2, got 2.5"),
    ("kfold", {"n_splits": N + 1}, ConfigError, r"larger than the number of rows \(120\)"),
    ("kfold", {"gap": 2}, ConfigError, r"cv.gap only applies to scheme 'time', got gap=2"),
    ("time", {"gap": -1}, ConfigError, r"cv.gap must be >= 0, got -1"),
    ("stratified_kfold", {"y": None}, ConfigError, r"'stratified_kfold' needs the target y"),
    (
        "stratified_kfold",
        {"y": y_with_rare_class()},
        ConfigError,
        r"cv.n_splits=3 is larger than the smallest class of y: class 'rare' has 2 rows",
    ),
    (
        "stratified_group_kfold",
        {"y": y_with_rare_class()},
        ConfigError,
        r"class 'rare' has 2 rows",
    ),
    (
        "stratified_kfold",
        {"y": np.arange(N)},
        ConfigError,
        r"class 0 has 1 rows \(for a regression target pass task='regression'\)",
    ),
    (
        "stratified_kfold",
        {"y": np.array(["x"] * N), "task": "regression"},
        DataError,
        r"y must be finite numbers for task 'regression', found 'x' at row 0",
    ),
    ("stratified_kfold", {"task": "regresion"}, ConfigError, r"did you mean 'regression'"),
    ("stratified_kfold", {"y": Y_CLASS[:-1]}, DataError, r"y has 119 values, expected n_rows=120"),
    ("group_kfold", {"groups": None}, ConfigError, r"'group_kfold' needs group labels"),
    ("stratified_group_kfold", {"groups": None}, ConfigError, r"needs group labels"),
    (
        "group_kfold",
        {"groups": np.arange(N) % 2},
        ConfigError,
        r"cv.n_splits=3 is larger than the number of distinct groups \(2\)",
    ),
    (
        "group_kfold",
        {"groups": np.where(np.arange(N) == 4, np.nan, GROUPS)},
        DataError,
        r"groups has 1 missing value\(s\) \(first at row 4\)",
    ),
    ("time", {"time": None}, ConfigError, r"'time' needs time values"),
    (
        "time",
        {"time": np.where(np.arange(N) == 9, np.nan, np.arange(N))},
        DataError,
        r"time has 1 missing value\(s\) \(first at row 9\)",
    ),
    (
        "time",
        {"time": np.arange(N) % 3},
        ConfigError,
        r"cv.n_splits=3 needs at least 4 distinct time values, found 3",
    ),
    ("time", {"time": np.arange(N), "gap": 30}, ConfigError, r"cv.gap=30 leaves fold 0"),
    ("fold_column", {"fold_column": None}, ConfigError, r"needs fold ids"),
    (
        "fold_column",
        {"fold_column": np.where(np.arange(N) == 3, 0.5, FOLD_COL)},
        DataError,
        r"fold_column must hold integers, found 0.5 at row 3",
    ),
    (
        "fold_column",
        {"fold_column": np.array(["a"] * N)},
        DataError,
        r"fold_column must hold integers",
    ),
    (
        "fold_column",
        {"fold_column": np.arange(N) % 2 - 1},
        DataError,
        r"fold_column must define at least 2 folds, found 1",
    ),
    (
        "fold_column",
        {"fold_column": np.arange(N) % 3 + 1},
        DataError,
        r"fold ids must be 0..k-1 with none missing, found ids \[1, 2, 3\] \(missing \[0\]\)",
    ),
    ("fold_column", {"fold_column": FOLD_COL - 1}, DataError, r"found -2 at row 0"),
]


@pytest.mark.parametrize(("scheme", "override", "error", "match"), ERRORS)
def test_errors(scheme: str, override: dict[str, Any], error: type, match: str) -> None:
    kwargs: dict[str, Any] = {"n_rows": N, "n_splits": 3, **INPUTS.get(scheme, {}), **override}
    if scheme == "stratified_group_kfold" and "groups" not in override:
        kwargs["groups"] = np.arange(N)
    with pytest.raises(error, match=match):
        build_folds(scheme, **kwargs)


def test_from_csv_errors(tmp_path: Any) -> None:
    with pytest.raises(DataError, match="fold file not found"):
        Folds.from_csv(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"row": [0, 1, 1], "fold": [0, 1, 0]}).to_csv(bad, index=False)
    with pytest.raises(DataError, match=r"column 'row' must be a permutation of 0..2"):
        Folds.from_csv(bad)
    pd.DataFrame({"idx": [0, 1], "fold": [0, 1]}).to_csv(bad, index=False)
    with pytest.raises(DataError, match=r"missing \['row'\]"):
        Folds.from_csv(bad)


def test_inner_folds_follow_group_scheme() -> None:
    outer = make("group_kfold")
    train = outer.train_index(0)
    inner = inner_folds(outer, train, n_splits=3, seed=0, groups=GROUPS)
    assert inner.scheme == "group_kfold" and inner.n_rows == len(train)
    assert pd.Series(inner.fold).groupby(GROUPS[train]).nunique().max() == 1
    same = inner_folds(outer, train, n_splits=3, seed=0, groups=GROUPS[train])
    assert same.fingerprint == inner.fingerprint
    with pytest.raises(ConfigError, match="inner folds on .* needs group labels"):
        inner_folds(outer, train, n_splits=3, seed=0)


def test_inner_folds_follow_time_scheme() -> None:
    outer = make("time", gap=0)
    train = outer.train_index(2)
    t = TIME.to_numpy()
    inner = inner_folds(outer, train, n_splits=2, seed=0, time=t, gap=1)
    assert inner.scheme == "time" and inner.train_mask is not None
    inner_t = t[train]
    assert inner_t.max() < t[outer.valid_index(2)].min()
    for tr, va in inner.split():
        assert inner_t[tr].max() < inner_t[va].min()
        assert (
            len(np.unique(inner_t[(inner_t > inner_t[tr].max()) & (inner_t < inner_t[va].min())]))
            == 1
        )


@pytest.mark.parametrize(
    ("outer_scheme", "inner_scheme"),
    [
        ("kfold", "kfold"),
        ("stratified_kfold", "stratified_kfold"),
        ("stratified_group_kfold", "stratified_group_kfold"),
        ("fold_column", "kfold"),
    ],
)
def test_inner_folds_scheme_mapping(outer_scheme: str, inner_scheme: str) -> None:
    outer = make(outer_scheme)
    train = outer.train_index(1)
    inner = inner_folds(outer, train, n_splits=2, seed=5, y=Y_CLASS, groups=GROUPS)
    assert inner.scheme == inner_scheme
    assert inner.n_rows == len(train) and (inner.fold >= 0).all()


def test_inner_folds_rejects_bad_positions() -> None:
    outer = make("kfold")
    with pytest.raises(DataError, match=r"train_idx must be positions in 0..119, found 120"):
        inner_folds(outer, [0, 120], n_splits=2, seed=0)
    with pytest.raises(DataError, match="y has 7 values, expected 120"):
        inner_folds(make("stratified_kfold"), np.arange(10), n_splits=2, seed=0, y=np.zeros(7))
