"""``podium run`` as a plain function: config -> data -> folds -> models -> MLflow -> submission.

The CLI only parses arguments and calls :func:`run_competition`, which tests call too.
Everything that can be checked is checked before a run is opened in the tracking store;
a failure after that ends the run as FAILED and writes no submission. The submission is
published (renamed into place) only after its run has ended FINISHED in the store.
"""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from podium.config import RunRequest
from podium.engine import (
    CVResult,
    ExperimentResult,
    FoldResult,
    Plan,
    run_models,
)
from podium.engine.explain import explain_choices
from podium.engine.phases import PhaseClock
from podium.ensemble import apply_ensemble, check_ensemble
from podium.ensemble.leaderboard import build_leaderboard
from podium.ensemble.saved import saved_run
from podium.outputs import check_output, staged, unique_run_name
from podium.saved_runs import log_models
from podium.session import (
    git_commit,
    make_tracker,
    open_tracker,
    run_inputs,
    tracking_uri,
)
from podium.session import plan_run as _plan_run
from podium.submission import build_submission, validate_submission, write_submission
from podium.tracking import keys
from podium.tracking.base import Plot, Tracker, check_reachable
from podium.tracking.process import ProcessTracker

__all__ = ["RunOutcome", "plan_run", "run_competition", "git_commit", "make_tracker"]


@dataclass(frozen=True, eq=False)
class RunOutcome:
    """What a finished run produced."""

    run_id: str
    run_name: str
    submission: Path
    plan: Plan
    result: ExperimentResult
    phases: PhaseClock | None = None


def plan_run(request: RunRequest) -> Plan:
    """The session's plan (config, data, folds, models checked) with the ensemble's
    method and parameters checked too: everything ``validate`` and ``run`` check before
    any fold is trained."""
    plan = _plan_run(request)
    check_ensemble(plan.cfg)
    return plan


def run_competition(
    request: RunRequest,
    *,
    output: Path | None = None,
    tracker: Tracker | None = None,
    on_fold: Callable[[str, FoldResult, int], None] | None = None,
    on_model: Callable[[CVResult], None] | None = None,
    on_start: Callable[[Plan, str], None] | None = None,
    params: str | None = None,
    storage: str | None = None,
    study: str | None = None,
    keep_early_stopping: bool = False,
    on_tuned: Callable[[list[str]], None] | None = None,
) -> RunOutcome:
    """Run a competition's pipeline end to end and write its submission.

    Args:
        request: the competition, project folder, ``--pipeline``, ``--set``, ``--seed``
            and ``--data-dir``.
        output: submission path; default ``<competition>/submissions/<run name>.csv``.
        tracker: where the run is logged; default MLflow under ``root/mlruns``.
        params, storage, study: ``params="best"`` applies the best tuned trial's values
            before the request's overrides (see :func:`podium.tuning.apply_best`);
            ``keep_early_stopping`` keeps early stopping instead of the fixed count, and
            ``on_tuned`` gets one line per value the tuned parameters changed.

    Raises:
        ConfigError, DataError: before anything is written or logged.
        SubmissionError: predictions that do not fit the format (nothing is written).
    """
    clock = PhaseClock()
    with clock.phase("load"):
        plan = plan_run(request)
    root = request.root
    tuned: dict[str, str] = {}
    if params is not None:
        from podium.tuning import apply_best

        plan, tuned, changed = apply_best(
            plan, request, params=params, storage=storage, study=study,
            keep_early_stopping=keep_early_stopping,
        )  # fmt: skip
        if on_tuned is not None:
            on_tuned(changed)
    cfg = plan.cfg
    started = time.time()
    # Opening the store (importing MLflow, migrating a new database) takes seconds: a child
    # process does it while the models train (see podium.tracking.process). Nothing is
    # logged until training has succeeded, so a failed run leaves no half-written run.
    run_name = unique_run_name(cfg.pipeline_name, started)
    target = Path(output) if output else cfg.competition_dir / "submissions" / f"{run_name}.csv"
    check_output(target, **run_inputs(cfg, plan.data.data_dir))
    with ExitStack() as stack:
        if tracker is None:
            check_reachable(tracking_uri(cfg, root))  # a bad store fails now, not after training
            tracker = stack.enter_context(open_tracker(cfg, root))
        if on_start is not None:
            on_start(plan, run_name)
        model_times: dict[str, tuple[float, float]] = {}  # when each model trained
        last = {"t": time.time()}

        def model_done(res: CVResult) -> None:
            model_times[res.name] = (last["t"], time.time())
            last["t"] = time.time()
            if on_model is not None:
                on_model(res)

        # Every fold's fitted chain + model is written here by the worker that fit it (so
        # fitted objects never travel back); logged as the run's model set before it ends.
        kept = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="podium-models-")))
        with clock.phase("folds"):
            trained = run_models(plan, on_fold=on_fold, on_model=model_done, save_to=kept)
        with clock.phase("ensemble"):
            result = apply_ensemble(plan, trained, save_to=kept)
        del trained
        clock.start("logging")
        frame = build_submission(
            plan.data.sample,
            plan.data.test_ids,
            result.test,
            spec=cfg.competition.submission,
            task=cfg.competition.task,
            classes=plan.classes,
        )
        validate_submission(
            frame, plan.data.sample, spec=cfg.competition.submission, classes=plan.classes
        )
        if isinstance(tracker, ProcessTracker):
            tracker.wait_ready()  # the store's problems, before the submission is written
        with (
            staged(target) as draft,  # renamed onto target once the run is recorded
            tracker.run(
                run_name,
                tags={**_tags(plan, root, request.overrides), **tuned, **_skipped(result)},
                start_time=started,
                batch=True,
            ) as run_id,
            tempfile.TemporaryDirectory() as tmp,
        ):
            tracker.log_params(cfg.to_dict())
            tracker.log_text(cfg.to_yaml(), "config.resolved.yaml")
            choices = [*explain_choices(plan), *(f"params {n}" for n in plan.sizing)]
            tracker.log_text("\n".join(choices) + "\n", "choices.txt")
            tracker.log_text(plan.data.profile.to_frame().to_csv(index=False), "profile.csv")
            if plan.relation is not None:  # how test relates to train, and the cv it implies
                relation = {**plan.relation.to_dict(), "cv": plan.cv_note}
                tracker.log_text(json.dumps(relation, indent=2) + "\n", "relation.json")
            for r, folds in enumerate(plan.repeats):  # repeated CV: repeat r's folds too
                folds_csv = Path(tmp) / ("folds.csv" if r == 0 else f"folds_repeat{r}.csv")
                folds.to_csv(folds_csv)
                tracker.log_artifact(folds_csv)
            for name, res in result.results.items():
                _log_model(tracker, plan, res, run_name, times=model_times.get(name))
            write_submission(frame, draft)
            _log_result(tracker, plan, result, draft, published=target)
            log_models(tracker, saved_run(plan, result, run_name), kept, run_id=run_id)
            clock.stop("logging")  # its time up to here: what is logged
            tracker.log_metrics(clock.metrics())
            # Last, so the run's latest metrics are its CV under the metric's name.
            cv = keys.cv_metrics(plan.metric.name, result.cv_mean, result.cv_std)
            tracker.log_metrics(cv)
    return RunOutcome(
        run_id=run_id,
        run_name=run_name,
        submission=target,
        plan=plan,
        result=result,
        phases=clock,
    )


def _skipped(result: Any) -> dict[str, str]:
    """``podium.skipped``: the models the time limit left out, if any."""
    return {"podium.skipped": ",".join(result.skipped)} if result.skipped else {}


def _tags(plan: Plan, root: Path, overrides: tuple[str, ...]) -> dict[str, str]:
    cfg = plan.cfg
    return {
        "podium.command": command_line(),
        "podium.overrides": " ".join(shlex.quote(o) for o in overrides),
        "podium.competition": cfg.competition.name,
        "podium.pipeline": cfg.pipeline_name,
        "podium.git_commit": git_commit(root),
        "podium.data_fingerprint": plan.data.fingerprint,
        "podium.fold_fingerprint": plan.fold_fingerprint,
        "podium.metric": plan.metric.name,
        "podium.models": ",".join(plan.models),
        "podium.seed": str(cfg.competition.seed),
        "podium.config_fingerprint": _config_fingerprint(cfg),
        **_repeat_tags(plan),
    }


def _repeat_tags(plan: Plan) -> dict[str, str]:
    """Repeated CV: how many fold assignments and each one's fingerprint."""
    if len(plan.repeats) == 1:
        return {}
    prints = ",".join(f.fingerprint for f in plan.repeats)
    return {"podium.cv_repeats": str(len(plan.repeats)), "podium.fold_fingerprints": prints}


def _config_fingerprint(cfg: Any) -> str:
    """16 hex digits of the resolved config without the keys that do not change
    predictions (cache, workers, description, search space): equal for runs that make
    equal predictions (see :func:`podium.tracking.lookup.same_run`)."""
    import hashlib
    import json

    resolved = cfg.to_dict()
    for key in ("description", "cache", "n_workers", "search_space"):
        resolved["pipeline"].pop(key, None)
    text = json.dumps(resolved, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _pred_frame(pred: Any, prefix: str) -> pd.DataFrame:
    import numpy as np

    arr = np.asarray(pred)
    if arr.ndim == 1:
        return pd.DataFrame({prefix: arr})
    return pd.DataFrame({f"{prefix}_{j}": arr[:, j] for j in range(arr.shape[1])})


def command_line() -> str:
    """The command that started this process, as one shell line (``podium run ...``)."""
    argv = list(sys.argv) or ["python"]
    return shlex.join([Path(argv[0]).name or argv[0], *argv[1:]])


def _importance_plot(plan: Plan, res: CVResult) -> Plot:
    """The model's importance plot, titled with the model it shows (the parent run logs the
    best model's: the same plot, drawn once)."""
    spec = plan.cfg.pipeline.models[res.name]
    subject = f"model {res.name} ({spec.use}), CV {plan.metric.name} {res.cv_mean:.5f}"
    return Plot("feature_importance_figure", res.importances, 30, subject)


def _log_model(
    tracker: Tracker,
    plan: Plan,
    res: CVResult,
    run_name: str,
    *,
    times: tuple[float, float] | None = None,
) -> None:
    """Log one model as a nested run named ``<run name>/<model>``, dated when it trained.

    Its params are the parent's keys for this model (``pipeline.models.<name>.*``)."""
    spec = plan.cfg.pipeline.models[res.name]
    tags = {
        "podium.model": spec.use,
        "podium.model_name": res.name,
        "podium.parent_name": run_name,
        "podium.test_predictions": res.test_strategy,
    }
    start, end = times if times is not None else (None, None)
    metric = plan.metric.name
    with tracker.run(
        f"{run_name}/{res.name}", nested=True, tags=tags, start_time=start, end_time=end,
        batch=True,
    ):  # fmt: skip
        tracker.log_params({"pipeline": {"models": {res.name: spec.model_dump(mode="json")}}})
        for f in res.folds:
            step = f.repeat * plan.folds.n_splits + f.fold  # repeated CV: repeats in order
            fold = {keys.fold_key(metric): f.score, "fit_seconds": f.fit_seconds}
            tracker.log_metrics(fold, step=step)
            if f.best_iteration is not None:
                tracker.log_metrics({"best_iteration": float(f.best_iteration)}, step=step)
        tracker.log_metrics({"seconds": res.seconds})
        if res.cv_std_repeats is not None:
            tracker.log_metrics({"cv_std_repeats": res.cv_std_repeats})
        if res.refit_iterations is not None:
            tracker.log_metrics({"refit_iterations": float(res.refit_iterations)})
        tracker.log_metrics(keys.cv_metrics(metric, res.cv_mean, res.cv_std))
        tracker.log_frame(_pred_frame(res.oof, "oof"), "oof.parquet")
        if res.test is not None:
            tracker.log_frame(_pred_frame(res.test, "test"), "test.parquet")
        tracker.log_frame(
            res.importances.rename("importance").rename_axis("feature").reset_index(),
            "importance.parquet",
        )
        tracker.log_figure(_importance_plot(plan, res), "feature_importance.png")


def _log_result(
    tracker: Tracker,
    plan: Plan,
    result: ExperimentResult,
    submission: Path,
    *,
    published: Path,
) -> None:
    """Log the run's metrics, predictions, figures and the ``submission`` file, tagged
    with the path it is ``published`` at."""
    metric = plan.metric.name
    for k, s in enumerate(result.fold_scores):
        tracker.log_metrics({keys.fold_key(metric): s}, step=k)
    metrics = {f"{keys.cv_key(metric)}.{name}": r.cv_mean for name, r in result.results.items()}
    if result.cv_std_repeats is not None:
        metrics["cv_std_repeats"] = result.cv_std_repeats
    for name, r in result.results.items():
        if r.cv_std_repeats is not None:
            metrics[f"{name}.cv_std_repeats"] = r.cv_std_repeats
    if result.naive_score is not None:  # an ensemble: its nested CV and in-sample figure
        metrics[keys.nested_key(metric)] = result.cv_mean
        metrics[keys.insample_key(metric)] = result.naive_score
    for name, w in (result.weights or {}).items():
        metrics[f"weight.{name}"] = w
    tracker.log_metrics(metrics)
    board = build_leaderboard(plan.metric, result)
    tracker.log_text(board.to_text(), "leaderboard.txt")
    tracker.log_text(board.to_frame().to_csv(index=False), "leaderboard.csv")
    oof = _pred_frame(result.oof, "oof")
    oof.insert(0, "fold", plan.folds.fold)
    oof.insert(0, "target", plan.y)
    for rep, folds in enumerate(plan.extra_folds, start=1):  # repeated CV: the other repeats
        oof.insert(1 + rep, f"fold_repeat{rep}", folds.fold)
    for name, r in result.results.items():
        oof = pd.concat([oof, _pred_frame(r.oof, name)], axis=1)
    tracker.log_frame(oof, "oof.parquet")
    test = _pred_frame(result.test, "test")
    for name, r in result.results.items():
        if r.test is not None:
            test = pd.concat([test, _pred_frame(r.test, name)], axis=1)
    tracker.log_frame(test, "test.parquet")
    tracker.log_artifact(submission, artifact_path="submission")
    best = min(
        result.results.values(),
        key=lambda r: -r.cv_mean if plan.metric.greater_is_better else r.cv_mean,
    )
    tracker.log_figure(_importance_plot(plan, best), "feature_importance.png")
    task = plan.cfg.competition.task
    seen = plan.folds.fold >= 0
    whose = "out-of-fold, " + (
        f"ensemble {result.chosen}" if result.chosen not in result.results
        else f"model {result.chosen}"
    )  # fmt: skip
    if task == "binary":
        roc = Plot("roc_curve_figure", plan.y[seen], result.oof[seen], whose)
        tracker.log_figure(roc, "roc_curve.png")
    elif task == "regression":
        tracker.log_figure(
            Plot("residual_figure", plan.data.y.to_numpy()[seen], result.oof[seen], whose),
            "residuals.png",
        )
    tracker.set_tags(
        {"podium.submission": str(published.resolve()), "podium.chosen": result.chosen}
    )
