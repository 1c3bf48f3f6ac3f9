"""A pruned trial's MLflow run says so: its name ends in ``-pruned`` and it carries a
partial mean, not a CV figure that could be mistaken for a full one."""

from __future__ import annotations

import functools

from podium.config import RunRequest
from podium.tracking.mlflow_tracker import MlflowTracker
from podium.tuning import tune


def test_pruned_trials_are_named_pruned_and_have_no_cv(project, pipeline_with, tmp_path):
    space = {  # min_child_samples=500 > rows: a constant model, AUC 0.5 from fold 1 on
        "models.lgb.params.min_child_samples": {"categorical": [5, 500]},
        "models.lgb.params.num_leaves": {"int": [3, 15]},
    }
    root = project(pipeline_with(space))
    uri = f"sqlite:///{tmp_path}/trials.db"
    tracker = functools.partial(MlflowTracker, uri=uri, experiment="toy")
    res = tune(RunRequest("toy", root=root), n_trials=14, tracker=tracker, pruner="median")
    assert res.counts.pruned >= 1
    client = tracker()._client
    runs = client.search_runs([client.get_experiment_by_name("toy").experiment_id])
    trials = [r for r in runs if "podium.trial" in r.data.tags]
    pruned = [r for r in trials if r.data.tags["podium.trial_state"] == "pruned"]
    assert len(pruned) == res.counts.pruned
    for r in pruned:
        assert r.info.run_name == f"trial-{r.data.tags['podium.trial']}-pruned"
        assert "cv_roc_auc_partial" in r.data.metrics
        assert "cv_mean" not in r.data.metrics and "cv_roc_auc" not in r.data.metrics
        steps = client.get_metric_history(r.info.run_id, "fold_roc_auc")
        assert 1 <= len(steps) < 4  # the folds it ran
    done = [r for r in trials if r.data.tags["podium.trial_state"] == "complete"]
    assert done and all(r.info.run_name == f"trial-{r.data.tags['podium.trial']}" for r in done)
    assert all(r.data.metrics["cv_roc_auc"] == r.data.metrics["cv_mean"] for r in done)
    assert all("pipeline.models.lgb.params.num_leaves" in r.data.params for r in done)
