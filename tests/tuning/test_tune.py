"""Tuning sessions in this process: trials reach n, resume, prune, refuse other folds."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from podium.config import RunRequest, load_config
from podium.tuning import TuningError, default_storage, load_study, open_storage, tune


def _study(root, result):
    cfg = load_config("toy", root=root)
    return load_study(open_storage(default_storage(cfg.competition_dir)), result.study)


def test_tune_reaches_n_trials_and_the_same_call_resumes(project, null_tracker):
    root = project()
    first = tune(RunRequest("toy", root=root), n_trials=3, tracker=null_tracker)
    assert first.ran == 3 and first.counts.done == 3
    again = tune(RunRequest("toy", root=root), n_trials=5, tracker=null_tracker)
    assert again.study == first.study
    assert again.ran == 2 and again.counts.done == 5
    done = tune(RunRequest("toy", root=root), n_trials=5, tracker=null_tracker)
    assert done.ran == 0
    study = _study(root, done)
    assert sorted(t.number for t in study.trials) == list(range(5))
    attrs = study.user_attrs
    assert attrs["fold_fingerprint"] == first.setup.plan.folds.fingerprint
    assert attrs["model"] == "lgb" and attrs["metric"] == "roc_auc"
    assert first.study == f"toy/custom/lgb/folds-{attrs['fold_fingerprint']}"
    assert study.direction.name == "MAXIMIZE"
    trial = study.best_trial
    assert len(trial.intermediate_values) == 4  # one report per fold (4 folds)
    scores = trial.user_attrs["fold_scores"]
    running = [sum(scores[:k]) / k for k in range(1, 5)]
    assert list(trial.intermediate_values.values()) == pytest.approx(running)
    assert trial.value == pytest.approx(running[-1])
    assert study.user_attrs["best"]["trial"] == trial.number


def test_trial_score_equals_podium_run_cv_of_the_same_params(project, null_tracker):
    from podium.runner import run_competition

    root = project()
    res = tune(RunRequest("toy", root=root), n_trials=2, tracker=null_tracker)
    trial = _study(root, res).trials[0]
    sets = [f"{k}={v}" for k, v in trial.user_attrs["overrides"].items()]
    out = run_competition(RunRequest("toy", root=root, overrides=sets), tracker=null_tracker())
    assert out.result.cv_mean == pytest.approx(trial.value, abs=1e-12)


def test_pruned_trials_occur_when_some_settings_are_hopeless(project, null_tracker, pipeline_with):
    space = {  # min_child_samples=500 > rows: a constant model, AUC 0.5 from fold 1 on
        "models.lgb.params.min_child_samples": {"categorical": [5, 500]},
        "models.lgb.params.num_leaves": {"int": [3, 15]},
    }
    root = project(pipeline_with(space))
    res = tune(RunRequest("toy", root=root), n_trials=14, tracker=null_tracker, pruner="median")
    assert res.counts.pruned >= 1
    assert res.counts.done == 14
    study = _study(root, res)
    for t in study.get_trials(states=(TrialState.PRUNED,)):
        assert len(t.user_attrs["fold_scores"]) < 4  # stopped before the last fold


def test_hyperband_pruner_is_selectable(project, null_tracker):
    request = RunRequest("toy", root=project())
    res = tune(request, n_trials=3, tracker=null_tracker, pruner="hyperband")
    assert res.counts.done == 3


def test_default_space_is_used_when_the_model_has_no_entries(project, null_tracker, pipeline_with):
    root = project(pipeline_with({"stages.cats.params.min_frequency": {"int": [1, 3]}}))
    res = tune(RunRequest("toy", root=root), n_trials=2, tracker=null_tracker)
    space = res.setup.space
    assert "default space of lightgbm" in space.origin
    assert "stages.cats.params.min_frequency" in space.paths
    assert "models.lgb.params.reg_lambda" in space.paths
    params = _study(root, res).trials[0].user_attrs["overrides"]
    assert params["models.lgb.params.subsample_freq"] == 1  # pinned by the default space


def test_second_model_is_tuned_with_model_option(project, null_tracker, pipeline_with):
    lr = {"use": "logistic_regression", "stages": [
        {"name": "impute", "use": "impute"},
        {"name": "onehot", "use": "categorical", "params": {"encoding": "onehot"}},
    ]}  # fmt: skip
    root = project(pipeline_with(None, lr=lr))
    res = tune(RunRequest("toy", root=root), n_trials=2, model="lr", tracker=null_tracker)
    assert res.study.startswith("toy/custom/lr/")
    assert all(p.startswith("models.lr.params.") for p in res.setup.space.paths)
    assert res.best is not None and res.best.final == {}  # nothing to stop early


def test_a_study_scored_on_other_folds_is_refused(project, null_tracker):
    root = project()
    tune(RunRequest("toy", root=root), n_trials=1, study="mine", tracker=null_tracker)
    with pytest.raises(TuningError, match=r"study 'mine' .* was scored on folds \w+, but"):
        tune(RunRequest("toy", root=root, seed=8), n_trials=2, study="mine", tracker=null_tracker)


def test_best_params_and_iterations_are_reused_by_run(project, null_tracker):
    from podium.runner import run_competition

    root = project()
    res = tune(RunRequest("toy", root=root), n_trials=3, tracker=null_tracker)
    best = res.best
    assert best is not None
    iters = best.final["models.lgb.params.n_estimators"]
    assert best.final["models.lgb.early_stopping"] is None
    out = run_competition(
        RunRequest("toy", root=root, overrides=["models.lgb.params.min_child_samples=7"]),
        params="best",
        tracker=null_tracker(),
    )
    spec = out.plan.cfg.pipeline.models["lgb"]
    for path, value in best.params.items():
        if path != "models.lgb.params.min_child_samples":
            assert spec.params[path.rsplit(".", 1)[1]] == value
    assert spec.params["n_estimators"] == iters
    assert spec.early_stopping is None
    assert spec.params["min_child_samples"] == 7  # the user's --set still wins
    assert {f.best_iteration for f in out.result.results["lgb"].folds} == {iters}


def test_timeout_stops_starting_trials(project, null_tracker):
    res = tune(RunRequest("toy", root=project()), n_trials=50, timeout=0.01, tracker=null_tracker)
    assert res.ran <= 1


def test_a_trial_that_fails_three_times_in_a_row_stops_the_session(
    project, null_tracker, pipeline_with
):
    space = {"models.lgb.params.num_leaves": {"int": [-9, -3]}}  # LightGBM rejects these
    root = project(pipeline_with(space))
    with pytest.raises(TuningError, match=r"3 trials in a row failed; last \(#2\): "):
        tune(RunRequest("toy", root=root), n_trials=5, tracker=null_tracker)
    study = optuna.load_study(
        study_name=f"toy/custom/lgb/folds-{_fp(root)}",
        storage=default_storage(root / "competitions" / "toy"),
    )
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 3


def _fp(root):
    from podium.runner import plan_run

    return plan_run(RunRequest("toy", root=root)).folds.fingerprint


def test_trials_score_every_repeat_of_a_repeated_cv(project, null_tracker):
    """cv.repeats: a trial is scored on all repeats' folds (the run's CV of the same
    params), reports once per fold of every repeat, and the study is keyed by the
    fingerprint of all repeats, so a one-repeat study is not reused."""
    from podium.runner import run_competition

    root = project()
    one = tune(RunRequest("toy", root=root), n_trials=1, tracker=null_tracker)
    request = RunRequest("toy", root=root, overrides=["cv.repeats=2"])
    res = tune(request, n_trials=2, tracker=null_tracker)
    plan = res.setup.plan
    assert len(plan.repeats) == 2 and res.study != one.study
    assert res.study.endswith(plan.fold_fingerprint)
    trial = _study(root, res).trials[0]
    assert len(trial.intermediate_values) == 8  # 4 folds x 2 repeats
    assert len(trial.user_attrs["fold_scores"]) == 8
    sets = [f"{k}={v}" for k, v in trial.user_attrs["overrides"].items()]
    out = run_competition(
        RunRequest("toy", root=root, overrides=["cv.repeats=2", *sets]), tracker=null_tracker()
    )
    assert out.result.cv_mean == pytest.approx(trial.value, abs=1e-12)
