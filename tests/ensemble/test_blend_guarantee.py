"""A blender that fits weights never scores worse in-sample than its best member.

Random and adversarial out-of-fold matrices (a near-duplicate member, an anti-correlated
one, constant predictions, one great member among bad ones, multiclass probabilities)
for binary ROC-AUC and log loss, multiclass log loss and ROC-AUC, regression RMSE and
RMSLE.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.ensemble import make_blender
from podium.metrics import get_metric

KINDS = ("random", "near_duplicate", "anti", "constant", "one_great")
FITTED = ("weights", "rank", "power", "hill")


def _members(rng: np.random.Generator, signal: np.ndarray, m: int, kind: str) -> np.ndarray:
    """``m`` noisy views of ``signal`` (n,), reshaped by ``kind``."""
    n = len(signal)
    scale = rng.uniform(0.2, 2.0, size=m)
    P = signal[:, None] + rng.normal(size=(n, m)) * scale
    if kind == "near_duplicate":
        P[:, 1] = P[:, 0] + rng.normal(scale=1e-6, size=n)
    elif kind == "anti":
        P[:, 1] = -P[:, 0] + rng.normal(scale=0.1, size=n)
    elif kind == "constant":
        P[:, 1] = 0.3
    elif kind == "one_great":
        P[:, 0] = signal + rng.normal(scale=0.05, size=n)
        P[:, 1:] = rng.normal(size=(n, m - 1)) * 3
    return P


def _case(seed: int, n: int, m: int, kind: str, task: str):
    rng = np.random.default_rng(seed)
    if task == "binary":
        y = rng.integers(0, 2, size=n)
        y[:2] = [0, 1]
        raw = _members(rng, (y - 0.5) * 2, m, kind)
        P = 1 / (1 + np.exp(-raw))
        if kind == "constant":
            P[:, 1] = 0.3
        return y, P
    if task == "multiclass":
        k = 3
        y = rng.integers(0, k, size=n)
        y[:k] = np.arange(k)
        logits = np.stack(
            [_members(rng, 2.0 * (y == c), m, kind) for c in range(k)], axis=1
        )  # (n, k, m)
        P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return y, P
    y = np.exp(rng.normal(size=n))  # positive, for RMSLE
    P = np.clip(_members(rng, y, m, kind), -0.9, None)
    return y, P


def _check(y: np.ndarray, P: np.ndarray, metric_name: str, methods: tuple[str, ...]) -> None:
    metric = get_metric(metric_name)
    best = min(
        (metric(y, P[..., j]) for j in range(P.shape[-1])),
        key=lambda s: -s if metric.greater_is_better else s,
    )
    for method in methods:
        regression = metric_name in ("rmse", "rmsle")
        params = {"space": "power"} if method == "power" and regression else {}
        b = make_blender(method, params).fit(P, y, metric)
        score = metric(y, b.predict(P))
        assert not metric.better(best, score), (method, metric_name, score, best, b.weights_)
        assert np.all(b.weights_ >= 0) and b.weights_.sum() == pytest.approx(1.0)


_common = {
    "seed": st.integers(0, 100_000),
    "n": st.integers(30, 150),
    "m": st.integers(2, 5),
    "kind": st.sampled_from(KINDS),
}


@settings(max_examples=30, deadline=None)
@given(metric_name=st.sampled_from(["roc_auc", "logloss"]), **_common)
def test_binary_never_worse_than_best_member(seed, n, m, kind, metric_name) -> None:
    y, P = _case(seed, n, m, kind, "binary")
    _check(y, P, metric_name, FITTED)


@settings(max_examples=30, deadline=None)
@given(metric_name=st.sampled_from(["rmse", "rmsle"]), **_common)
def test_regression_never_worse_than_best_member(seed, n, m, kind, metric_name) -> None:
    y, P = _case(seed, n, m, kind, "regression")
    _check(y, P, metric_name, FITTED)


@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")
@settings(max_examples=15, deadline=None)
@given(metric_name=st.sampled_from(["logloss", "roc_auc"]), **_common)
def test_multiclass_never_worse_than_best_member(seed, n, m, kind, metric_name) -> None:
    y, P = _case(seed, n, m, kind, "multiclass")
    _check(y, P, metric_name, ("weights", "hill", "power"))


def test_a_blend_worse_than_its_best_member_falls_back_to_it() -> None:
    """Rank-averaging regression predictions gives values in [0, 1], far from a target
    around 100: the best member is returned unchanged."""
    rng = np.random.default_rng(0)
    y = 100 + rng.normal(size=200)
    P = np.column_stack([y + rng.normal(scale=0.1, size=200), y + rng.normal(size=200)])
    b = make_blender("rank").fit(P, y, get_metric("rmse"))
    assert b.member_ == 0
    np.testing.assert_array_equal(b.weights_, [1.0, 0.0])
    np.testing.assert_array_equal(b.predict(P[:7]), P[:7, 0])
    assert b.describe()["fallback_member"] == 0


def test_weights_start_at_the_best_corner_for_a_flat_metric() -> None:
    """ROC-AUC of one great member blended with noise: the blend keeps (at least) its AUC."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=400)
    great = y + rng.normal(scale=0.3, size=400)
    P = np.column_stack([rng.random(400), great, rng.random(400)])
    auc = get_metric("roc_auc")
    b = make_blender("weights").fit(P, y, auc)
    assert auc(y, b.predict(P)) >= auc(y, great)
    assert b.weights_[1] > 0.8


@settings(max_examples=20, deadline=None)
@given(metric_name=st.sampled_from(["roc_auc", "logloss"]), **_common)
def test_in_sample_blend_is_never_below_the_best_members_cv(seed, n, m, kind, metric_name) -> None:
    """With folds, a model's CV is the mean of its per-fold scores: the blend's reported
    in-sample figure is on that scale and is never worse than the best member's CV (a
    pooled fit could be: the pooled optimum need not beat the best per-fold mean)."""
    from podium.cv import Folds
    from podium.ensemble.combine import blend

    y, P = _case(seed, max(n, 60), m, kind, "binary")
    rng = np.random.default_rng(seed)
    fold = rng.permutation(np.arange(len(y)) % 3)
    for k in range(3):  # both classes in every fold, or ROC-AUC is undefined there
        rows = np.flatnonzero(fold == k)
        y[rows[:2]] = [0, 1]
    folds = Folds(fold=fold, n_splits=3, scheme="kfold")
    metric = get_metric(metric_name)
    names = [f"m{j}" for j in range(P.shape[1])]
    oofs = {name: P[:, j] for j, name in enumerate(names)}
    cvs = [np.mean([metric(y[fold == k], P[fold == k, j]) for k in range(3)]) for j in range(m)]
    best = max(cvs) if metric.greater_is_better else min(cvs)
    res = blend(oofs, oofs, y, folds, metric, method="weights")
    assert not metric.better(best, res.naive_score), (res.naive_score, best, res.weights)
