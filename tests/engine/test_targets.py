"""Metric-aware targets: ``target_transform: auto`` and predictions clipped to the target's range."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from podium.cli import app, commands  # noqa: F401
from podium.cv import build_folds
from podium.engine import run_cv
from podium.engine.targets import TargetRange, resolve_target_transform, target_range
from podium.metrics import METRICS
from podium.models import RidgeAdapter
from podium.stages import StageChain

runner = CliRunner()


def test_auto_resolves_by_metric_and_targets() -> None:
    y = np.array([0.0, 3.0, 10.0])
    assert resolve_target_transform("auto", "regression", METRICS["rmsle"], y)[0] == "log1p"
    assert resolve_target_transform("auto", "regression", METRICS["rmse"], y)[0] == "none"
    assert resolve_target_transform("auto", "binary", METRICS["logloss"], y)[0] == "none"
    low = np.array([-2.0, 3.0])
    assert resolve_target_transform("auto", "regression", METRICS["rmsle"], low)[0] == "none"
    assert resolve_target_transform("none", "regression", METRICS["rmsle"], y)[0] == "none"


def test_ranges_by_task_and_target() -> None:
    rmse, rmsle = METRICS["rmse"], METRICS["rmsle"]
    assert target_range("regression", rmse, np.array([0.0, 5.0])) == TargetRange(lower=0.0)
    assert target_range("regression", rmse, np.array([-3.0, 5.0])) == TargetRange()
    assert target_range("regression", rmsle, np.array([-0.5, 5.0])).lower == -0.5
    np.testing.assert_array_equal(
        target_range("binary", rmse, np.empty(0)).clip(np.array([-0.1, 0.4, 1.2])), [0, 0.4, 1]
    )
    simplex = target_range("multiclass", rmse, np.empty(0))
    got = simplex.clip(np.array([[0.5, -0.1, 0.7], [0.0, 0.0, 0.0], [np.nan, 0.5, 0.5]]))
    np.testing.assert_allclose(got[0], [0.5 / 1.2, 0.0, 0.7 / 1.2])
    np.testing.assert_allclose(got[1], [1 / 3] * 3)
    assert np.isnan(got[2]).all()


def test_negative_predictions_do_not_crash_rmsle() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=200)})
    y = np.exp(2 * X["x"].to_numpy()) * 0.1  # ridge on this predicts negatives for low x
    folds = build_folds("kfold", n_rows=200, n_splits=4, seed=0, y=y, task="regression")
    rmsle = METRICS["rmsle"]
    args = dict(folds=folds, metric=rmsle, X_test=X.iloc[:20], target_transform="none")
    model = RidgeAdapter(task="regression")
    with pytest.raises(ValueError, match="greater than -1"):
        run_cv(StageChain([]), model, X, y, **args)
    res = run_cv(
        StageChain([]), model, X, y, target_range=target_range("regression", rmsle, y), **args
    )
    assert np.isfinite(res.cv_mean) and res.oof.min() == 0.0 and res.test.min() >= 0.0


def _cv(output: str) -> str:
    found = re.search(r"CV rmsle = ([0-9.]+)", output)
    assert found, output
    return found.group(1)


def test_rmsle_without_transform_runs_as_log1p(make_competition, monkeypatch) -> None:
    comp = make_competition(task="regression")
    root: Path = comp.parent.parent
    monkeypatch.chdir(root)
    auto = runner.invoke(app, ["run", "toy"])
    assert auto.exit_code == 0, auto.output
    assert "target_transform: log1p; auto: metric rmsle is log-scaled" in auto.output
    explicit = runner.invoke(app, ["run", "toy", "--set", "target_transform=log1p"])
    assert explicit.exit_code == 0, explicit.output
    assert _cv(auto.output) == _cv(explicit.output)
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name("toy")
    runs = [
        r
        for r in client.search_runs([exp.experiment_id])
        if "mlflow.parentRunId" not in r.data.tags
    ]
    assert sorted(r.data.params["pipeline.target_transform"] for r in runs) == ["log1p", "log1p"]
