"""``podium tune`` as a plain function: one session of trials on a (resumed) study.

The session checks config, data, search space and storage, creates or resumes the study,
opens a parent tracking run, runs trials in this process (``workers=1``) or in ``workers``
spawned processes, then saves the best parameters and the study plots with the run.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from podium.config import RunRequest
from podium.outputs import unique_run_name
from podium.session import open_tracker
from podium.stores import redact
from podium.tracking.base import NullTracker, Tracker
from podium.tuning.best import BestParams, save_best
from podium.tuning.objective import Objective, counted
from podium.tuning.plots import log_study_plots
from podium.tuning.setup import TuneArgs, TuneSetup, prepare_tuning
from podium.tuning.study import (
    TuningError,
    default_storage,
    default_study_name,
    fail_stale_trials,
    make_pruner,
    make_sampler,
    open_storage,
    open_study,
    sampler_seed,
)
from podium.tuning.workers import WorkerSpec, flushing, run_trials, run_workers

if TYPE_CHECKING:
    import optuna

__all__ = ["tune", "TuneResult", "StudyCounts", "count_states"]


@dataclass(frozen=True)
class StudyCounts:
    """Trials of a study by state."""

    complete: int = 0
    pruned: int = 0
    fail: int = 0
    running: int = 0

    @property
    def done(self) -> int:
        """Complete + pruned: the trials that count towards ``n_trials``."""
        return self.complete + self.pruned


def count_states(study: optuna.Study) -> StudyCounts:
    """Trials by state; surplus trials (pruned at once, not needed) are not counted."""
    counts: dict[str, int] = {}
    for t in counted(study.get_trials(deepcopy=False)):
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    return StudyCounts(**{k: counts.get(k, 0) for k in ("complete", "pruned", "fail", "running")})


@dataclass(frozen=True, eq=False)
class TuneResult:
    """What a session did and where the study stands."""

    study: str
    storage: str
    run_id: str
    ran: int
    counts: StudyCounts
    best: BestParams | None
    seconds: float
    setup: TuneSetup


def _tags(setup: TuneSetup, study: str, url: str) -> dict[str, str]:
    cfg = setup.cfg
    return {
        "podium.kind": "tune",
        "podium.competition": cfg.competition.name,
        "podium.pipeline": cfg.pipeline_name,
        "podium.model": setup.model,
        "podium.study": study,
        "podium.storage": redact(url),
        "podium.fold_fingerprint": setup.plan.fold_fingerprint,
        "podium.metric": setup.plan.metric.name,
    }


def _finish(
    study: optuna.Study, tracker: Tracker, ran: int
) -> tuple[StudyCounts, BestParams | None]:
    """Save the best trial, log counts and the study plots to the session run."""
    counts = count_states(study)
    best = save_best(study, tracker)
    metrics: dict[str, Any] = {f"trials_{k}": v for k, v in vars(counts).items()}
    metrics["trials_run"] = ran
    if best is not None:
        metrics["best_value"] = best.value
        tracker.set_tags({"podium.best_trial": str(best.trial)})
    tracker.log_metrics(metrics)
    if not isinstance(tracker, NullTracker):
        log_study_plots(study, tracker)
    return counts, best


def _mlflow_tracker(uri: str | None, experiment: str, root: Path) -> Tracker:
    from podium.tracking.mlflow_tracker import MlflowTracker

    return MlflowTracker(uri=uri, experiment=experiment, root=root)


def tune(
    request: RunRequest,
    *,
    n_trials: int,
    model: str | None = None,
    timeout: float | None = None,
    workers: int = 1,
    storage: str | None = None,
    study: str | None = None,
    pruner: str = "median",
    tracker: Callable[[], Tracker] | None = None,
    heartbeat_interval: int = 5,
    on_start: Callable[[TuneSetup, optuna.Study, str], None] | None = None,
    on_trial: Callable[[optuna.trial.FrozenTrial], None] | None = None,
) -> TuneResult:
    """Tune one model of a pipeline until its study has ``n_trials`` complete + pruned trials.

    Args:
        request: the run it tunes (competition, project folder, ``--pipeline``, ``--set``,
            ``--seed``, ``--data-dir``), as for ``podium run``.
        n_trials: the study's target; a re-run of a finished study runs nothing.
        model: the pipeline model to tune (default: the first).
        timeout: stop starting trials after this many seconds.
        workers: processes on this machine (each runs single-threaded models).
        storage: Optuna storage URL (default: ``sqlite:///<competition>/optuna.db``).
        study: study name (default: competition/pipeline/model/folds-<fingerprint>).
        pruner: ``median``, ``hyperband`` or ``none``.
        tracker: zero-argument callable returning a tracker, called once per process
            (picklable with ``workers > 1``); default: the competition's MLflow store.
        heartbeat_interval: seconds between trial heartbeats (dead workers' trials are
            failed after four missed beats).
        on_start: called with the setup, the study and the storage URL before trials start.
        on_trial: called with each finished trial.

    Raises:
        ConfigError, DataError, TuningError, TrackingError: before any trial, bad input;
            during the session, a worker that failed.
    """
    if n_trials < 1:
        raise TuningError(f"--trials must be >= 1, got {n_trials}")
    if workers < 1:
        raise TuningError(f"--workers must be >= 1, got {workers}")
    if timeout is not None and timeout <= 0:
        raise TuningError(f"--timeout must be > 0 seconds, got {timeout:g}")
    start = time.time()
    if workers > 1:
        request = replace(request, overrides=("n_jobs=1", *request.overrides))
    args = TuneArgs(request, model)
    setup = prepare_tuning(args)
    make_pruner(pruner, setup.plan.n_folds)  # an unknown name fails before the study
    cfg = setup.cfg
    url = storage or default_storage(cfg.competition_dir)
    fp = setup.plan.fold_fingerprint
    name = study or default_study_name(cfg.competition.name, cfg.pipeline_name, setup.model, fp)
    st = open_storage(url, heartbeat_interval=heartbeat_interval)
    opened = open_study(st, name, attrs=setup.attrs, direction=setup.direction, storage_url=url)
    fail_stale_trials(opened)
    n_existing = len(opened.get_trials(deepcopy=False))
    deadline = start + timeout if timeout is not None else None
    run_name = unique_run_name(f"tune-{setup.model}", time.time())
    with ExitStack() as stack:
        if tracker is None:
            # The session's run is held by a tracking child, which ends it KILLED if this
            # process is killed; the workers write their trial runs in-process.
            comp = cfg.competition
            experiment = comp.tracking.experiment or comp.name
            root = request.root
            tracker = functools.partial(_mlflow_tracker, comp.tracking.uri, experiment, root)
            trk = stack.enter_context(open_tracker(cfg, root))
        else:
            trk = tracker()
        ended = getattr(trk, "end_orphaned_runs", None)
        if ended is not None:
            ended()  # runs of sessions that were killed with their tracking child
        ran, counts, best, run_id = _session(
            setup, opened, trk, tracker, args=args, url=url, name=name, run_name=run_name,
            n_trials=n_trials, workers=workers, pruner=pruner, timeout=timeout,
            deadline=deadline, n_existing=n_existing, heartbeat_interval=heartbeat_interval,
            on_start=on_start, on_trial=on_trial,
        )  # fmt: skip
    return TuneResult(
        study=name,
        storage=redact(url),
        run_id=run_id,
        ran=ran,
        counts=counts,
        best=best,
        seconds=time.time() - start,
        setup=setup,
    )


def _session(
    setup: TuneSetup,
    opened: optuna.Study,
    trk: Tracker,
    tracker: Callable[[], Tracker],
    *,
    args: TuneArgs,
    url: str,
    name: str,
    run_name: str,
    n_trials: int,
    workers: int,
    pruner: str,
    timeout: float | None,
    deadline: float | None,
    n_existing: int,
    heartbeat_interval: int,
    on_start: Callable[[TuneSetup, optuna.Study, str], None] | None,
    on_trial: Callable[[optuna.trial.FrozenTrial], None] | None,
) -> tuple[int, StudyCounts, BestParams | None, str]:
    """The session's run: its trials, in this process or in workers, and the summary."""
    base_seed = setup.cfg.competition.seed
    fp = setup.plan.fold_fingerprint
    with trk.run(run_name, tags=_tags(setup, name, url)) as run_id:
        if on_start is not None:
            on_start(setup, opened, url)
        trk.log_params(
            {"n_trials": n_trials, "workers": workers, "pruner": pruner, "timeout": timeout,
             "sampler": "TPE", "seed": base_seed, "existing_trials": n_existing,
             "space_origin": setup.space.origin}
        )  # fmt: skip
        space = {"entries": setup.space.to_dict(), "fixed": setup.fixed}
        trk.log_text(yaml.safe_dump(space, sort_keys=False), "search_space.yaml")
        opened.set_user_attr("search_space", setup.space.to_dict())
        seeds = [sampler_seed(base_seed, w, n_existing) for w in range(workers)]
        if workers == 1:
            opened.sampler = make_sampler(seeds[0])
            opened.pruner = make_pruner(pruner, setup.plan.n_folds)
            objective = Objective(setup, trk, n_trials=n_trials, session=run_name)
            with flushing(objective):
                ran = run_trials(opened, objective, n_trials=n_trials, deadline=deadline,
                                 on_trial=on_trial)  # fmt: skip
        else:
            spec = WorkerSpec(
                args=args, storage=url, study=name, n_trials=n_trials, pruner=pruner, seed=0,
                worker=0, fold_fingerprint=fp, tracker=tracker, parent_run_id=run_id or None,
                deadline=deadline, heartbeat_interval=heartbeat_interval, session=run_name,
            )  # fmt: skip
            specs = [replace(spec, worker=w, seed=seeds[w]) for w in range(workers)]
            ran = run_workers(specs, opened, on_trial=on_trial)
        counts, best = _finish(opened, trk, ran)
    return ran, counts, best, run_id
