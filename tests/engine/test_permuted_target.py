"""Permuted target through a whole stacked pipeline scores at chance (ROC-AUC 0.5 ± 0.03)."""

from __future__ import annotations

import dataclasses

import numpy as np

from podium.config import RunRequest
from podium.engine import run_models
from podium.ensemble import apply_ensemble
from podium.session import plan_run

STACKED = {
    "stages": [
        {"name": "numeric", "use": "to_numeric"},
    ],
    "models": {
        "lgb": {
            "use": "lightgbm",
            "params": {"n_estimators": 300, "learning_rate": 0.05, "num_leaves": 15},
            "stages": [{"name": "cats", "use": "categorical", "params": {"encoding": "native"}}],
            "early_stopping": {"rounds": 30, "holdout": 0.15},
        },
        "linear": {
            "use": "logistic_regression",
            "stages": [
                {"name": "impute", "use": "impute"},
                {"name": "cats", "use": "categorical", "params": {"encoding": "onehot"}},
            ],
        },
    },
    "ensemble": {
        "method": "stack",
        "level2": {"lr": {"use": "logistic_regression", "params": {"C": 1.0}}},
    },
}


def test_permuted_target_scores_at_chance(make_competition) -> None:
    comp = make_competition(n_train=4000, n_test=100, pipeline=STACKED)
    plan = plan_run(RunRequest(comp, root=comp.parent.parent, pipeline="custom"))
    real = apply_ensemble(plan, run_models(plan))
    assert real.cv_mean > 0.75  # the pipeline learns the real signal
    rng = np.random.default_rng(0)
    permuted = dataclasses.replace(plan, y=rng.permutation(plan.y))
    null = apply_ensemble(permuted, run_models(permuted))
    assert abs(null.cv_mean - 0.5) <= 0.03, null.cv_mean


def test_permuted_target_scores_at_chance_with_repeats(make_competition) -> None:
    """Repeated CV: the stacked pipeline on every repeat's folds (one stack per repeat), OOF
    averaged over 3 repeats, still scores at chance on a permuted target, as each repeat
    of level 1 does."""
    comp = make_competition(n_train=4000, n_test=100, pipeline=STACKED)
    plan = plan_run(
        RunRequest(comp, root=comp.parent.parent, pipeline="custom", overrides=["cv.repeats=3"])
    )
    rng = np.random.default_rng(0)
    permuted = dataclasses.replace(plan, y=rng.permutation(plan.y))
    exp = run_models(permuted)
    null = apply_ensemble(permuted, exp)
    assert null.cv_std_repeats is not None and len(null.fold_scores) == 12
    assert abs(null.cv_mean - 0.5) <= 0.03, null.cv_mean
    from podium.metrics import get_metric

    auc = get_metric("roc_auc", "binary")
    assert abs(auc(permuted.y, null.oof) - 0.5) <= 0.03  # the averaged OOF itself
    for res in exp.results.values():
        assert len(res.repeats) == 3
        assert all(abs(r.cv_mean - 0.5) <= 0.04 for r in res.repeats), res.repeat_scores
