"""``time_limit``: once the models' CV has run that long, models not yet started are
skipped; the first always runs, the ensemble is made of those that ran."""

from __future__ import annotations

import pandas as pd
from mlflow import MlflowClient
from typer.testing import CliRunner

from podium.cli import app, commands  # noqa: F401
from podium.tracking.mlflow_tracker import preload

FAST = {"n_estimators": 30, "learning_rate": 0.1, "num_leaves": 7, "min_child_samples": 5}


def _pipeline(time_limit: float | None) -> dict:
    models = {
        name: {"use": "lightgbm", "params": {**FAST, "seed": i}}
        for i, name in enumerate(["first", "second", "third"])
    }
    pipe = {
        "stages": [{"name": "cats", "use": "categorical", "params": {"encoding": "native"}}],
        "models": models,
        "ensemble": {"method": "weights", "members": ["first", "second", "third"]},
    }
    if time_limit is not None:
        pipe["time_limit"] = time_limit
    return pipe


def _run(make_competition, monkeypatch, time_limit: float | None, *flags: str):
    comp = make_competition(pipeline=_pipeline(time_limit))
    root = comp.parent.parent
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["run", "toy", "-p", "custom", *flags])
    assert result.exit_code == 0, result.output
    preload()
    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name("toy")
    runs = client.search_runs([exp.experiment_id])
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    children = [r.data.tags["mlflow.runName"] for r in runs if r is not parent
                and "mlflow.parentRunId" in r.data.tags]  # fmt: skip
    return comp, result.output, parent, children


def test_time_limit_zero_runs_the_first_model_only(make_competition, monkeypatch) -> None:
    comp, out, parent, children = _run(make_competition, monkeypatch, 0)
    assert "first fold 1/4" in out and "second fold" not in out and "third fold" not in out
    assert "not run (time limit): second, third" in out
    assert parent.data.tags["podium.skipped"] == "second,third"
    assert len(children) == 1
    # the submission is the one model's (the weights ensemble has one member left)
    sub = pd.read_csv(next((comp / "submissions").glob("*.csv")))
    assert sub["target"].between(0, 1).all()
    assert "ensemble (weights)" not in out


def test_the_time_limit_flag_sets_it(make_competition, monkeypatch) -> None:
    _, out, parent, children = _run(make_competition, monkeypatch, None, "--time-limit", "0")
    assert "not run (time limit): second, third" in out and len(children) == 1
    assert {k: v for k, v in parent.data.params.items() if "time_limit" in k} == {
        "pipeline.time_limit": "0.0"
    }


def test_no_time_limit_runs_every_model(make_competition, monkeypatch) -> None:
    _, out, parent, children = _run(make_competition, monkeypatch, None)
    assert "third fold 4/4" in out and "not run (time limit)" not in out
    assert "podium.skipped" not in parent.data.tags and len(children) == 3
    assert "ensemble (weights)" in out


def test_a_negative_time_limit_is_one_line(make_competition, monkeypatch) -> None:
    comp = make_competition(pipeline=_pipeline(-1))
    monkeypatch.chdir(comp.parent.parent)
    result = CliRunner().invoke(app, ["run", "toy", "-p", "custom"])
    assert result.exit_code == 2
    assert "time_limit" in result.output and "must be >= 0" in result.output
    assert not (comp / "submissions").exists() or not list((comp / "submissions").iterdir())
