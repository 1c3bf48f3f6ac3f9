"""``podium tune`` and ``podium study``: thin wrappers over :mod:`podium.tuning`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from podium.cli.app import command, err, out, print_notices, project_root
from podium.cli.options import CompetitionArg, PipelineOpt, StorageOpt, StudyOpt, with_request

if TYPE_CHECKING:
    from podium.config import RunRequest

__all__ = ["tune", "study", "reuse_command"]

_Model = Annotated[
    str | None, typer.Option("--model", "-m", help="Pipeline model to tune (default: the first).")
]


class _TrialPrinter:
    """One line per finished trial, with the best value so far."""

    def __init__(self) -> None:
        self.metric = "score"
        self.maximize = True
        self.best: tuple[float, int] | None = None

    def start(self, setup: Any, study: Any, url: str) -> None:
        from podium.stores import redact
        from podium.tuning import count_states

        self.metric = setup.plan.metric.name
        self.maximize = setup.direction == "maximize"
        counts = count_states(study)
        if counts.complete:
            self.best = (float(study.best_value), int(study.best_trial.number))
        use = setup.cfg.pipeline.models[setup.model].use
        print_notices(setup.plan.data.notices)
        err.print(
            f"study {study.study_name} ({redact(url)}): {counts.done} trials done; "
            f"tuning {setup.model} ({use}) on folds {setup.plan.fold_fingerprint}; "
            f"space: {len(setup.space)} params ({setup.space.origin})"
        )

    def trial(self, t: Any) -> None:
        seconds = t.user_attrs.get("seconds")
        took = f" {seconds:.1f}s" if isinstance(seconds, int | float) else ""
        state = t.state.name.lower()
        if t.user_attrs.get("surplus"):
            err.print(f"trial {t.number} not needed (the study had its trials)")
        elif state == "complete" and t.value is not None:
            value = float(t.value)
            better = self.best is None or (
                value > self.best[0] if self.maximize else value < self.best[0]
            )
            if better:
                self.best = (value, t.number)
            best = f" (best {self.best[0]:.5f} #{self.best[1]})" if self.best else ""
            err.print(f"trial {t.number} {self.metric}={value:.5f}{best}{took}")
        elif state == "pruned":
            scores = t.user_attrs.get("fold_scores") or []
            mean = f" (mean {sum(scores) / len(scores):.5f})" if scores else ""
            err.print(f"trial {t.number} pruned after fold {len(scores)}{mean}{took}")
        else:
            err.print(f"trial {t.number} failed: {t.user_attrs.get('error', 'see the log')}")


@command()
@with_request
def tune(
    request: RunRequest,
    trials: Annotated[
        int, typer.Option("--trials", "-n", help="Complete + pruned trials the study should hold.")
    ],
    model: _Model = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Start no trial after this many seconds.")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", "-w", help="Processes on this machine.")
    ] = 1,
    storage: StorageOpt = None,
    study: StudyOpt = None,
    pruner: Annotated[str, typer.Option("--pruner", help="median, hyperband or none.")] = "median",
    heartbeat: Annotated[
        int, typer.Option("--heartbeat", hidden=True, help="Seconds between trial heartbeats.")
    ] = 5,
) -> None:
    """Tune one model's parameters with Optuna; the same command again resumes the study."""
    import optuna

    from podium.tracking.process import warm_up

    warm_up()  # the session's tracking child loads MLflow while the study is opened
    from podium.tuning import tune as run_tuning

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    printer = _TrialPrinter()
    result = run_tuning(
        request,
        n_trials=trials,
        model=model,
        timeout=timeout,
        workers=workers,
        storage=storage,
        study=study,
        pruner=pruner,
        heartbeat_interval=heartbeat,
        on_start=printer.start,
        on_trial=printer.trial,
    )
    c = result.counts
    out.print(
        f"study {result.study}: {c.complete} complete, {c.pruned} pruned, {c.fail} failed "
        f"({result.ran} run now, {result.seconds:.0f}s); run {result.run_id or '-'}"
    )
    if result.best is None:
        out.print("no complete trial yet")
        return
    b = result.best
    metric = result.setup.plan.metric.name
    out.print(f"best trial #{b.trial}: {metric}={b.value:.5f}")
    for key, value in {**b.params, **b.final}.items():
        out.print(f"  {key} = {value!r}")
    hint = reuse_command(
        request, pipeline=result.setup.cfg.pipeline_name, study=result.study, storage=storage
    )
    out.print(f"use them: {hint}", markup=False)


def reuse_command(
    request: RunRequest, *, pipeline: str, study: str, storage: str | None = None
) -> str:
    """The ``podium run`` command that reuses this study's best trial: the same pipeline,
    study (hence model and folds), storage, ``--set``, data and seed as the tuning."""
    import shlex

    args = ["podium", "run", str(request.competition), "--pipeline", pipeline]
    args += ["--params", "best", "--study", study]
    if storage:
        args += ["--storage", storage]
    for item in request.overrides:
        args += ["--set", item]
    if request.data_dir is not None:
        args += ["--data-dir", str(request.data_dir)]
    if request.seed is not None:
        args += ["--seed", str(request.seed)]
    return shlex.join(args)


@command()
def study(
    competition: CompetitionArg,
    storage: StorageOpt = None,
    study: StudyOpt = None,
    pipeline: PipelineOpt = None,
    model: _Model = None,
    top: Annotated[int, typer.Option("--top", help="Best trials to show.")] = 10,
) -> None:
    """Show a competition's studies: trial counts by state and the best trials."""
    from podium.stores import redact
    from podium.tuning.report import short_name, study_reports

    url, reports = study_reports(
        competition,
        root=project_root(),
        storage=storage,
        study=study,
        pipeline=pipeline,
        model=model,
        top=top,
    )
    if not reports:
        err.print(f"no studies yet in {redact(url)}")
        return
    for r in reports:
        c = r.counts
        metric = r.attrs.get("metric", "value")
        folds = r.attrs.get("fold_fingerprint")
        table = Table(
            title=f"{r.name}: {c.complete} complete, {c.pruned} pruned, {c.fail} failed, "
            f"{c.running} running ({r.direction} {metric}, folds {folds})"
        )
        for col in ("trial", metric, "± std", "iters", "seconds", "params"):
            table.add_column(col, overflow="fold")
        for t in r.top:
            scores = t.user_attrs.get("fold_scores") or []
            mean = sum(scores) / len(scores) if scores else math.nan
            std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores)) if scores else 0
            final = t.user_attrs.get("final_overrides") or {}
            iters = next((str(v) for k, v in final.items() if k.endswith(_ITER_KEYS)), "-")
            params = t.user_attrs.get("overrides") or t.params
            text = ", ".join(f"{short_name(k)}={_fmt(v)}" for k, v in params.items())
            seconds = t.user_attrs.get("seconds")
            table.add_row(
                str(t.number),
                f"{t.value:.5f}" if t.value is not None else "-",
                f"{std:.5f}",
                iters,
                f"{seconds:.1f}" if isinstance(seconds, int | float) else "-",
                text,
            )
        out.print(table)
    out.print(f"dashboard: optuna-dashboard {redact(url)}")


_ITER_KEYS = ("n_estimators", "iterations", "num_boost_round", "num_iterations", "num_trees")


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
