"""Target encoding and CrossFit: expected values from a naive per-fold pandas loop, and
leak properties (own-fold invariance, grouped/time inner folds, test-row independence)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import PredefinedSplit
from sklearn.preprocessing import TargetEncoder as SklearnTargetEncoder

from podium.cv import Folds, SplitContext
from podium.exceptions import ConfigError, DataError, LeakageError
from podium.features import CrossFit, TargetEncoder, infer_task, make_inner_folds
from podium.stages import BaseStage, StageChain

KFOLD = {
    "binary": SplitContext(scheme="kfold", task="binary"),
    "multiclass": SplitContext(scheme="kfold", task="multiclass"),
    "regression": SplitContext(scheme="kfold", task="regression"),
}


def make_data(n: int = 240, seed: int = 0, task: str = "binary", card: int = 6):
    rng = np.random.default_rng(seed)
    a = rng.choice([f"a{i}" for i in range(card)], n).astype(object)
    a[rng.random(n) < 0.08] = np.nan
    X = pd.DataFrame(
        {
            "a": pd.Series(a, dtype="str"),
            "b": rng.integers(0, 4, n),
            "x": rng.normal(size=n),
        }
    )
    effect = pd.Series(a).map({f"a{i}": i / card for i in range(card)}).fillna(0.5).to_numpy()
    if task == "binary":
        y = (rng.random(n) < 0.2 + 0.6 * effect).astype(np.int64)
    elif task == "multiclass":
        y = np.minimum((effect * 3 + rng.random(n)).astype(np.int64), 2)
    else:
        y = 100.0 + 10 * effect + rng.normal(size=n)
    return X, y


def naive_encoding(key_tr, y_tr, key_new, smoothing, min_count):
    """The encoding learned on (key_tr, y_tr) applied to key_new, written with pandas."""
    y_tr = pd.Series(np.asarray(y_tr, dtype=float))
    prior, var = y_tr.mean(), y_tr.var(ddof=0)
    grouped = y_tr.groupby(np.asarray(key_tr, dtype=object), dropna=True)
    n, total, mean = grouped.count(), grouped.sum(), grouped.mean()
    if smoothing == "auto":
        within = grouped.var(ddof=0)
        lam = var * n / (var * n + within)
        enc = (lam * mean + (1 - lam) * prior).fillna(prior)
    else:
        enc = (total + smoothing * prior) / (n + smoothing)
    enc[n < min_count] = prior
    return pd.Series(np.asarray(key_new, dtype=object)).map(enc).fillna(prior).to_numpy(float)


def naive_oof(key, y, folds: Folds, smoothing, min_count):
    out = np.full(len(key), np.nan)
    for tr, va in folds.split():
        out[va] = naive_encoding(key[tr], y[tr], key[va], smoothing, min_count)
    return out


def pair_key(X, cols):
    parts = [X[c].astype(object) for c in cols]
    joined = parts[0].astype(str)
    for p in parts[1:]:
        joined = joined + "|" + p.astype(str)
    missing = np.logical_or.reduce([p.isna().to_numpy() for p in parts])
    return joined.where(~missing, np.nan).to_numpy(dtype=object)


def target_columns(task, y):
    if task == "multiclass":
        return {f"_{c}": (y == c).astype(float) for c in np.unique(y)}
    return {"": np.asarray(y, dtype=float)}


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("smoothing", ["auto", 4.0])
@pytest.mark.parametrize("min_count", [1, 4])
def test_oof_equals_naive_per_fold_loop(task, smoothing, min_count) -> None:
    X, y = make_data(task=task)
    ctx = KFOLD[task]
    te = TargetEncoder(columns=["a", ["a", "b"]], smoothing=smoothing, min_count=min_count)
    out = te.fit_transform(X, y, split_context=ctx)
    folds = make_inner_folds(len(X), n_splits=5, random_state=0, split_context=ctx)
    test = X.sample(frac=1.0, random_state=1)
    test_out = te.transform(test)
    for name, key_cols in [("a", ["a"]), ("a__b", ["a", "b"])]:
        key = pair_key(X, key_cols)
        for sfx, col in target_columns(task, y).items():
            expected = naive_oof(key, col, folds, smoothing, min_count)
            np.testing.assert_allclose(out[f"te_{name}{sfx}"], expected, rtol=1e-10)
            expected_test = naive_encoding(
                key, col, pair_key(test, key_cols), smoothing, min_count
            )
            np.testing.assert_allclose(test_out[f"te_{name}{sfx}"], expected_test, rtol=1e-10)


def test_default_inner_folds_are_stratified_and_match_naive() -> None:
    X, y = make_data(n=300, task="binary")
    out = TargetEncoder(columns=["a"], smoothing=2.0, random_state=3).fit_transform(X, y)
    folds = make_inner_folds(len(X), n_splits=5, random_state=3, y_codes=y)
    per_fold = np.bincount(folds.fold, weights=y) / np.bincount(folds.fold)
    assert per_fold.max() - per_fold.min() < 0.02  # stratified on y
    expected = naive_oof(pair_key(X, ["a"]), y, folds, 2.0, 1)
    np.testing.assert_allclose(out["te_a"], expected, rtol=1e-12)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("smoothing", ["auto", 10.0])
def test_equals_sklearn_target_encoder_on_same_folds(task, smoothing) -> None:
    X, y = make_data(n=400, task=task, seed=5)
    X = X.assign(a=X["a"].fillna("missing"))  # sklearn treats NaN as a category; podium does not
    ctx = KFOLD[task]
    out = TargetEncoder(columns=["a", "b"], smoothing=smoothing).fit_transform(
        X, y, split_context=ctx
    )
    folds = make_inner_folds(len(X), n_splits=5, random_state=0, split_context=ctx)
    target_type = {"binary": "binary", "multiclass": "multiclass", "regression": "continuous"}
    sk = SklearnTargetEncoder(
        smooth=smoothing, cv=PredefinedSplit(folds.fold), target_type=target_type[task]
    )
    expected = sk.fit_transform(X[["a", "b"]], y)
    np.testing.assert_allclose(out.filter(like="te_").to_numpy(), expected, rtol=1e-9)


# -- leak properties -------------------------------------------------------------------


def _perturb(y, rows, task, rng):
    y2 = y.copy()
    if task == "regression":
        y2[rows] = rng.normal(50, 30, size=len(rows))
    else:
        y2[rows] = rng.choice(np.unique(y), size=len(rows))
    return y2


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    task=st.sampled_from(["binary", "multiclass", "regression"]),
    grouped=st.booleans(),
    smoothing=st.sampled_from(["auto", 0.0, 3.0]),
    k=st.integers(0, 3),
)
def test_own_fold_targets_never_reach_own_fold_encodings(
    seed, task, grouped, smoothing, k
) -> None:
    rng = np.random.default_rng(seed)
    X, y = make_data(
        n=int(rng.integers(40, 120)), seed=seed, task=task, card=int(rng.integers(1, 8))
    )
    groups = rng.integers(0, 12, len(X)) if grouped else None
    scheme = "group_kfold" if grouped else "kfold"
    ctx = SplitContext(scheme=scheme, task=task, groups=groups)
    te = TargetEncoder(columns=["a", ["a", "b"]], smoothing=smoothing, min_count=2, n_splits=4)
    folds = make_inner_folds(len(X), n_splits=4, random_state=0, split_context=ctx)
    va = folds.valid_index(k)
    y2 = _perturb(y, va, task, rng)
    if task != "regression":  # keep the class set (and so the output columns) the same
        rest = np.setdiff1d(np.arange(len(y)), va)
        if set(y[rest]) != set(np.unique(y)) or set(np.unique(y2)) != set(np.unique(y)):
            return
    before = te.fit_transform(X, y, split_context=ctx)
    after = TargetEncoder(**te.get_params()).fit_transform(X, y2, split_context=ctx)
    pd.testing.assert_frame_equal(before.iloc[va], after.iloc[va], check_exact=True)


def test_the_own_fold_property_detects_a_leak() -> None:
    """fit().transform() on the training rows (a leak) fails the same comparison."""
    X, y = make_data(task="binary", seed=2)
    ctx = KFOLD["binary"]
    folds = make_inner_folds(len(X), n_splits=5, random_state=0, split_context=ctx)
    va = folds.valid_index(1)
    y2 = y.copy()
    y2[va] = 1 - y2[va]
    leaky = [TargetEncoder(columns=["a"]).fit(X, t).transform(X)["te_a"] for t in (y, y2)]
    assert not np.array_equal(leaky[0].iloc[va], leaky[1].iloc[va])
    oof = [
        TargetEncoder(columns=["a"]).fit_transform(X, t, split_context=ctx)["te_a"]
        for t in (y, y2)
    ]
    np.testing.assert_array_equal(oof[0].iloc[va], oof[1].iloc[va])
    other = folds.valid_index(0)
    assert not np.array_equal(oof[0].iloc[other], oof[1].iloc[other])


def test_grouped_context_keeps_groups_whole() -> None:
    X, y = make_data(n=200, task="binary", seed=3)
    groups = np.random.default_rng(0).integers(0, 25, len(X))
    ctx = SplitContext(scheme="stratified_group_kfold", task="binary", groups=groups)
    folds = make_inner_folds(len(X), n_splits=5, random_state=0, y_codes=y, split_context=ctx)
    per_group = pd.Series(folds.fold).groupby(groups).nunique()
    assert (per_group == 1).all()
    out = TargetEncoder(columns=["a"], smoothing=1.0).fit_transform(X, y, split_context=ctx)
    expected = naive_oof(pair_key(X, ["a"]), y, folds, 1.0, 1)
    np.testing.assert_allclose(out["te_a"], expected, rtol=1e-12)


def test_grouped_context_without_groups_is_a_leak() -> None:
    X, y = make_data(n=50)
    with pytest.raises(LeakageError, match="grouped"):
        TargetEncoder(columns=["a"]).fit_transform(
            X, y, split_context=SplitContext(scheme="group_kfold")
        )


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_time_context_learns_only_from_earlier_rows(task) -> None:
    X, y = make_data(n=180, task=task, seed=4)
    time = np.repeat(np.arange(36), 5)
    ctx = SplitContext(scheme="time", task=task, time=time)
    te = TargetEncoder(columns=["a", ["a", "b"]], smoothing="auto")
    out = te.fit_transform(X, y, split_context=ctx)
    folds = make_inner_folds(len(X), n_splits=5, random_state=0, split_context=ctx)
    assert out.loc[folds.fold == -1, "te_a"].isna().all()  # earliest block: no past
    assert out.loc[folds.fold >= 0, "te_a"].notna().all()
    rng = np.random.default_rng(0)
    for k, (tr, va) in enumerate(folds.split()):
        assert time[tr].max() < time[va].min()
        later = np.flatnonzero(time >= time[va].min())  # this fold and everything after it
        changed = TargetEncoder(**te.get_params()).fit_transform(
            X, _perturb(y, later, task, rng), split_context=ctx
        )
        pd.testing.assert_frame_equal(out.iloc[va], changed.iloc[va], check_exact=True)
        expected = naive_encoding(pair_key(X, ["a"])[tr], y[tr], pair_key(X, ["a"])[va], "auto", 1)
        np.testing.assert_allclose(
            out["te_a"].to_numpy()[va], expected, rtol=1e-10, err_msg=f"fold {k}"
        )


def test_test_rows_do_not_depend_on_other_test_rows() -> None:
    X, y = make_data(n=200, task="multiclass", seed=6)
    test, _ = make_data(n=80, task="multiclass", seed=7)
    te = TargetEncoder(columns=["a", ["a", "b"]]).fit(X, y)
    full = te.transform(test)
    order = np.random.default_rng(0).permutation(len(test))[:50]
    part = te.transform(test.iloc[order])
    pd.testing.assert_frame_equal(part, full.iloc[order], check_exact=True)


def test_unseen_and_missing_categories_get_the_prior() -> None:
    X, y = make_data(n=150, task="regression", seed=8)
    te = TargetEncoder(columns=["a", ["a", "b"]], smoothing=1.0).fit(X, y)
    test = pd.DataFrame({"a": ["never-seen", None, "a1"], "b": [0, 1, 99], "x": [0.0, 0.0, 0.0]})
    test["a"] = test["a"].astype("str")
    out = te.transform(test)
    assert te.prior_[0] == pytest.approx(y.mean())
    np.testing.assert_allclose(out["te_a"].iloc[:2], y.mean())
    np.testing.assert_allclose(out["te_a__b"], y.mean())  # unseen value, NaN, unseen pair
    assert out["te_a"].iloc[2] != pytest.approx(y.mean())


def test_missing_rows_get_their_fold_prior_out_of_fold() -> None:
    X, y = make_data(n=200, task="binary", seed=9)
    ctx = KFOLD["binary"]
    out = TargetEncoder(columns=["a"]).fit_transform(X, y, split_context=ctx)
    folds = make_inner_folds(len(X), n_splits=5, random_state=0, split_context=ctx)
    for tr, va in folds.split():
        nan_rows = va[X["a"].isna().to_numpy()[va]]
        assert len(nan_rows)
        np.testing.assert_allclose(out["te_a"].to_numpy()[nan_rows], y[tr].mean())


def test_noise_touches_only_fit_transform_and_is_seeded() -> None:
    X, y = make_data(n=150, seed=10)
    ctx = KFOLD["binary"]
    quiet = TargetEncoder(columns=["a"], noise=0.0)
    noisy = TargetEncoder(columns=["a"], noise=0.05, random_state=0)
    a = quiet.fit_transform(X, y, split_context=ctx)
    b = noisy.fit_transform(X, y, split_context=ctx)
    c = TargetEncoder(columns=["a"], noise=0.05, random_state=0).fit_transform(
        X, y, split_context=ctx
    )
    d = TargetEncoder(columns=["a"], noise=0.05, random_state=1).fit_transform(
        X, y, split_context=ctx
    )
    diff = b["te_a"] - a["te_a"]
    assert 0.02 < diff.std() < 0.08
    pd.testing.assert_frame_equal(b, c, check_exact=True)
    assert not np.allclose(b["te_a"], d["te_a"])
    pd.testing.assert_frame_equal(quiet.transform(X), noisy.transform(X), check_exact=True)


def test_keep_original_and_names() -> None:
    X, y = make_data(n=100, task="multiclass")
    te = TargetEncoder(columns=["a", ["a", "b"]], keep_original=False, prefix="enc_")
    out = te.fit_transform(X, y)
    assert list(out.columns) == ["x"] + [f"enc_{k}_{c}" for k in ("a", "a__b") for c in (0, 1, 2)]
    assert list(te.get_feature_names_out()) == list(out.columns)
    assert list(te.transform(X).columns) == list(out.columns)
    kept = TargetEncoder(columns=["a"]).fit_transform(X, y)
    assert list(kept.columns[:3]) == ["a", "b", "x"]


# -- errors and warnings ---------------------------------------------------------------


def test_missing_column_names_stage_and_suggests() -> None:
    X, y = make_data(n=50)
    with pytest.raises(
        ConfigError, match=r"stage 'target_encoder'.*'colour'.*did you mean 'color'"
    ):
        TargetEncoder(columns=["colour"]).fit(X.rename(columns={"a": "color"}), y)
    with pytest.raises(ConfigError, match=r"'bb'.*did you mean 'b'"):
        TargetEncoder(columns=[["a", "bb"]]).fit_transform(X, y)


def test_needs_the_target() -> None:
    X, _ = make_data(n=50)
    with pytest.raises(ConfigError, match=r"^stage 'target_encoder' needs the target; "):
        TargetEncoder(columns=["a"]).fit(X)
    chain = StageChain([("te", TargetEncoder(columns=["a"]))])
    with pytest.raises(ConfigError, match="needs the target"):
        chain.fit_transform(X, None)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"smoothing": "high"}, "smoothing must be 'auto' or a number"),
        ({"smoothing": -1.0}, "smoothing must be 'auto' or a number"),
        ({"min_count": -1}, "min_count must be >= 0"),
        ({"noise": -0.1}, "noise must be >= 0"),
        ({"task": "ranking"}, "task must be one of"),
        ({"n_splits": 1}, "n_splits must be an integer >= 2"),
        ({"columns": "a"}, "columns must be a list"),
    ],
)
def test_bad_params(params, match) -> None:
    X, y = make_data(n=50)
    with pytest.raises(ConfigError, match=match):
        TargetEncoder(**params).fit_transform(X, y)


def test_bad_target() -> None:
    X, y = make_data(n=50, task="regression")
    y[3] = np.nan
    with pytest.raises(DataError, match=r"missing value.*row 3"):
        TargetEncoder(columns=["a"]).fit(X, y)
    with pytest.raises(DataError, match="one value per row"):
        TargetEncoder(columns=["a"]).fit(X, y[:10])


def test_warns_on_numeric_id_like_columns(monkeypatch, caplog) -> None:
    import logging

    from podium.features import target_encoding

    monkeypatch.setattr(target_encoding, "_LOGGED", set())
    log = logging.getLogger(target_encoding.__name__)
    log.addHandler(caplog.handler)  # podium's logger may not propagate (CLI tests)
    try:
        X, y = make_data(n=120)
        TargetEncoder(columns=["x"]).fit(X, y)
        TargetEncoder(columns=["x"]).fit_transform(X, y)  # logged once, not per fit
        records = {id(r): r for r in caplog.records}  # the handler may see a record twice
        lines = [r.getMessage() for r in records.values() if r.levelno == logging.WARNING]
        assert len(lines) == 1, lines
        assert "column 'x' is numeric with a distinct value on every row" in lines[0]
        caplog.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            TargetEncoder(columns=["a", "b"]).fit_transform(X, y)  # text, low-cardinality ints
        assert not caplog.records
        monkeypatch.setattr(target_encoding, "WARN_UNIQUE", 5)
        TargetEncoder(columns=["b", "a"]).fit(X.assign(b=np.arange(120) % 60), y)
        assert "column 'b' is numeric with over 5 distinct values" in caplog.text
    finally:
        log.removeHandler(caplog.handler)


def test_task_inference_rule() -> None:
    assert infer_task(np.array([0, 1, 1])) == "binary"
    assert infer_task(np.array([True, False])) == "binary"
    assert infer_task(np.array(["a", "b", "c"], dtype=object)) == "multiclass"
    assert infer_task(np.arange(20) % 20) == "multiclass"
    assert infer_task(np.arange(21)) == "regression"
    assert infer_task(np.array([0.0, 1.0, 2.0])) == "multiclass"
    assert infer_task(np.array([0.5, 1.0])) == "regression"
    X, _ = make_data(n=60)
    y = np.arange(60) % 3
    assert TargetEncoder(columns=["a"]).fit(X, y).task_ == "multiclass"
    assert TargetEncoder(columns=["a"], task="regression").fit(X, y).task_ == "regression"
    te = TargetEncoder(columns=["a"]).fit_transform(X, y, split_context=KFOLD["regression"])
    assert list(te.columns) == ["a", "b", "x", "te_a"]


# -- CrossFit ----------------------------------------------------------------------------


class MeanOfTarget(BaseStage):
    """A toy supervised stage: adds the mean of y seen in fit."""

    def _fit(self, X, y, **_):
        self.mean_ = float(np.mean(y))

    def _transform(self, X):
        return X.assign(y_mean=self.mean_)


def test_crossfit_is_out_of_fold_and_fits_all_rows_for_transform() -> None:
    X, y = make_data(n=120, task="regression", seed=11)
    ctx = KFOLD["regression"]
    cf = CrossFit(MeanOfTarget(), n_splits=4, random_state=2)
    out = cf.fit_transform(X, y, split_context=ctx)
    folds = make_inner_folds(len(X), n_splits=4, random_state=2, split_context=ctx)
    for tr, va in folds.split():
        np.testing.assert_allclose(out["y_mean"].to_numpy()[va], y[tr].mean())
    pd.testing.assert_frame_equal(out[["a", "b", "x"]], X)
    assert len(cf.estimators_) == 4
    assert cf.transform(X)["y_mean"].eq(y.mean()).all()
    assert not np.allclose(out["y_mean"], cf.transform(X)["y_mean"])  # by design
    assert list(cf.get_feature_names_out()) == ["a", "b", "x", "y_mean"]


def test_crossfit_time_rows_without_past_get_nan_in_new_columns() -> None:
    X, y = make_data(n=60, task="regression")
    ctx = SplitContext(scheme="time", task="regression", time=np.arange(60))
    out = CrossFit(MeanOfTarget(), n_splits=3).fit_transform(X, y, split_context=ctx)
    first = out.iloc[:15]
    assert first["y_mean"].isna().all()
    pd.testing.assert_series_equal(first["x"], X["x"].iloc[:15])


def test_crossfit_in_a_chain_gets_the_split_context() -> None:
    X, y = make_data(n=100, task="regression")
    groups = np.arange(100) // 10
    chain = StageChain([("cf", CrossFit(MeanOfTarget(), n_splits=5))])
    out = chain.fit_transform(
        X, y, split_context=SplitContext(scheme="group_kfold", groups=groups)
    )
    assert out.groupby(groups)["y_mean"].nunique().max() == 1  # whole groups per inner fold


def test_inner_fold_errors() -> None:
    with pytest.raises(ConfigError, match="need at least 5 rows, got 3"):
        make_inner_folds(3, n_splits=5, random_state=0)
    ctx = SplitContext(scheme="group_kfold", groups=np.arange(4))
    with pytest.raises(
        DataError, match="split_context.groups has 4 values, expected one per fitting row"
    ):
        make_inner_folds(10, n_splits=2, random_state=0, split_context=ctx)
    with pytest.raises(LeakageError, match="time-ordered"):
        make_inner_folds(10, n_splits=2, random_state=0, split_context=SplitContext(scheme="time"))


def _ungrouped(self, n_rows, *, n_splits, seed, y):
    """Inner folds that ignore the groups."""
    return Folds(np.arange(n_rows) % n_splits, n_splits, "kfold")


def _future(self, n_rows, *, n_splits, seed, y):
    """Inner time folds of which fold 0 also trains on later rows."""
    fold = np.repeat([-1, 0, 1], [10, 15, 15])
    mask = np.zeros((n_rows, 2), dtype=bool)
    mask[:10, 0] = True
    mask[:10, 1] = mask[25:, 0] = True  # fold 0 also trains on later rows
    return Folds(fold, 2, "time", mask)


@pytest.mark.parametrize(
    ("inner_folds", "n_splits", "context", "match"),
    [
        (_ungrouped, 4, SplitContext(scheme="group_kfold", groups=np.repeat(np.arange(10), 4)),
         "split group"),
        (_future, 2, SplitContext(scheme="time", time=np.arange(40)),
         "inner time fold 0 trains on rows not earlier"),
    ],  # fmt: skip
    ids=["split-group", "trains-on-future"],
)
def test_inner_folds_that_break_the_outer_scheme_are_refused(
    monkeypatch, inner_folds, n_splits, context, match
) -> None:
    """The guards behind make_inner_folds: a split group, a fold trained on its future."""
    monkeypatch.setattr(SplitContext, "inner_folds", inner_folds)
    with pytest.raises(LeakageError, match=match):
        make_inner_folds(40, n_splits=n_splits, random_state=0, split_context=context)


def test_check_disjoint_refuses_training_on_own_rows() -> None:
    from podium.features.crossfit import check_disjoint

    folds = Folds(
        np.array([0, 0, 1, 1]), 2, "time", np.array([[0, 1], [0, 1], [1, 0], [1, 0]], bool)
    )
    check_disjoint(folds, "te")
    object.__setattr__(folds, "train_mask", np.ones((4, 2), dtype=bool))
    with pytest.raises(
        LeakageError, match="stage 'te': inner fold 0 would train on its own row 0"
    ):
        check_disjoint(folds, "te")
