"""Blending and stacking on the run's folds: weights, nested CV, identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.cv import build_folds
from podium.ensemble import BLENDERS, blend, make_blender, nested_blend, stack
from podium.exceptions import ConfigError
from podium.metrics import get_metric
from podium.models import make_model

AUC = get_metric("roc_auc")
RMSE = get_metric("rmse")


def _data(n: int = 300, m: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    P = np.clip(y[:, None] * 0.3 + rng.normal(0.35, 0.25, size=(n, m)), 0, 1)
    T = np.clip(rng.normal(0.5, 0.25, size=(50, m)), 0, 1)
    folds = build_folds("stratified_kfold", n_rows=n, n_splits=5, seed=seed, y=y)
    return y, P, T, folds


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(2, 5))
def test_weights_are_nonnegative_and_sum_to_one(seed: int, m: int) -> None:
    y, P, _, _ = _data(120, m, seed)
    for method in ("weights", "rank", "power", "hill", "mean", "best"):
        w = make_blender(method).fit(P, y, AUC).weights_
        assert np.all(w >= 0), (method, w)
        assert w.sum() == pytest.approx(1.0), (method, w)


def test_weights_find_the_informative_model() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=500)
    good = np.clip(y * 0.4 + rng.normal(0.3, 0.2, 500), 0, 1)
    noise = rng.random((500, 2))
    w = (
        make_blender("weights")
        .fit(np.column_stack([noise[:, 0], good, noise[:, 1]]), y, AUC)
        .weights_
    )
    assert w[1] > 0.8


def test_nested_blend_never_uses_the_scored_fold() -> None:
    """Changing targets and predictions of fold k leaves fold k's blend weights as they were:
    fold k's blended values move only through its own predictions, linearly."""
    y, P, _, folds = _data()
    k = 2
    va = folds.valid_index(k)
    base, _ = nested_blend(lambda: make_blender("weights"), P, y, folds, AUC)
    y2 = y.copy()
    y2[va] = 1 - y2[va]
    changed, _ = nested_blend(lambda: make_blender("weights"), P, y2, folds, AUC)
    np.testing.assert_array_equal(base[va], changed[va])
    other = folds.valid_index(0)
    assert not np.array_equal(base[other], changed[other])


def test_blend_of_a_model_with_itself_equals_the_model() -> None:
    y, P, T, folds = _data(m=1)
    oofs = {"a": P[:, 0], "b": P[:, 0].copy()}
    tests = {"a": T[:, 0], "b": T[:, 0].copy()}
    single = np.mean([AUC(y[va], P[va, 0]) for _, va in folds.split()])
    for method in ("weights", "mean", "hill", "power"):
        res = blend(oofs, tests, y, folds, AUC, method=method)
        tol = 1e-5 if method == "power" else 1e-12  # logit space clips 0 and 1 by 1e-6
        np.testing.assert_allclose(res.test, T[:, 0], rtol=1e-9, atol=tol)
        np.testing.assert_allclose(res.oof, P[:, 0], rtol=1e-9, atol=tol)
        assert res.cv_mean == pytest.approx(single)


def test_rank_blend_of_test_rows_does_not_depend_on_other_test_rows() -> None:
    y, P, T, _ = _data()
    b = make_blender("rank").fit(P, y, AUC)
    full = b.predict(T)
    np.testing.assert_array_equal(b.predict(T[:10]), full[:10])


def test_nested_cv_is_reported_beside_in_sample() -> None:
    y, P, T, folds = _data(m=5)
    res = blend(dict(enumerate(P.T)), dict(enumerate(T.T)), y, folds, AUC, method="weights")
    assert len(res.fold_scores) == 5
    assert res.naive_score >= res.cv_mean - 0.02  # in-sample is optimistic or equal
    assert set(res.weights) == set(range(5))


def test_unknown_method_suggests() -> None:
    with pytest.raises(ConfigError, match="did you mean 'weights'"):
        make_blender("weigths")
    assert set(BLENDERS) == {"best", "mean", "weights", "rank", "power", "hill"}


def test_stack_level2_uses_the_same_folds() -> None:
    y, P, T, folds = _data(m=3)
    lr = make_model("logistic_regression", task="binary", params={}, seed=0, n_jobs=1)
    res = stack(
        dict(enumerate(P.T)), dict(enumerate(T.T)), y, folds, AUC, level2={"lr": (None, lr)}
    )
    assert res.oof.shape == y.shape and not np.isnan(res.oof).any()
    k = 1
    va = folds.valid_index(k)
    y2 = y.copy()
    y2[va] = 1 - y2[va]
    res2 = stack(
        dict(enumerate(P.T)), dict(enumerate(T.T)), y2, folds, AUC, level2={"lr": (None, lr)}
    )
    np.testing.assert_array_equal(res.oof[va], res2.oof[va])


def test_regression_blend_beats_members_on_complementary_errors() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(size=400)
    a = y + rng.normal(scale=0.5, size=400)
    b = y + rng.normal(scale=0.5, size=400)
    folds = build_folds("kfold", n_rows=400, n_splits=5, seed=0)
    res = blend({"a": a, "b": b}, {"a": a[:5], "b": b[:5]}, y, folds, RMSE, method="weights")
    assert res.cv_mean < min(RMSE(y, a), RMSE(y, b))
    assert res.weights["a"] == pytest.approx(0.5, abs=0.15)


def test_blend_with_repeats_is_nested_on_each_repeats_folds() -> None:
    """Repeated CV: one blend fit on the (averaged) OOF, nested on every repeat's folds;
    one repeat given as a tuple is the plain blend."""
    y, P, T, folds = _data()
    other = build_folds("stratified_kfold", n_rows=len(y), n_splits=5, seed=99, y=y)
    oofs = {f"m{j}": P[:, j] for j in range(P.shape[1])}
    tests = {f"m{j}": T[:, j] for j in range(T.shape[1])}
    plain = blend(oofs, tests, y, folds, AUC, method="hill")
    same = blend(oofs, tests, y, (folds,), AUC, method="hill")
    np.testing.assert_array_equal(plain.oof, same.oof)
    assert plain.fold_scores == same.fold_scores and same.cv_std_repeats is None
    two = blend(oofs, tests, y, (folds, other), AUC, method="hill")
    again = blend(oofs, tests, y, other, AUC, method="hill")
    assert two.fold_scores == plain.fold_scores + again.fold_scores
    assert two.cv_mean == pytest.approx(np.mean(two.fold_scores))
    assert two.cv_std_repeats == pytest.approx(np.std([plain.cv_mean, again.cv_mean]))
    np.testing.assert_allclose(two.oof, (plain.oof + again.oof) / 2)
    np.testing.assert_array_equal(two.test, plain.test)  # the full fit does not use folds
