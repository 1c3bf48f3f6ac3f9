"""The ``strong`` pipeline runs on every task: its models pick their variant by task."""

from __future__ import annotations

import numpy as np
import pytest

from podium.config import RunRequest
from podium.engine import run_models
from podium.ensemble import apply_ensemble
from podium.session import plan_run
from podium.submission import build_submission, validate_submission

SMALL = [
    "n_workers=1",
    "models.lgb.params.n_estimators=30",
    "models.lgb_linear.params.n_estimators=30",
    "models.xgb.params.n_estimators=30",
    "models.catboost.params.iterations=30",
    "models.rf.params.n_estimators=10",
    "models.rf_onehot.params.n_estimators=10",
]


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_strong_runs_on_regression_and_multiclass(make_competition, task) -> None:
    comp = make_competition(task=task, n_train=160, n_test=40)
    root = comp.parent.parent
    plan = plan_run(RunRequest("toy", root=root, pipeline="strong", overrides=SMALL))
    linear = plan.models["linear"][1]
    assert linear.name == "linear"
    result = apply_ensemble(plan, run_models(plan, cache_dir=root / "cache"))
    assert set(result.results) == set(plan.cfg.pipeline.models)
    want = "Ridge" if task == "regression" else "LogisticRegression"
    assert np.isfinite(result.cv_mean) and result.chosen == "weights"
    for res in result.results.values():
        assert np.isfinite(res.cv_mean), res.name
    spec = plan.cfg.competition.submission
    frame = build_submission(
        plan.data.sample, plan.data.test_ids, result.test, spec=spec, task=task,
        classes=plan.classes,
    )  # fmt: skip
    validate_submission(frame, plan.data.sample, spec=spec, classes=plan.classes)
    from sklearn.base import clone

    fitted = clone(linear).fit(plan.data.train[["x1", "x2"]], plan.y)
    assert type(fitted.estimator_).__name__ == want
