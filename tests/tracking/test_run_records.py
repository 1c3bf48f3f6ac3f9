"""What `podium run` writes to MLflow, read back as a competitor would compare runs:
metric keys named after the metric, one parameter namespace, the command line and
``--set`` overrides, child runs named after their parent, true model durations, the
experiment description, and the leaderboard (printed and logged)."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient
from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401  (registers the commands)
)
from podium.tracking.mlflow_tracker import preload

LGB = {"n_estimators": 30, "learning_rate": 0.1, "num_leaves": 7, "min_child_samples": 5}
PIPELINE = {
    "stages": [
        {"name": "numeric", "use": "to_numeric"},
        {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
    ],
    "models": {
        "lgb": {"use": "lightgbm", "params": LGB},
        "deep": {"use": "lightgbm", "params": {**LGB, "num_leaves": 15, "n_estimators": 50}},
    },
    "ensemble": {"method": "weights"},
}
REPO = Path(__file__).resolve().parents[2]
DESCRIPTION = "Toy churn: predict `target` from x1, x2 and color."


def _frames(n_train: int = 240, n_test: int = 80):
    rng = np.random.default_rng(0)
    n = n_train + n_test
    frame = pd.DataFrame({
        "id": np.arange(n), "x1": rng.normal(size=n), "x2": rng.normal(size=n),
        "color": rng.choice(["red", "green", "blue"], size=n),
    })  # fmt: skip
    signal = 1.5 * frame["x1"] - frame["x2"] + (frame["color"] == "red")
    frame["target"] = (signal + rng.normal(scale=0.8, size=n) > 0).astype(int)
    test = frame.iloc[n_train:].drop(columns="target")
    return frame.iloc[:n_train], test, pd.DataFrame({"id": test["id"], "target": 0.5})


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One blended run of two models, logged to a fresh store; (output, client, root)."""
    root = tmp_path_factory.mktemp("records")
    comp = root / "competitions" / "toy"
    (comp / "data").mkdir(parents=True)
    shutil.copytree(REPO / "pipelines", root / "pipelines")
    (root / "pipelines" / "custom.yaml").write_text(yaml.safe_dump(PIPELINE, sort_keys=False))
    for name, frame in zip(("train", "test", "sample_submission"), _frames(), strict=True):
        frame.to_csv(comp / "data" / f"{name}.csv", index=False)
    cfg = {
        "name": "toy",
        "description": DESCRIPTION,
        "data": {"id": "id", "target": "target"},
        "task": "binary",
        "metric": "roc_auc",
        "cv": {"scheme": "stratified_kfold", "n_splits": 4},
        "seed": 7,
        "pipeline": "custom",
        "submission": {"id": "id", "target": "target", "kind": "probability"},
        "tracking": {"experiment": "toy"},
    }
    (comp / "competition.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.delenv("PODIUM_DATA_DIR", raising=False)  # the toy data is in its own folder
        mp.setenv("PODIUM_ROOT", str(root))
        args = ["run", "toy", "--set", "models.lgb.params.num_leaves=5", "--set", "seed=7"]
        mp.setattr(sys, "argv", [str(Path(sys.executable).parent / "podium"), *args])
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    preload()
    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlruns/mlflow.db")
    return result.output, client, root


def _runs(client: MlflowClient):
    exp = client.get_experiment_by_name("toy")
    runs = client.search_runs([exp.experiment_id])
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    children = {r.data.tags["podium.model_name"]: r for r in runs if r is not parent}
    return exp, parent, children


def test_metrics_are_named_after_the_competition_metric(recorded) -> None:
    _, client, _ = recorded
    _, parent, children = _runs(client)
    m = parent.data.metrics
    assert m["cv_roc_auc"] == m["cv_mean"] and m["cv_roc_auc_std"] == m["cv_std"]
    assert m["cv_roc_auc_nested"] == m["cv_roc_auc"]  # the blend's honest CV
    assert "cv_roc_auc_insample" in m and "cv_naive_in_sample" not in m
    assert {"cv_roc_auc.lgb", "cv_roc_auc.deep", "weight.lgb", "weight.deep"} <= set(m)
    assert "fold_score" not in m
    folds = client.get_metric_history(parent.info.run_id, "fold_roc_auc")
    assert sorted(f.step for f in folds) == [0, 1, 2, 3]
    for name, child in children.items():
        cm = child.data.metrics
        assert cm["cv_roc_auc"] == pytest.approx(m[f"cv_roc_auc.{name}"])
        assert "cv_roc_auc_std" in cm
        history = client.get_metric_history(child.info.run_id, "fold_roc_auc")
        assert sorted(f.step for f in history) == [0, 1, 2, 3]
    # The metric-named keys are the run's latest metrics (logged last).
    latest = max(client.get_metric_history(parent.info.run_id, k)[0].timestamp for k in m)
    named = client.get_metric_history(parent.info.run_id, "cv_roc_auc")[0].timestamp
    assert named == latest


def test_every_parameter_once_under_one_namespace(recorded) -> None:
    _, client, _ = recorded
    _, parent, children = _runs(client)
    params = parent.data.params
    assert params["pipeline.models.lgb.params.num_leaves"] == "5"
    for name, child in children.items():
        cp = child.data.params
        assert cp, name
        assert all(k.startswith(f"pipeline.models.{name}.") for k in cp), sorted(cp)
        assert all(params[k] == v for k, v in cp.items())  # the parent's key and value
    every = [k for r in (parent, *children.values()) for k in r.data.params]
    assert not [k for k in every if k.startswith(("model.", "models."))]


def test_command_line_and_overrides_are_tags(recorded) -> None:
    _, client, _ = recorded
    _, parent, _ = _runs(client)
    tags = parent.data.tags
    assert tags["podium.overrides"] == "models.lgb.params.num_leaves=5 seed=7"
    want = "podium run toy --set models.lgb.params.num_leaves=5 --set seed=7"
    assert tags["podium.command"] == want


def test_child_runs_are_named_after_their_parent_and_dated_when_they_trained(recorded):
    _, client, _ = recorded
    _, parent, children = _runs(client)
    pname = parent.info.run_name
    assert {c.info.run_name for c in children.values()} == {f"{pname}/lgb", f"{pname}/deep"}
    assert {c.data.tags["podium.parent_name"] for c in children.values()} == {pname}
    first, second = children["lgb"].info, children["deep"].info  # trained in this order
    assert parent.info.start_time <= first.start_time < first.end_time
    assert first.end_time <= second.start_time + 50  # one after the other, not overlapping
    assert second.end_time <= parent.info.end_time
    for child in children.values():
        took = (child.info.end_time - child.info.start_time) / 1000
        seconds = child.data.metrics["seconds"]
        assert 0.8 * seconds - 0.05 <= took <= seconds + 1.5, (took, seconds)


def test_experiment_description_comes_from_competition_yaml(recorded) -> None:
    _, client, _ = recorded
    exp, _, _ = _runs(client)
    assert exp.tags["mlflow.note.content"] == DESCRIPTION


def test_leaderboard_is_printed_and_logged(recorded, tmp_path) -> None:
    output, client, _ = recorded
    _, parent, _ = _runs(client)
    text = Path(
        client.download_artifacts(parent.info.run_id, "leaderboard.txt", str(tmp_path))
    ).read_text()
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["model", "CV", "roc_auc"] and "weight" in lines[0]
    assert any(re.match(r"\s*1\s+(lgb|deep)\s+0\.\d{5} ± 0\.\d{5}\s+\d+\.\ds\s+\d\.\d{3}$", x)
               for x in lines)  # fmt: skip
    assert any(line.startswith("=  ensemble (weights)") for line in lines)
    for line in lines:
        assert line in output  # the same table, printed
    csv = Path(
        client.download_artifacts(parent.info.run_id, "leaderboard.csv", str(tmp_path))
    ).read_text()
    assert csv.splitlines()[0] == "name,kind,cv_roc_auc,cv_std,seconds,weight"


def test_the_parents_importance_plot_is_the_best_models_and_says_so(recorded, tmp_path):
    """The parent logs the best model's own plot, whose title names the model (see
    tests/tracking/test_plots.py)."""
    _, client, _ = recorded
    _, parent, children = _runs(client)
    best = max(children, key=lambda n: children[n].data.metrics["cv_roc_auc"])

    def png(run) -> bytes:
        folder = tmp_path / run.info.run_id
        return Path(
            client.download_artifacts(run.info.run_id, "feature_importance.png", str(folder))
        ).read_bytes()

    assert png(parent) == png(children[best])
    assert png(parent) != png(children[next(n for n in children if n != best)])
