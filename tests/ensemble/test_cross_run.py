"""`podium blend` across runs: same folds only; the blend links its members."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401
)

runner = CliRunner()


def _run_id(output: str) -> str:
    return re.search(r"\(([0-9a-f]{32})\)", output).group(1)


@pytest.fixture
def two_runs(make_competition, monkeypatch):
    comp = make_competition()
    monkeypatch.chdir(comp.parent.parent)
    ids = []
    for leaves in (3, 15):
        res = runner.invoke(app, ["run", "toy", "--set", f"models.lgb.params.num_leaves={leaves}"])
        assert res.exit_code == 0, res.output
        ids.append(_run_id(res.output))
    return comp, ids


def test_blend_two_runs_writes_submission_and_links_members(two_runs) -> None:
    comp, ids = two_runs
    res = runner.invoke(app, ["blend", "toy", "--runs", ",".join(ids), "--method", "weights"])
    assert res.exit_code == 0, res.output
    assert "nested; in-sample" in res.output
    sub = next(iter((comp / "submissions").glob("blend-weights-*.csv")))
    sample = pd.read_csv(comp / "data" / "sample_submission.csv")
    assert pd.read_csv(sub)["id"].tolist() == sample["id"].tolist()
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{comp.parent.parent}/mlruns/mlflow.db")
    blend_run = client.get_run(_run_id(res.output.splitlines()[-2]))
    assert blend_run.data.tags["podium.members"] == ",".join(ids)
    metrics = blend_run.data.metrics
    assert {"cv_roc_auc_insample", "cv_roc_auc_nested", "cv_roc_auc", "cv_mean"} <= set(metrics)
    assert metrics["cv_roc_auc"] == metrics["cv_roc_auc_nested"] == metrics["cv_mean"]


def test_blend_top_n_and_stack(two_runs) -> None:
    res = runner.invoke(app, ["blend", "toy", "--runs", "top:2", "--method", "stack"])
    assert res.exit_code == 0, res.output


def test_blend_refuses_runs_on_other_folds(two_runs) -> None:
    comp, ids = two_runs
    other = runner.invoke(app, ["run", "toy", "--seed", "99"])
    assert other.exit_code == 0, other.output
    other_id = _run_id(other.output)
    res = runner.invoke(app, ["blend", "toy", "--runs", f"{ids[0]},{other_id}"])
    assert res.exit_code == 2
    assert f"run {other_id}" in res.output and "other folds" in res.output


def test_blend_needs_two_runs_and_known_method(two_runs) -> None:
    comp, ids = two_runs
    res = runner.invoke(app, ["blend", "toy", "--runs", ids[0]])
    assert res.exit_code == 2 and "at least 2 runs" in res.output
    res = runner.invoke(app, ["blend", "toy", "--runs", "top:2", "--method", "hil"])
    assert res.exit_code == 2 and "did you mean 'hill'" in res.output


def test_blend_of_repeated_runs_nests_on_every_repeat(make_competition, monkeypatch) -> None:
    """Runs with cv.repeats log each repeat's folds with their OOF: a blend of them is
    nested on every repeat; a stack (averaged OOF) is refused."""
    from mlflow import MlflowClient

    from podium.tracking.mlflow_tracker import preload

    preload()

    comp = make_competition()
    monkeypatch.chdir(comp.parent.parent)
    ids = []
    for leaves in (3, 15):
        args = [
            "run",
            "toy",
            "--set",
            "cv.repeats=2",
            "--set",
            f"models.lgb.params.num_leaves={leaves}",
        ]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        ids.append(_run_id(res.output))
    res = runner.invoke(app, ["blend", "toy", "--runs", ",".join(ids), "--method", "weights"])
    assert res.exit_code == 0, res.output
    client = MlflowClient(tracking_uri=f"sqlite:///{comp.parent.parent}/mlruns/mlflow.db")
    blend_id = _run_id(res.output.splitlines()[-2])
    history = client.get_metric_history(blend_id, "fold_roc_auc")
    assert sorted(m.step for m in history) == list(range(8))  # 4 folds x 2 repeats
    res = runner.invoke(app, ["blend", "toy", "--runs", ",".join(ids), "--method", "stack"])
    assert res.exit_code == 2 and "cv.repeats: 2" in res.output, res.output


def test_blend_refuses_a_sampled_run_in_one_line(two_runs) -> None:
    comp, ids = two_runs
    sampled = runner.invoke(app, ["run", "toy", "--sample", "0.5"])
    assert sampled.exit_code == 0, sampled.output
    assert "data.sample:" in sampled.output  # the notice: rows kept, seed, stratified
    sampled_id = _run_id(sampled.output)
    res = runner.invoke(app, ["blend", "toy", "--runs", f"{ids[0]},{sampled_id}"])
    assert res.exit_code == 2
    error = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(error) == 1 and f"run {sampled_id}" in error[0]
    assert "data.sample 0.5" in error[0] and "all rows" in error[0]
