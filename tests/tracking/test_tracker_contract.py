"""The Tracker contract, run against every tracker podium ships (Optuna's storage-mode
pattern): what one tracker promises, each does, read back through the tracker itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from podium.tracking import ProcessTracker, Tracker, default_tracking_uri
from podium.tracking.mlflow_tracker import MlflowTracker

KINDS = ("in-process", "child-process")


@pytest.fixture(params=KINDS)
def tracker(request, tmp_path: Path) -> Iterator[Tracker]:
    uri = default_tracking_uri(tmp_path)
    if request.param == "in-process":
        yield MlflowTracker(uri=uri, experiment="contract")
    else:
        with ProcessTracker(uri=uri, experiment="contract") as t:
            yield t


def test_is_a_tracker(tracker: Tracker) -> None:
    assert isinstance(tracker, Tracker)


def test_a_run_is_listed_with_its_cv_and_its_frames_read_back(tracker: Tracker) -> None:
    oof = pd.DataFrame({"oof": np.linspace(0, 1, 50), "fold": np.arange(50) % 5})
    with tracker.run("parent", tags={"podium.metric": "roc_auc"}) as run_id:
        tracker.log_params({"model": {"lr": 0.1}})
        tracker.log_metrics({"cv_roc_auc": 0.75, "cv_roc_auc_std": 0.01})
        tracker.log_metrics({"fold_roc_auc": 0.7}, step=0)
        tracker.log_frame(oof, "oof")
        tracker.log_text("a: 1\n", "config.resolved.yaml")
        with tracker.run("child", nested=True) as child:
            tracker.set_tags({"podium.model": "lgb"})
    assert run_id and child and child != run_id
    runs = tracker.list_runs()
    assert [r.run_id for r in runs] == [run_id]  # parents only
    (summary,) = runs
    assert summary.name == "parent" and summary.status == "FINISHED"
    assert summary.metric == "roc_auc" and summary.cv_mean == pytest.approx(0.75)
    pd.testing.assert_frame_equal(tracker.load_frame(run_id, "oof"), oof)
    both = {r.run_id: r for r in tracker.list_runs(parent_only=False)}
    assert set(both) == {run_id, child}
    assert both[child].tags["mlflow.parentRunId"] == run_id
    assert both[child].tags["podium.model"] == "lgb"


def test_a_failing_body_ends_the_run_failed_and_the_tracker_goes_on(tracker: Tracker) -> None:
    with pytest.raises(ValueError, match="boom"), tracker.run("bad") as bad:
        raise ValueError("boom")
    with tracker.run("good") as good:
        tracker.log_metrics({"m": 1.0})
    status = {r.run_id: r.status for r in tracker.list_runs()}
    assert status == {bad: "FAILED", good: "FINISHED"}


def test_an_interrupt_ends_the_run_killed(tracker: Tracker) -> None:
    with pytest.raises(KeyboardInterrupt), tracker.run("stopped") as run_id:
        raise KeyboardInterrupt
    assert {r.run_id: r.status for r in tracker.list_runs()} == {run_id: "KILLED"}


def test_batch_runs_write_their_values_when_they_end(tracker: Tracker) -> None:
    with tracker.run("batched", batch=True, tags={"podium.metric": "rmse"}) as run_id:
        tracker.log_params({f"p{i}": i for i in range(250)})  # more than one request
        tracker.log_metrics({"cv_rmse": 1.5})
    (summary,) = tracker.list_runs()
    assert summary.run_id == run_id and summary.cv_mean == pytest.approx(1.5)
