"""The weights blender's search for metrics without a gradient (the line search) and its
bagging over the folds (``bag``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.ensemble import make_blender
from podium.ensemble._objective import loss
from podium.exceptions import ConfigError
from podium.metrics import get_metric

AUC = get_metric("roc_auc")
RMSE = get_metric("rmse")


def _binary(n: int, seed: int, m: int = 2):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    signal = rng.normal(size=n) + y  # a shared signal, each member with its own noise
    P = np.column_stack([signal + rng.normal(scale=1.0 + j, size=n) for j in range(m)])
    groups = np.arange(n) % 5
    return y, P, groups


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(2, 4))
def test_no_step_toward_a_member_improves_the_searched_weights(seed: int, m: int) -> None:
    # ROC-AUC is flat between steps: Powell stopped on the best member's plateau (the
    # linear model alone, where 0.8 linear + 0.2 LightGBM scored higher). The line search
    # ends where no move of 0.02 ... 0.5 of the way toward any member lowers the loss.
    y, P, groups = _binary(400, seed, m)
    b = make_blender("weights", {"bag": False}).fit(P, y, AUC, groups)
    w = b.weights_
    here = loss(AUC, y, P @ w, groups)
    for j in range(m):
        for t in np.arange(0.02, 0.51, 0.02):
            moved = (1 - t) * w + t * np.eye(m)[j]
            assert loss(AUC, y, P @ moved, groups) >= here - 1e-12, (j, t, w)


def test_bagged_weights_are_the_mean_of_the_leave_one_fold_out_searches() -> None:
    y, P, groups = _binary(600, 3, m=3)
    bagged = make_blender("weights").fit(P, y, AUC, groups)  # bag: auto, ROC-AUC: bagged
    assert bagged.stepwise_ and bagged.member_ is None
    parts = []
    for g in range(5):
        rows = groups != g
        parts.append(
            make_blender("weights", {"bag": False})
            .fit(P[rows], y[rows], AUC, groups[rows])
            .weights_
        )
    np.testing.assert_allclose(bagged.weights_, np.mean(parts, axis=0))
    single = make_blender("weights", {"bag": False}).fit(P, y, AUC, groups)
    assert not np.allclose(single.weights_, bagged.weights_)  # the bagging did something
    forced = make_blender("weights", {"bag": True}).fit(P, y, AUC, groups)
    np.testing.assert_allclose(forced.weights_, bagged.weights_)


def test_a_smooth_metric_is_not_bagged_unless_asked() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    P = np.column_stack([y + rng.normal(scale=s, size=500) for s in (0.5, 0.8, 1.2)])
    groups = np.arange(500) % 5
    auto = make_blender("weights").fit(P, y, RMSE, groups)
    off = make_blender("weights", {"bag": False}).fit(P, y, RMSE, groups)
    assert not auto.stepwise_
    np.testing.assert_array_equal(auto.weights_, off.weights_)
    on = make_blender("weights", {"bag": True}).fit(P, y, RMSE, groups)
    assert not np.array_equal(on.weights_, off.weights_)
    # without folds (or fewer than 3) there is nothing to bag over
    no_groups = make_blender("weights", {"bag": True}).fit(P, y, RMSE)
    np.testing.assert_array_equal(
        no_groups.weights_, make_blender("weights", {"bag": False}).fit(P, y, RMSE).weights_
    )


def test_a_bad_bag_value_is_one_clear_error() -> None:
    y, P, groups = _binary(100, 0)
    with pytest.raises(
        ConfigError,
        match=r"ensemble param bag must be auto, true or false, "
        r"got 'sometimes'",
    ):
        make_blender("weights", {"bag": "sometimes"}).fit(P, y, AUC, groups)
