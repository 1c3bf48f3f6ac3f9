"""Arguments and options shared by several commands (one definition, one help text)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = [
    "CompetitionArg",
    "DataDirOpt",
    "PipelineOpt",
    "SeedOpt",
    "SetOpt",
    "StorageOpt",
    "StudyOpt",
    "with_request",
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


def _request_options() -> list[inspect.Parameter]:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    named = [("pipeline", PipelineOpt), ("set_", SetOpt), ("data_dir", DataDirOpt)]
    named.append(("seed", SeedOpt))
    return [
        inspect.Parameter("competition", kind, annotation=CompetitionArg),
        *(inspect.Parameter(n, kind, default=None, annotation=a) for n, a in named),
    ]


def with_request(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A command that plans a run: ``fn(request, **its own options)`` gets the
    :class:`~podium.config.RunRequest` made from the options every such command shares
    (competition, ``--pipeline``, ``--set``, ``--data-dir``, ``--seed``; the project root),
    listed ahead of its own in ``--help``. Put it under :func:`podium.cli.app.command`."""
    from podium.cli.app import project_root

    # fn's own options, their annotations evaluated as typer would (the first, the
    # request, is not: its type is imported for type checkers only).
    own = [
        p.replace(
            kind=inspect.Parameter.KEYWORD_ONLY,  # (an own option may have no default)
            annotation=eval(p.annotation, fn.__globals__)  # noqa: S307
            if isinstance(p.annotation, str)
            else p.annotation,
        )
        for p in list(inspect.signature(fn).parameters.values())[1:]
    ]
    params = [*_request_options(), *own]

    @functools.wraps(fn)
    def body(
        competition: str,
        pipeline: str | None = None,
        set_: list[str] | None = None,
        data_dir: Path | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        from podium.config import RunRequest

        request = RunRequest(
            competition,
            root=project_root(),
            pipeline=pipeline,
            overrides=tuple(set_ or ()),
            seed=seed,
            data_dir=data_dir,
        )
        return fn(request, **kwargs)

    body.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    body.__annotations__ = {p.name: p.annotation for p in params}
    return body

