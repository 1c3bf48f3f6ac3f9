"""``podium predict``: a finished run's saved models on a test file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from podium.cli.app import command, out, project_root


@command()
def predict(
    run: Annotated[str, typer.Argument(help="The run's id or name.")],
    test: Annotated[Path, typer.Option("--test", help="Test file (the competition's columns).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Submission path (default: under the competition)."),
    ] = None,
    allow_version_mismatch: Annotated[
        bool,
        typer.Option(
            "--allow-version-mismatch",
            help="Load models saved with other library versions (predictions may differ).",
        ),
    ] = False,
) -> None:
    """Predict a test file with a finished run's saved models; write a submission."""
    from podium.saved_runs import predict_file

    outcome = predict_file(
        run,
        test=test,
        root=project_root(),
        output=output,
        allow_version_mismatch=allow_version_mismatch,
    )
    out.print(f"{outcome.rows} rows predicted by run {outcome.run_name} ({outcome.run_id})")
    out.print(f"submission: {outcome.output}")
