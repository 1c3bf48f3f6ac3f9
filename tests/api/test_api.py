"""The Python API: ``podium.run`` from a plain script (the README's example, run in a
subprocess) gives the CLI's CV for the same config and seed; its result is indexed by
row id; ``podium.predict`` reproduces the submission from the saved models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import podium
from podium.cli import (
    app,
    commands,  # noqa: F401
)
from podium.tracking.mlflow_tracker import MlflowTracker

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "api_quickstart.py"
OVERRIDES = {"models.lgb.params.n_estimators": 30, "cv.n_splits": 3}


def test_import_podium_is_lazy() -> None:
    code = "import sys, podium; print('podium.runner' in sys.modules, callable(podium.run))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_example_script_gives_the_cli_cv(make_competition, monkeypatch) -> None:
    comp = make_competition()
    root = comp.parent.parent
    monkeypatch.chdir(root)
    sets = [f"--set={k}={v}" for k, v in OVERRIDES.items()]
    cli = CliRunner().invoke(app, ["run", "toy", "--pipeline", "fast", "--seed", "3", *sets])
    assert cli.exit_code == 0, cli.output
    (summary,) = MlflowTracker(experiment="toy", root=root).list_runs()
    env = {
        **os.environ,
        "PODIUM_EXAMPLE_COMPETITION": "toy",
        "PODIUM_EXAMPLE_PIPELINE": "fast",
        "PODIUM_EXAMPLE_OVERRIDES": json.dumps(OVERRIDES),
        "PODIUM_EXAMPLE_SEED": "3",
    }
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "predictions from the saved models reproduce the submission: True" in lines
    (cv_line,) = [x for x in lines if x.startswith("cv_mean=")]
    assert float(cv_line.removeprefix("cv_mean=")) == summary.cv_mean


def test_run_result_and_predict(make_competition, monkeypatch) -> None:
    comp = make_competition(task="multiclass")
    root = comp.parent.parent
    res = podium.run("toy", overrides=OVERRIDES, root=root)
    train = pd.read_csv(comp / "data" / "train.csv")
    test = pd.read_csv(comp / "data" / "test.csv")
    assert res.oof.index.tolist() == train["id"].tolist()
    assert list(res.oof.columns) == ["high", "low", "mid"]
    assert res.test_predictions.index.tolist() == test["id"].tolist()
    assert set(res.models) == {"lgb"} and res.models["lgb"].cv_mean == res.cv_mean
    assert len(res.fold_scores) == 3 and res.submission.is_file()

    monkeypatch.chdir(root)  # root found from the working directory
    by_name = podium.load_run(res.run_name)
    assert by_name.run_id == res.run_id
    pred = podium.predict(res, test)
    assert pred.to_csv(index=False, lineterminator="\n") == res.submission.read_text()
    with pytest.raises(podium.DataError, match="missing 1 column the run was trained on: x1"):
        podium.predict(by_name, test.drop(columns="x1"))
