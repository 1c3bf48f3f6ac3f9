"""Kills and interrupts: what a command leaves behind when it is stopped at a chosen point.

Each test drives the real console script, stops it (SIGKILL, SIGTERM, or SIGINT to its
process group as Ctrl-C sends), and checks from outside: the processes it started, the
MLflow store (read directly), the Optuna study and the submissions folder.
"""

from __future__ import annotations

import copy
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from .conftest import PODIUM, TAG_VAR, new_tag, run_states, tagged, wait_for

pytestmark = pytest.mark.faults

GONE_WITHIN = 20.0  # seconds for everything a stopped command started to be gone

STAGES = [
    {"name": "numeric", "use": "to_numeric"},
    {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
]
SLOW_LGB = {  # ~1 s a fold on the test data: long enough to be stopped during the folds
    "n_estimators": 1500, "learning_rate": 0.02, "num_leaves": 15, "min_child_samples": 5,
    "verbosity": -1,
}  # fmt: skip
FOLD_WORKERS = {  # folds in 2 loky worker processes
    "stages": STAGES,
    "models": {"lgb": {"use": "lightgbm", "params": SLOW_LGB}},
    "n_workers": 2,
}
TUNED = {  # trials of ~1-2 s, no pruning needed
    "stages": STAGES,
    "models": {"lgb": {"use": "lightgbm", "params": dict(SLOW_LGB, n_estimators=600)}},
    "search_space": {"models.lgb.params.num_leaves": {"int": [3, 31], "log": True}},
}


@pytest.fixture
def tag():
    """A tag for the processes of one test; whatever still carries it at the end is killed
    (so a failing test leaves nothing running either)."""
    value = new_tag()
    yield value
    for pid in tagged(value):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _env(root: Path, tag: str) -> dict[str, str]:
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{root}/mlruns/mlflow.db", TAG_VAR: tag,
            "PODIUM_ROOT": str(root)}  # fmt: skip


def _loky_workers(tag: str) -> int:
    return sum("loky" in cmd for cmd in tagged(tag).values())


def _stop(proc: subprocess.Popen[str], how: signal.Signals) -> tuple[int, str]:
    """Send ``how`` (SIGINT to the whole process group, as a terminal's Ctrl-C does);
    return the exit code and stderr."""
    if how == signal.SIGINT:
        os.killpg(proc.pid, how)
    else:
        os.kill(proc.pid, how)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def _check_stopped(code: int, err: str, how: signal.Signals) -> None:
    """SIGKILL: killed. SIGTERM / SIGINT: exit 143 / 130, the last line says so, no
    traceback."""
    if how == signal.SIGKILL:
        assert code == -signal.SIGKILL
        return
    assert code == {signal.SIGTERM: 143, signal.SIGINT: 130}[how], err
    assert "Traceback" not in err, err
    last = [ln for ln in err.splitlines() if ln.strip()][-1]
    assert ("terminated" if how == signal.SIGTERM else "interrupted") in last, err


def _nothing_left(tag: str, db: Path) -> None:
    """Within GONE_WITHIN seconds no process the command started is alive and none of its
    MLflow runs is RUNNING."""
    left = wait_for(lambda: not tagged(tag), GONE_WITHIN, poll=0.25)
    assert left, f"still alive after {GONE_WITHIN:g} s: {tagged(tag)}"
    running = wait_for(lambda: not [r for r in run_states(db) if r[1] == "RUNNING"], 5.0)
    assert running, run_states(db)


def _trials(storage: str) -> list[optuna.trial.FrozenTrial]:
    summaries = optuna.get_all_study_summaries(storage)
    assert len(summaries) == 1
    return optuna.load_study(study_name=summaries[0].study_name, storage=storage).trials


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_run_stopped_during_folds(make_competition, spawn, tmp_path, tag, how) -> None:
    """Promise: `podium run` stopped while its loky fold workers train (SIGKILL; SIGTERM
    is handled like Ctrl-C: exit 143, one line) leaves within 20 s no process it started,
    no RUNNING run and no submission. After the SIGKILL the next `podium run` works, and
    its submission appears only once its run is recorded: a SIGKILL the moment the file
    appears finds the run already FINISHED."""
    make_competition(pipeline=FOLD_WORKERS, config={"pipeline": "custom"}, n_train=1200)
    env = _env(tmp_path, tag)
    proc = spawn("run", "toy", env=env)
    assert wait_for(lambda: _loky_workers(tag) >= 2 or proc.poll() is not None, 120)
    assert proc.poll() is None, proc.communicate()[1]
    code, err = _stop(proc, how)
    _check_stopped(code, err, how)
    db = tmp_path / "mlruns" / "mlflow.db"
    _nothing_left(tag, db)
    subs = tmp_path / "competitions" / "toy" / "submissions"
    assert not subs.exists() or not [p for p in subs.iterdir() if p.suffix == ".csv"]
    if how != signal.SIGKILL:
        return
    target = tmp_path / "sub.csv"
    proc = spawn("run", "toy", "-o", str(target), "--set", "n_workers=1",
                 "--set", "models.lgb.params.n_estimators=60", env=env)  # fmt: skip
    assert wait_for(lambda: target.exists() or proc.poll() is not None, 180, poll=0.002)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert target.exists(), err
    assert [st for _, st in run_states(db)] == ["FINISHED"] * len(run_states(db))
    assert len(run_states(db)) == 2  # the run and its model's nested run
    _nothing_left(tag, db)


def test_staged_file_appears_only_on_success(tmp_path) -> None:
    """Promise: a staged submission is renamed onto its path only when the block ends
    normally; a failure leaves neither the target nor a temporary file."""
    from podium.outputs import staged

    target = tmp_path / "out" / "sub.csv"
    with pytest.raises(RuntimeError), staged(target) as draft:
        draft.write_text("a,b\n")
        assert draft.name == "sub.csv" and draft.parent.parent == target.parent
        raise RuntimeError("logging failed")
    assert list(target.parent.iterdir()) == []
    with staged(target) as draft:
        draft.write_text("a,b\n")
        assert not target.exists()
    assert target.read_text() == "a,b\n" and list(target.parent.iterdir()) == [target]


def _tune_project(make_competition, tmp_path: Path) -> str:
    make_competition(pipeline=TUNED, config={"pipeline": "custom"}, n_train=600)
    return f"sqlite:///{tmp_path / 'competitions' / 'toy' / 'optuna.db'}"


def _n_trials(storage: str) -> int:
    try:
        return len(_trials(storage))
    except Exception:  # no study yet
        return 0


def _running_trial(storage: str, since: int = 0) -> bool:
    """A trial numbered ``since`` or later is RUNNING (not a stale one of a killed
    session)."""
    try:
        trials = _trials(storage)
    except Exception:  # no study yet, or the database is being created
        return False
    return any(t.number >= since and t.state == TrialState.RUNNING for t in trials)


def _check_resumed(storage: str, n: int) -> None:
    """Exactly ``n`` counted trials, numbered without gaps or duplicates, none RUNNING."""
    trials = _trials(storage)
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(len(trials)))
    counted = [t for t in trials if not t.user_attrs.get("surplus")]
    done = [t for t in counted if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(done) == n, [(t.number, t.state.name) for t in trials]
    assert not [t for t in trials if t.state == TrialState.RUNNING]


def _tune_stopped(spawn, storage: str, args: tuple[str, ...], env: dict[str, str],
                  how: signal.Signals, db: Path, tag: str) -> None:
    """Start ``podium ARGS``, stop it with ``how`` during a trial, check what is left."""
    since = _n_trials(storage)
    proc = spawn(*args, env=env)
    assert wait_for(lambda: _running_trial(storage, since) or proc.poll() is not None, 180)
    assert proc.poll() is None, proc.communicate()[1]
    code, err = _stop(proc, how)
    _check_stopped(code, err, how)
    _nothing_left(tag, db)
    if how != signal.SIGKILL:
        assert not [t for t in _trials(storage) if t.state == TrialState.RUNNING]


def test_tune_stopped_during_a_trial(make_competition, spawn, podium_cli, tmp_path,
                                     tag) -> None:
    """Promise: `podium tune` stopped during a trial (SIGTERM: exit 143, no trial left
    RUNNING; SIGKILL) leaves within 20 s no process and no RUNNING MLflow run (its session
    run ends KILLED). If its tracking child dies (as under the OOM killer) it exits 2 in
    one line and its runs end FAILED. The same command again resumes to exactly the asked
    trials, with no trial lost or duplicated."""
    storage = _tune_project(make_competition, tmp_path)
    env = _env(tmp_path, tag)
    db = tmp_path / "mlruns" / "mlflow.db"
    args = ("tune", "toy", "--trials", "4", "--heartbeat", "1", "--pruner", "none")
    for how in (signal.SIGTERM, signal.SIGKILL):
        _tune_stopped(spawn, storage, args, env, how, db, tag)
        sessions = [st for n, st in run_states(db) if n.startswith("tune-")]
        assert sessions[-1:] == ["KILLED"], run_states(db)

    since = _n_trials(storage)
    proc = spawn(*args, env=env)
    assert wait_for(lambda: _running_trial(storage, since) or proc.poll() is not None, 180)

    def child() -> int | None:
        return next((p for p, cmd in tagged(tag).items() if "tracking._child" in cmd), None)

    pid = wait_for(child, 10)
    assert pid is not None and proc.poll() is None, tagged(tag)
    os.kill(pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 2, err
    assert "tracking process died" in err.strip().splitlines()[-1], err
    _nothing_left(tag, db)
    assert "FAILED" in {st for n, st in run_states(db) if n.startswith("tune-")}

    again = podium_cli(*args, env=env)
    assert again.returncode == 0, again.stderr
    _check_resumed(storage, 4)
    assert not [r for r in run_states(db) if r[1] == "RUNNING"]


def test_tune_with_two_workers_stopped(make_competition, spawn, podium_cli, tmp_path,
                                       tag) -> None:
    """Promise: `podium tune --workers 2` stopped mid-study (Ctrl-C: exit 130 and no
    trial left RUNNING; SIGKILL) leaves within 20 s no worker alive and no RUNNING MLflow
    run; the next `podium tune` resumes to exactly the asked trials."""
    storage = _tune_project(make_competition, tmp_path)
    env = _env(tmp_path, tag)
    db = tmp_path / "mlruns" / "mlflow.db"
    args = ("tune", "toy", "--trials", "4", "--workers", "2", "--heartbeat", "1",
            "--pruner", "none")  # fmt: skip
    for how in (signal.SIGINT, signal.SIGKILL):
        _tune_stopped(spawn, storage, args, env, how, db, tag)
    again = podium_cli(*args[:4], *args[6:], env=env)  # resumed by one process
    assert again.returncode == 0, again.stderr
    _check_resumed(storage, 4)
    assert not [r for r in run_states(db) if r[1] == "RUNNING"]


def test_two_tunes_with_two_workers_on_a_fresh_study(make_competition, tmp_path,
                                                     tag) -> None:
    """Promise: two `podium tune --workers 2` started together on a new optuna.db both
    succeed; the study holds exactly the asked trials, none duplicated or RUNNING."""
    pipe = copy.deepcopy(TUNED)
    pipe["models"]["lgb"]["params"]["n_estimators"] = 60
    make_competition(pipeline=pipe, config={"pipeline": "custom"})
    storage = f"sqlite:///{tmp_path / 'competitions' / 'toy' / 'optuna.db'}"
    env = {**os.environ, **_env(tmp_path, tag)}
    cmd = [*PODIUM, "tune", "toy", "--trials", "4", "--workers", "2"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    _check_resumed(storage, 4)
    states = run_states(tmp_path / "mlruns" / "mlflow.db")
    assert len([n for n, _ in states if n.startswith("tune-")]) == 2
    assert all(st == "FINISHED" for _, st in states), states


def _blend_running(db: Path) -> bool:
    try:
        with sqlite3.connect(db, timeout=0.5) as con:
            rows = list(con.execute("SELECT status FROM runs WHERE name LIKE 'blend-%'"))
    except sqlite3.Error:
        return False
    return ("RUNNING",) in rows


def test_blend_terminated_while_logging(make_competition, spawn, podium_cli, tmp_path,
                                        tag) -> None:
    """Promise: `podium blend` sent SIGTERM while its run is open exits 143 in one line
    and leaves no RUNNING run, no process and no submission at --output (nor a draft);
    the next blend works."""
    make_competition()
    env = _env(tmp_path, tag)
    for leaves in ("5", "9"):  # two runs on the same folds
        done = podium_cli("run", "toy", "--set", f"models.lgb.params.num_leaves={leaves}",
                          env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr
    db = tmp_path / "mlruns" / "mlflow.db"
    target = tmp_path / "blend.csv"
    for _attempt in range(4):  # the run is open for a few tenths of a second
        proc = spawn("blend", "toy", "--runs", "top:2", "-o", str(target), env=env)
        wait_for(lambda p=proc: _blend_running(db) or p.poll() is not None, 120, 0.002)
        if proc.poll() is None:
            break
        assert proc.communicate()[1] == "" and proc.returncode == 0
        target.unlink()
    else:
        pytest.fail("never caught the blend with its run open")
    code, err = _stop(proc, signal.SIGTERM)
    _check_stopped(code, err, signal.SIGTERM)
    _nothing_left(tag, db)
    assert "KILLED" in {st for n, st in run_states(db) if n.startswith("blend-")}
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".blend.csv")]
    done = podium_cli("blend", "toy", "--runs", "top:2", "-o", str(target), env=env)
    assert done.returncode == 0 and target.exists(), done.stderr


def test_audit_killed_during_folds(make_competition, spawn, tmp_path, tag) -> None:
    """Promise: `podium audit` killed while its loky fold workers train leaves within
    20 s no process it started and no RUNNING run."""
    make_competition(pipeline=FOLD_WORKERS, config={"pipeline": "custom"}, n_train=1200)
    proc = spawn("audit", "toy", env=_env(tmp_path, tag))
    assert wait_for(lambda: _loky_workers(tag) >= 2 or proc.poll() is not None, 120)
    assert proc.poll() is None, proc.communicate()[1]
    code, err = _stop(proc, signal.SIGKILL)
    _check_stopped(code, err, signal.SIGKILL)
    _nothing_left(tag, tmp_path / "mlruns" / "mlflow.db")
