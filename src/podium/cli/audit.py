"""``podium audit``: leak and validation checks, an HTML report and an MLflow run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from podium.cli.app import command, err, out
from podium.cli.options import with_request

if TYPE_CHECKING:
    from podium.config import RunRequest


@command()
@with_request
def audit(
    request: RunRequest,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="HTML report path (default: <competition>/audit.html)."
        ),
    ] = None,
    write_fold_column: Annotated[
        Path | None,
        typer.Option(
            "--write-fold-column",
            help="Write a CSV (row, adversarial_p, fold) whose fold 0 holds the most "
            "test-like training rows.",
        ),
    ] = None,
    no_tracking: Annotated[
        bool, typer.Option("--no-tracking", help="Do not log the audit to MLflow.")
    ] = False,
) -> None:
    """Audit a competition for leaks; exit 1 when one is found.

    Runs the pipeline on a permuted target, adversarial validation, duplicate and
    identifier checks, and CV versus a test-like holdout.
    """
    from podium.tracking.process import warm_up

    if not no_tracking:
        warm_up()  # MLflow loads in a child process while the audit runs
    from podium.audit import adversarial_folds, run_audit
    from podium.audit.plots import audit_figures
    from podium.audit.report import log_audit, print_summary, render_html
    from podium.data import resolve_data_dir
    from podium.outputs import atomic_write, check_output
    from podium.session import open_tracker, run_inputs

    cfg = request.config()
    data_dir = resolve_data_dir(cfg.competition, cfg.competition_dir, request.data_dir)
    inputs = run_inputs(cfg, data_dir)
    target = check_output(output or cfg.competition_dir / "audit.html", **inputs)
    if write_fold_column is not None:
        check_output(write_fold_column, option="--write-fold-column", **inputs)
    res = run_audit(request, on_step=lambda s: err.print(f"audit: {s} ..."))
    figures = audit_figures(res)
    page = render_html(res, figures)
    atomic_write(target, lambda fh: fh.write(page))
    if write_fold_column is not None:
        folds = adversarial_folds(res.adversarial.train_proba)
        atomic_write(write_fold_column, lambda fh: folds.to_csv(fh, index=False))
    run_id = None
    if not no_tracking:
        with open_tracker(cfg, request.root) as tracker:
            run_id = log_audit(tracker, res, page, figures)
    print_summary(res, out)
    out.print(f"report: {target}")
    if write_fold_column is not None:
        out.print(f"fold column: {write_fold_column} (fold 0 = most test-like 20% of rows)")
    if run_id:
        out.print(f"logged as MLflow run {run_id}")
    if res.leak_found:
        raise typer.Exit(code=1)
