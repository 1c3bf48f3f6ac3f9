"""``podium run`` as a plain function: config -> data -> folds -> models -> MLflow -> submission.

The CLI only parses arguments and calls :func:`run_competition`, which tests call too.
Everything that can be checked is checked before a run is opened in the tracking store;
a failure after that ends the run as FAILED and writes no submission. The submission is
published (renamed into place) only after its run has ended FINISHED in the store.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from podium.engine import (
    CVResult,
    ExperimentResult,
    FoldResult,
    Plan,
    run_models,
)
from podium.engine.explain import explain_choices
from podium.engine.phases import PhaseClock
from podium.ensemble import apply_ensemble
from podium.outputs import check_output, staged, unique_run_name
from podium.session import (
    git_commit,
    make_tracker,
    open_tracker,
    plan_run,
    run_inputs,
    tracking_uri,
)
from podium.submission import build_submission, validate_submission, write_submission
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


def run_competition(
    competition: str | Path,
    *,
    root: Path,
    pipeline: str | None = None,
    overrides: tuple[str, ...] | list[str] = (),
    seed: int | None = None,
    data_dir: Path | None = None,
    output: Path | None = None,
    tracker: Tracker | None = None,
    on_fold: Callable[[str, FoldResult, int], None] | None = None,
    on_model: Callable[[CVResult], None] | None = None,
    on_start: Callable[[Plan, str], None] | None = None,
    params: str | None = None,
    storage: str | None = None,
    study: str | None = None,
) -> RunOutcome:
    """Run a competition's pipeline end to end and write its submission.

    Args:
        competition: a name under ``root/competitions`` or a path to its folder.
        root: the project folder (``competitions/``, ``pipelines/``, ``mlruns/``).
        pipeline, overrides, seed: as ``--pipeline``, ``--set`` and ``--seed``.
        data_dir: as ``--data-dir``.
        output: submission path; default ``<competition>/submissions/<run name>.csv``.
        tracker: where the run is logged; default MLflow under ``root/mlruns``.
        params, storage, study: ``params="best"`` applies the best tuned trial's values
            before ``overrides`` (see :func:`podium.tuning.apply_best`).

    Raises:
        ConfigError, DataError: before anything is written or logged.
        SubmissionError: predictions that do not fit the format (nothing is written).
    """
    clock = PhaseClock()
    with clock.phase("load"):
        plan = plan_run(
            competition,
            root=root,
            pipeline=pipeline,
            overrides=overrides,
            seed=seed,
            data_dir=data_dir,
        )
    tuned: dict[str, str] = {}
    if params is not None:
        from podium.tuning import apply_best

        plan, tuned = apply_best(
            plan, root=root, pipeline=pipeline, overrides=overrides, seed=seed,
            params=params, storage=storage, study=study,
        )  # fmt: skip
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
        model_started: dict[str, float] = {}
        last = {"t": time.time()}

        def model_done(res: CVResult) -> None:
            model_started[res.name] = last["t"]
            last["t"] = time.time()
            if on_model is not None:
                on_model(res)

        with clock.phase("folds"):
            trained = run_models(plan, on_fold=on_fold, on_model=model_done)
        with clock.phase("ensemble"):
            result = apply_ensemble(plan, trained)
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
                run_name, tags={**_tags(plan, root), **tuned}, start_time=started, batch=True
            ) as run_id,
            tempfile.TemporaryDirectory() as tmp,
        ):
            tracker.log_params(cfg.to_dict())
            tracker.log_text(cfg.to_yaml(), "config.resolved.yaml")
            tracker.log_text("\n".join(explain_choices(plan)) + "\n", "choices.txt")
            tracker.log_text(plan.data.profile.to_frame().to_csv(index=False), "profile.csv")
            folds_csv = Path(tmp) / "folds.csv"
            plan.folds.to_csv(folds_csv)
            tracker.log_artifact(folds_csv)
            for name, res in result.results.items():
                _log_model(tracker, plan, res, start_time=model_started.get(name))
            write_submission(frame, draft)
            _log_result(tracker, plan, result, draft, published=target)
            clock.stop("logging")  # its time up to here: what is logged
            tracker.log_metrics(clock.metrics())
    return RunOutcome(
        run_id=run_id,
        run_name=run_name,
        submission=target,
        plan=plan,
        result=result,
        phases=clock,
    )


def _tags(plan: Plan, root: Path) -> dict[str, str]:
    cfg = plan.cfg
    return {
        "podium.competition": cfg.competition.name,
        "podium.pipeline": cfg.pipeline_name,
        "podium.git_commit": git_commit(root),
        "podium.data_fingerprint": plan.data.fingerprint,
        "podium.fold_fingerprint": plan.folds.fingerprint,
        "podium.metric": plan.metric.name,
        "podium.models": ",".join(plan.models),
        "podium.seed": str(cfg.competition.seed),
    }


def _pred_frame(pred: Any, prefix: str) -> pd.DataFrame:
    import numpy as np

    arr = np.asarray(pred)
    if arr.ndim == 1:
        return pd.DataFrame({prefix: arr})
    return pd.DataFrame({f"{prefix}_{j}": arr[:, j] for j in range(arr.shape[1])})


def _importance_plot(res: CVResult) -> Plot:
    return Plot("feature_importance_figure", res.importances)


def _log_model(
    tracker: Tracker, plan: Plan, res: CVResult, *, start_time: float | None = None
) -> None:
    """Log one model as a nested run."""
    spec = plan.cfg.pipeline.models[res.name]
    tags = {"podium.model": spec.use}
    with tracker.run(res.name, nested=True, tags=tags, start_time=start_time, batch=True):
        tracker.log_params(
            {"model": spec.model_dump(mode="json"), "test_predictions": res.test_strategy}
        )
        for f in res.folds:
            tracker.log_metrics({"fold_score": f.score, "fit_seconds": f.fit_seconds}, step=f.fold)
            if f.best_iteration is not None:
                tracker.log_metrics({"best_iteration": float(f.best_iteration)}, step=f.fold)
        tracker.log_metrics({"cv_mean": res.cv_mean, "cv_std": res.cv_std, "seconds": res.seconds})
        if res.refit_iterations is not None:
            tracker.log_metrics({"refit_iterations": float(res.refit_iterations)})
        tracker.log_frame(_pred_frame(res.oof, "oof"), "oof.parquet")
        if res.test is not None:
            tracker.log_frame(_pred_frame(res.test, "test"), "test.parquet")
        tracker.log_frame(
            res.importances.rename("importance").rename_axis("feature").reset_index(),
            "importance.parquet",
        )
        tracker.log_figure(_importance_plot(res), "feature_importance.png")


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
    for k, s in enumerate(result.fold_scores):
        tracker.log_metrics({"fold_score": s}, step=k)
    metrics = {"cv_mean": result.cv_mean, "cv_std": result.cv_std}
    for name, r in result.results.items():
        metrics[f"{name}.cv_mean"] = r.cv_mean
    if result.naive_score is not None:
        metrics["cv_naive_in_sample"] = result.naive_score
    for name, w in (result.weights or {}).items():
        metrics[f"weight.{name}"] = w
    tracker.log_metrics(metrics)
    oof = _pred_frame(result.oof, "oof")
    oof.insert(0, "fold", plan.folds.fold)
    oof.insert(0, "target", plan.y)
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
    tracker.log_figure(_importance_plot(best), "feature_importance.png")
    task = plan.cfg.competition.task
    seen = plan.folds.fold >= 0
    if task == "binary":
        roc = Plot("roc_curve_figure", plan.y[seen], result.oof[seen])
        tracker.log_figure(roc, "roc_curve.png")
    elif task == "regression":
        tracker.log_figure(
            Plot("residual_figure", plan.data.y.to_numpy()[seen], result.oof[seen]),
            "residuals.png",
        )
    tracker.set_tags(
        {"podium.submission": str(published.resolve()), "podium.chosen": result.chosen}
    )
