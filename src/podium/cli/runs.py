"""``podium runs``: a competition's runs, best CV first, as a table or ``--json``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from podium.cli.app import command, err, out, project_root
from podium.cli.options import CompetitionArg, PipelineOpt

__all__ = ["runs"]


@command()
def runs(
    competition: CompetitionArg,
    sort: Annotated[
        str, typer.Option("--sort", help="cv (best first), time (newest first) or name.")
    ] = "cv",
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="run, tune, audit, blend or all; repeat or 'run,tune' (default run,blend).",
        ),
    ] = None,
    pipeline: PipelineOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most this many runs.")] = 20,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list of runs instead of a table.")
    ] = False,
) -> None:
    """List past runs from MLflow: id, name, CV mean ± std, duration (best first).

    Any command that takes a run accepts its name, its id or the id's first characters.
    """
    from podium.config import load_config
    from podium.runner import make_tracker
    from podium.session import competition_metric
    from podium.tracking.base import RUN_KINDS
    from podium.tracking.lookup import DEFAULT_KINDS, rank_runs, run_record

    kinds = [k.strip() for item in (kind or DEFAULT_KINDS) for k in item.split(",") if k.strip()]
    if "all" in kinds:
        kinds = list(RUN_KINDS)
    root = project_root()
    cfg = load_config(competition, root=root)
    comp = cfg.competition
    metric = competition_metric(cfg)
    rank_runs([], sort=sort, kinds=kinds)  # bad --sort/--kind before the store opens
    summaries = make_tracker(cfg, root).list_runs(max_results=max(limit, 1000))  # type: ignore[attr-defined]
    shown = rank_runs(
        summaries, sort=sort, kinds=kinds, pipeline=pipeline,
        greater_is_better=metric.greater_is_better,
    )[:limit]  # fmt: skip
    if as_json:
        typer.echo(json.dumps([run_record(s) for s in shown], indent=2))
        return
    if not shown:
        what = "/".join(kinds) + (f" of pipeline {pipeline}" if pipeline else "")
        err.print(f"no {what} runs yet for {comp.name}", markup=False)
        return
    order = {"cv": f"best {metric.name} first", "time": "newest first", "name": "by name"}[sort]
    table = Table(
        title=f"{comp.name} runs ({order})", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
        title_justify="left",
    )  # fmt: skip
    table.add_column("id", no_wrap=True)
    table.add_column("name", overflow="fold", min_width=20)
    if len(kinds) > 1:
        table.add_column("kind", no_wrap=True)
    table.add_column(f"CV {metric.name}", justify="right", no_wrap=True)
    table.add_column("± std", justify="right", no_wrap=True)
    table.add_column("took", justify="right", no_wrap=True)
    for s in shown:
        row = [s.short_id, s.name]
        if len(kinds) > 1:
            row.append(s.kind)
        row += [
            "-" if s.cv_mean is None else f"{s.cv_mean:.5f}",
            "-" if s.cv_std is None else f"{s.cv_std:.5f}",
            _took(s.duration_s, s.status),
        ]
        table.add_row(*row)
    out.print(table)


def _took(seconds: float | None, status: str) -> str:
    if seconds is None:
        return status.lower()
    if status != "FINISHED":
        return status.lower()[:6]
    return f"{seconds:.0f}s" if seconds < 600 else f"{seconds / 60:.0f}m"
