"""``podium stages`` and ``podium models``: every stage and model, its parameters and defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from podium.cli.app import command, out, project_root

if TYPE_CHECKING:
    from podium.registry import Registry

MarkdownOpt = Annotated[
    bool, typer.Option("--markdown", help="Markdown, as in the README's reference section.")
]


def _registry(competition: str | None) -> Registry:
    from podium.engine import default_registry

    if competition is None:
        return default_registry()
    from podium.config import load_config
    from podium.session import competition_registry

    return competition_registry(load_config(competition, root=project_root()))


@command()
def stages(
    competition: Annotated[
        str | None,
        typer.Argument(help="Also list this competition's plug-in stages (name or folder)."),
    ] = None,
    markdown: MarkdownOpt = False,
) -> None:
    """Every stage: parameters, defaults, a one-line description and its leakage."""
    from podium.engine.reference import reference_text

    text = reference_text(_registry(competition), "stage", markdown=markdown)
    out.print(text, markup=False, end="")


@command()
def models(
    competition: Annotated[
        str | None,
        typer.Argument(help="Also list this competition's plug-in models (name or folder)."),
    ] = None,
    markdown: MarkdownOpt = False,
) -> None:
    """Every model: the tasks it supports and the parameters podium sets by default."""
    from podium.engine.reference import reference_text

    text = reference_text(_registry(competition), "model", markdown=markdown)
    out.print(text, markup=False, end="")
