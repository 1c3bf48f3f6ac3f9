"""The plot helpers' numbers: ROC points equal scikit-learn's, AUC in the title."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from podium.exceptions import DataError
from podium.tracking.plots import _roc_points, roc_curve_figure


@pytest.mark.parametrize("n", [2, 7, 500])
@pytest.mark.parametrize("decimals", [None, 1])  # 1 decimal: many tied scores
def test_roc_points_equal_sklearn_roc_curve(n: int, decimals: int | None) -> None:
    rng = np.random.default_rng(n)
    y = rng.integers(0, 2, n)
    y[0], y[-1] = 0, 1
    score = rng.random(n) if decimals is None else np.round(rng.random(n), decimals)
    fpr, tpr = _roc_points(y == 1, score)
    want_fpr, want_tpr, _ = roc_curve(y, score, drop_intermediate=False)
    np.testing.assert_allclose(fpr, want_fpr)
    np.testing.assert_allclose(tpr, want_tpr)
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_roc_figure_titles_the_auc_of_string_labels_and_rejects_three_classes() -> None:
    y = np.array(["no", "yes", "no", "yes", "yes"])
    score = np.array([0.1, 0.9, 0.4, 0.35, 0.8])
    fig = roc_curve_figure(y, score)
    want = roc_auc_score(y == "yes", score)
    assert fig.axes[0].get_title() == f"ROC curve (AUC = {want:.4f})"
    with pytest.raises(DataError, match="3 classes"):
        roc_curve_figure(np.array([0, 1, 2]), np.array([0.1, 0.2, 0.3]))


def test_figures_name_what_they_show() -> None:
    import pandas as pd

    from podium.tracking.plots import feature_importance_figure, residual_figure

    imp = pd.Series({"x1": 3.0, "x2": 1.0, "color": 2.0})
    fig = feature_importance_figure(imp, 30, "model lgb (lightgbm)")
    assert fig.axes[0].get_title() == "Feature importance: model lgb (lightgbm) (top 3 of 3)"
    assert feature_importance_figure(imp).axes[0].get_title() == "Feature importance (top 3 of 3)"
    y, score = np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.4, 0.8])
    roc = roc_curve_figure(y, score, "out-of-fold, ensemble weights")
    assert roc.axes[0].get_title() == "ROC curve: out-of-fold, ensemble weights (AUC = 1.0000)"
    res = residual_figure([1.0, 2.0], [1.5, 2.5], "out-of-fold, model lgb")
    assert res.get_suptitle() == "out-of-fold, model lgb"
