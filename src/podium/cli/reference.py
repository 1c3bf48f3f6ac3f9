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


def _listing(kind: str, doc: str) -> None:
    """Register ``podium <kind>s``: every ``kind`` of the registry (``doc``: its help)."""

    def listing(competition: str | None = None, markdown: bool = False) -> None:
        from podium.engine.reference import reference_text

        text = reference_text(_registry(competition), kind, markdown=markdown)
        out.print(text, markup=False, end="")

    also = f"Also list this competition's plug-in {kind}s (name or folder)."
    listing.__annotations__ = {
        "competition": Annotated[str | None, typer.Argument(help=also)],
        "markdown": MarkdownOpt,
        "return": None,
    }
    listing.__doc__ = doc
    listing.__name__ = listing.__qualname__ = f"{kind}s"
    command(f"{kind}s")(listing)


_listing("stage", "Every stage: parameters, defaults, a one-line description and its leakage.")
_listing("model", "Every model: the tasks it supports and the parameters podium sets by default.")
