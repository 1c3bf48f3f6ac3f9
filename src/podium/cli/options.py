"""Arguments and options shared by several commands (one definition, one help text)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "CompetitionArg",
    "DataDirOpt",
    "PipelineOpt",
    "SeedOpt",
    "SetOpt",
    "StorageOpt",
    "StudyOpt",
]

CompetitionArg = Annotated[
    str, typer.Argument(help="A competition name under competitions/, or a path to its folder.")
]
PipelineOpt = Annotated[
    str | None,
    typer.Option("--pipeline", "-p", help="Pipeline name in pipelines/ (or a YAML path)."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override one config key: key.path=value (repeatable)."),
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder with the data files (else $PODIUM_DATA_DIR/<name>)."),
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Replace the competition seed.")]
StorageOpt = Annotated[
    str | None,
    typer.Option(
        "--storage",
        help="Optuna storage URL (default: sqlite:///competitions/<name>/optuna.db).",
    ),
]
StudyOpt = Annotated[
    str | None,
    typer.Option(
        "--study", help="Study name (default: <competition>/<pipeline>/<model>/folds-…)."
    ),
]
