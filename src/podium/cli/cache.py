"""``podium cache info`` and ``podium cache clear``: the feature cache on disk."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from podium.cli.app import app, command, out, project_root

__all__ = ["cache_app"]

cache_app = typer.Typer(
    help="The feature cache: stage-chain outputs per fold, reused when only models change.",
    no_args_is_help=True,
)
app.add_typer(cache_app, name="cache")


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover


@command("info", group=cache_app)
def info() -> None:
    """Show each competition's cache folder: entries (one per model chain and fold), size."""
    from podium.engine.cache import cache_root, usage

    root = cache_root(project_root())
    found = usage(root)
    if not found:
        out.print(f"feature cache {root}: empty")
        return
    table = Table(title=f"feature cache {root}")
    for col in ("competition", "entries", "size"):
        table.add_column(col)
    for u in found:
        table.add_row(u.competition, str(u.entries), _size(u.bytes))
    out.print(table)
    entries, size = sum(u.entries for u in found), sum(u.bytes for u in found)
    out.print(f"total: {entries} entries, {_size(size)}")


@command("clear", group=cache_app)
def clear(
    competition: Annotated[
        str | None, typer.Argument(help="Only this competition's entries (default: all).")
    ] = None,
) -> None:
    """Delete cached features (the next run recomputes them)."""
    from podium.engine.cache import cache_root, clear_cache

    root = cache_root(project_root())
    removed = clear_cache(root, competition)
    which = f" of {competition}" if competition else ""
    entries, size = sum(u.entries for u in removed), sum(u.bytes for u in removed)
    out.print(f"removed {entries} entries{which} ({_size(size)}) from {root}")
