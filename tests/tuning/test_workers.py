"""Several workers on one study: SQLite (spawned processes), PostgreSQL, and SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from podium.config import RunRequest
from podium.stores import redact
from podium.tuning import default_storage, tune

POSTGRES_URL = os.environ.get("PODIUM_TEST_POSTGRES_URL")


def _check_study(storage, name: str, n_trials: int) -> list:
    study = optuna.load_study(study_name=name, storage=storage)
    trials = study.get_trials(deepcopy=False)
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(len(trials)))  # unique and contiguous
    extra = [t for t in trials if t.user_attrs.get("surplus")]
    done = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len([t for t in done if t not in extra]) == n_trials
    assert all(t.state == TrialState.PRUNED for t in extra)  # not needed, not failed
    assert not [t for t in trials if t.state == TrialState.FAIL]
    return trials


@pytest.mark.slow
def test_two_workers_on_sqlite_share_one_study(project, null_tracker):
    root = project()
    res = tune(RunRequest("toy", root=root), n_trials=10, workers=2, tracker=null_tracker)
    assert res.counts.done == 10
    trials = _check_study(default_storage(root / "competitions" / "toy"), res.study, 10)
    assert {t.user_attrs.get("worker") for t in trials} <= {0, 1}  # (one may start late)


@pytest.mark.slow
@pytest.mark.skipif(
    POSTGRES_URL is None,
    reason="PODIUM_TEST_POSTGRES_URL is not set (start one with .ci/postgres.sh)",
)
def test_two_workers_on_postgresql_share_one_study(project, null_tracker):
    root = project()
    name = f"test-{uuid.uuid4().hex[:12]}"
    res = tune(
        RunRequest("toy", root=root), n_trials=10, workers=2, storage=POSTGRES_URL, study=name,
        tracker=null_tracker,
    )  # fmt: skip
    assert res.counts.done == 10
    assert res.storage == redact(POSTGRES_URL)
    trials = _check_study(POSTGRES_URL, name, 10)
    assert {t.user_attrs.get("worker") for t in trials} <= {0, 1}  # (one may start late)
    optuna.delete_study(study_name=name, storage=POSTGRES_URL)


def _podium(root: Path, *args: str) -> list[str]:
    code = "import sys; from podium.cli import main; sys.argv[0] = 'podium'; main()"
    return [sys.executable, "-c", code, *args]


@pytest.mark.slow
def test_sigkill_loses_only_the_trial_in_flight_and_a_rerun_finishes(project, pipeline_with):
    # Trials of ~1 s (many trees, no early stopping, no pruning): with the fast test
    # pipeline a whole study can finish between two polls and no trial is seen running.
    slow = pipeline_with()
    slow["models"]["lgb"]["params"]["n_estimators"] = 1500
    del slow["models"]["lgb"]["early_stopping"]
    root = project(slow)
    storage = default_storage(root / "competitions" / "toy")
    env = {**os.environ, "PODIUM_ROOT": str(root)}
    cmd = _podium(
        root, "tune", "toy", "--trials", "6", "--heartbeat", "1", "--study", "k",
        "--pruner", "none",
    )  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    running = None
    deadline = time.time() + 120
    while running is None and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            study = optuna.load_study(study_name="k", storage=storage)
        except KeyError:
            continue
        trials = study.get_trials(deepcopy=False)
        if len(trials) >= 2 and trials[-1].state == TrialState.RUNNING:
            running = trials[-1].number
    assert running is not None, proc.stderr.read().decode() if proc.poll() is not None else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    study = optuna.load_study(study_name="k", storage=storage)
    assert study.trials[running].state == TrialState.RUNNING  # nobody has noticed yet
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    trials = optuna.load_study(study_name="k", storage=storage).trials
    assert trials[running].state == TrialState.FAIL  # the stale trial, failed by the rerun
    assert sum(t.state == TrialState.FAIL for t in trials) == 1
    assert sorted(t.number for t in trials) == list(range(7))
    assert sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials) == 6


def test_a_surplus_trial_is_pruned_at_once_and_names_its_worker(project, null_tracker):
    # Two workers may both start "the last" trial; the later one is pruned as surplus (not
    # a failure, and not counted). It still records which worker started it.
    from podium.tuning import count_states
    from podium.tuning.objective import Objective
    from podium.tuning.setup import TuneArgs, prepare_tuning

    root = project()
    setup = prepare_tuning(TuneArgs(RunRequest("toy", root=root)))
    objective = Objective(setup, null_tracker(), n_trials=1, worker=1)
    study = optuna.create_study(direction="maximize")
    study.add_trial(optuna.trial.create_trial(value=0.5))  # the study already has its trial
    trial = study.ask()
    with pytest.raises(optuna.TrialPruned, match="not needed"):
        objective(trial)
    study.tell(trial, state=TrialState.PRUNED)
    frozen = study.get_trials(deepcopy=False)[-1]
    assert frozen.user_attrs == {"worker": 1, "surplus": True}
    assert count_states(study).pruned == 0 and count_states(study).complete == 1
