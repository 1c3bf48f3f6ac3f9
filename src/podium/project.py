"""The project folder: the one holding ``competitions/`` (standard library only)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["project_root"]


def project_root(start: Path | None = None) -> Path:
    """``$PODIUM_ROOT``, else the folder holding ``competitions/`` (or ``pyproject.toml``):
    ``start`` (default: the working directory) or its nearest such ancestor."""
    env = os.environ.get("PODIUM_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "competitions").is_dir() or (d / "pyproject.toml").is_file():
            return d
    return here
