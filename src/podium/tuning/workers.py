"""Running trials until the study has its ``n_trials``: in this process or in W processes.

Every worker, on this machine or another, runs the same loop against the shared storage:
fail stale trials (their worker died), count complete + pruned trials, and start another
trial only while complete + pruned + running ones fall short of ``n_trials``. So workers
started at different times, or a session re-run after a crash, stop together at exactly
``n_trials``; a worker that finds the remaining trials already running waits for them (if
one fails, it takes its place).

Workers die with the session (:func:`podium.lifeline.watch_parent`): killed or not, the
session's process leaves none behind. Ctrl-C or SIGTERM ends each worker's trial in flight
as FAIL (never RUNNING), and the session fails any trial its workers still left running.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from podium.exceptions import one_line
from podium.lifeline import handle_signals, signals_held, watch_parent
from podium.tracking.base import Tracker
from podium.tuning.objective import Objective, counted
from podium.tuning.setup import TuneArgs, prepare_tuning
from podium.tuning.study import (
    TuningError,
    fail_stale_trials,
    load_study,
    make_pruner,
    make_sampler,
    open_storage,
)

if TYPE_CHECKING:
    import optuna

__all__ = ["WorkerSpec", "flushing", "run_trials", "run_workers", "MAX_FAILURES"]

logger = logging.getLogger(__name__)

MAX_FAILURES = 3
"""A worker gives up after this many trials in a row fail (a broken config, not bad luck)."""

TrialCallback = Callable[["optuna.trial.FrozenTrial"], None]

_STOP_GRACE = 30.0  # seconds a stopped worker has to end its trial before it is killed


def _count(study: optuna.Study, *states: str) -> int:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False, states=tuple(TrialState[s] for s in states))
    return len(counted(trials))


@contextmanager
def flushing(objective: Objective) -> Iterator[None]:
    """Write the objective's queued trial runs on the way out (errors: only if none other)."""
    try:
        yield
    except BaseException:
        with suppress(Exception):
            objective.flush()
        raise
    objective.flush()


def run_trials(
    study: optuna.Study,
    objective: Objective,
    *,
    n_trials: int,
    deadline: float | None = None,
    on_trial: TrialCallback | None = None,
    poll: float = 1.0,
) -> int:
    """Start trials until the study has ``n_trials`` complete + pruned ones, or ``deadline``.

    Returns:
        The number of trials this call ran.

    Raises:
        TuningError: :data:`MAX_FAILURES` trials in a row failed (the last error is named).
    """
    from optuna.trial import TrialState

    ran = failures = 0
    last: list[optuna.trial.FrozenTrial] = []

    def callback(_: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        last.append(trial)
        if on_trial is not None:
            on_trial(trial)

    while deadline is None or time.time() < deadline:
        fail_stale_trials(study)
        done = _count(study, "COMPLETE", "PRUNED")
        if done >= n_trials:
            break
        if done + _count(study, "RUNNING") >= n_trials:
            time.sleep(poll)  # the rest are running elsewhere; take over if one fails
            continue
        last.clear()
        with signals_held():  # a signal waits until the trial is labelled with its session
            study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[callback])
        ran += 1
        trial = last[-1] if last else None
        if trial is None or trial.state != TrialState.FAIL or trial.user_attrs.get("surplus"):
            failures = 0
            continue
        failures += 1
        if failures >= MAX_FAILURES:
            error = trial.user_attrs.get("error", "see the log")
            raise TuningError(
                f"{failures} trials in a row failed; last (#{trial.number}): {error}"
            )
    return ran


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process needs (picklable).

    ``tracker`` is a zero-argument callable (a class or ``functools.partial``) called once
    in the worker; its trial runs are filed under ``parent_run_id``.
    """

    args: TuneArgs
    storage: str
    study: str
    n_trials: int
    pruner: str
    seed: int
    worker: int
    fold_fingerprint: str
    tracker: Callable[[], Tracker]
    parent_run_id: str | None = None
    deadline: float | None = None
    heartbeat_interval: int | None = 5
    session: str | None = None


def _worker_main(spec: WorkerSpec, conn: Connection, parent: int) -> None:
    """Entry point of a worker process: send ``("ok", n)`` or ``("error", message)``.

    SIGINT and SIGTERM (also sent when ``parent`` dies) end the trial in flight as FAIL;
    a second signal does not cut that short.
    """
    handle_signals(once=True, sigint=True)
    watch_parent(parent, grace=_STOP_GRACE, deathsig=True)
    try:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        setup = prepare_tuning(spec.args)
        if setup.plan.fold_fingerprint != spec.fold_fingerprint:
            raise TuningError(
                f"worker {spec.worker} built folds {setup.plan.fold_fingerprint}, the study "
                f"uses {spec.fold_fingerprint}"
            )
        storage = open_storage(spec.storage, heartbeat_interval=spec.heartbeat_interval)
        study = load_study(storage, spec.study, url=spec.storage)
        study.sampler = make_sampler(spec.seed)
        study.pruner = make_pruner(spec.pruner, setup.plan.n_folds)
        objective = Objective(
            setup,
            spec.tracker(),
            n_trials=spec.n_trials,
            parent_run_id=spec.parent_run_id,
            worker=spec.worker,
            session=spec.session,
        )
        with flushing(objective):
            ran = run_trials(study, objective, n_trials=spec.n_trials, deadline=spec.deadline)
        conn.send(("ok", ran))
    except BaseException as exc:  # report everything, KeyboardInterrupt included
        conn.send(("error", one_line(exc)))
    finally:
        conn.close()


def run_workers(
    specs: list[WorkerSpec],
    study: optuna.Study,
    *,
    on_trial: TrialCallback | None = None,
    poll: float = 1.0,
) -> int:
    """Run one process per spec (spawned) and report trials as they finish.

    A worker that dies (e.g. SIGKILL) loses only its trial in flight; the others go on.
    Interrupted (Ctrl-C, SIGTERM), the workers are stopped and given time to end their
    trials; trials of this session still RUNNING after they stopped are failed.

    Returns:
        How many trials the workers ran.

    Raises:
        TuningError: a worker failed (its message), after every worker has stopped.
    """
    ctx = multiprocessing.get_context("spawn")
    procs: list[tuple[WorkerSpec, Any, Connection]] = []
    seen = {t.number for t in study.get_trials(deepcopy=False) if t.state.is_finished()}
    try:
        for spec in specs:
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_worker_main, args=(spec, send, os.getpid()), daemon=False
            )
            proc.start()
            send.close()
            procs.append((spec, proc, recv))
        while any(p.is_alive() for _, p, _ in procs):
            for _, proc, _ in procs:
                proc.join(timeout=poll / len(procs))
            seen |= _report_new(study, seen, on_trial)
    finally:
        _stop([proc for _, proc, _ in procs])
        _fail_left_running(study, specs[0].session if specs else None)
    _report_new(study, seen, on_trial)
    ran, errors = 0, []
    for spec, proc, recv in procs:
        if not recv.poll():  # killed: its trial in flight is failed once its heartbeat stops
            logger.warning("worker %d died (exit code %s)", spec.worker, proc.exitcode)
            continue
        status, detail = recv.recv()
        if status == "ok":
            ran += int(detail)
        else:
            errors.append(f"worker {spec.worker}: {detail}")
    if errors:
        raise TuningError("; ".join(errors))
    return ran


def _stop(procs: list[Any]) -> None:
    """Stop the workers still alive (only on an interrupt of this process): SIGTERM, which
    ends each one's trial as FAIL, then SIGKILL after :data:`_STOP_GRACE` seconds."""
    alive = [p for p in procs if p.is_alive()]
    for proc in alive:
        with suppress(OSError):
            os.kill(proc.pid, signal.SIGTERM)
    deadline = time.time() + _STOP_GRACE
    for proc in alive:
        while True:  # (a second Ctrl-C must not leave a worker behind)
            try:
                proc.join(timeout=max(0.0, deadline - time.time()))
                break
            except KeyboardInterrupt:
                continue
        if proc.is_alive():
            proc.kill()
            proc.join()


def _fail_left_running(study: optuna.Study, session: str | None) -> None:
    """Fail the trials of ``session`` still RUNNING: their workers have all stopped."""
    if session is None:
        return
    from optuna.trial import TrialState

    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if t.user_attrs.get("session") == session:
            with suppress(Exception):
                study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)


def _report_new(study: optuna.Study, seen: set[int], on_trial: TrialCallback | None) -> set[int]:
    new = {}
    for t in study.get_trials(deepcopy=False):
        if t.state.is_finished() and t.number not in seen:
            new[t.number] = t
    if on_trial is not None:
        for number in sorted(new):
            on_trial(new[number])
    return set(new)
