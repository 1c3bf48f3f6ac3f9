"""Every trial in MLflow: a parent run per session, a nested run per trial, artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from podium.cli import app
from podium.cli import commands as _commands  # noqa: F401  (registers the commands)
from podium.config import RunRequest
from podium.tuning import tune


def _client():
    import os

    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=os.environ["MLFLOW_TRACKING_URI"])


def _runs(client, experiment: str):
    exp = client.get_experiment_by_name(experiment)
    return client.search_runs([exp.experiment_id], max_results=1000)


def _artifact(client, run_id: str, name: str, root) -> str:
    return Path(client.download_artifacts(run_id, name, str(root))).read_text()


def _check_session(client, parent_id: str, n_trials: int, study: str) -> list:
    parent = client.get_run(parent_id)
    tags = parent.data.tags
    assert tags["podium.competition"] == "toy" and tags["podium.pipeline"] == "custom"
    assert tags["podium.study"] == study
    assert tags["podium.storage"].startswith("sqlite:///")
    assert len(tags["podium.fold_fingerprint"]) == 16
    names = {a.path for a in client.list_artifacts(parent_id)}
    assert {"best_params.yaml", "search_space.yaml", "optimization_history.png"} <= names
    assert "parallel_coordinate.png" in names and "param_importances.png" in names
    children = [
        r for r in _runs(client, "toy") if r.data.tags.get("mlflow.parentRunId") == parent_id
    ]
    assert len(children) == n_trials
    for child in children:
        state = child.data.tags["podium.trial_state"]
        assert state in ("complete", "pruned")
        assert "pipeline.models.lgb.params.num_leaves" in child.data.params
        assert "fold_roc_auc" in child.data.metrics
        if state == "pruned":  # named so, and no full CV figure
            assert child.info.run_name.endswith("-pruned"), child.info.run_name
            assert "cv_roc_auc_partial" in child.data.metrics
            assert "cv_mean" not in child.data.metrics
        else:
            assert "cv_mean" in child.data.metrics and "cv_roc_auc" in child.data.metrics
    return children


@pytest.mark.slow
def test_session_and_trials_are_logged_and_run_reuses_the_best(project, monkeypatch):
    root = project()
    res = tune(RunRequest("toy", root=root), n_trials=3)
    client = _client()
    children = _check_session(client, res.run_id, 3, res.study)
    assert {c.data.tags["podium.trial"] for c in children} == {"0", "1", "2"}
    best = yaml.safe_load(_artifact(client, res.run_id, "best_params.yaml", root))
    assert best["trial"] == res.best.trial

    monkeypatch.setenv("PODIUM_ROOT", str(root))
    out = CliRunner().invoke(app, ["run", "toy", "--params", "best"])
    assert out.exit_code == 0, out.output
    run = next(
        r
        for r in _runs(client, "toy")
        if r.data.tags.get("podium.params") == "best" and "mlflow.parentRunId" not in r.data.tags
    )
    assert run.data.tags["podium.tuning_studies"] == res.study
    assert run.data.tags["podium.tuning_trials"].startswith(f"lgb#{res.best.trial}=")
    resolved = yaml.safe_load(_artifact(client, run.info.run_id, "config.resolved.yaml", root))
    lgb = resolved["pipeline"]["models"]["lgb"]
    for path, value in res.best.params.items():
        assert lgb["params"][path.rsplit(".", 1)[1]] == pytest.approx(value)
    assert lgb["params"]["n_estimators"] == res.best.final["models.lgb.params.n_estimators"]
    assert lgb["early_stopping"] is None


@pytest.mark.slow
def test_workers_in_other_processes_log_trials_under_the_session_run(project):
    root = project()
    res = tune(RunRequest("toy", root=root), n_trials=4, workers=2)
    children = _check_session(_client(), res.run_id, 4, res.study)
    assert {c.data.tags["podium.worker"] for c in children} <= {"0", "1"}  # spawned workers
