"""Practice competitions for the benchmarks: generated ones and holdouts of real data.

Each is written as a competition folder (competition.yaml), a data folder (train, test,
sample submission) and the held-out labels beside them (see ``layout``); ``grade`` scores
a submission file on those labels with podium's metric functions.
"""

from __future__ import annotations

import os
from pathlib import Path

from .access import write_access
from .bike import write_bike
from .grade import grade, metric_of
from .holdout import HOLDOUTS, write_holdout
from .layout import Competition, load_competition

__all__ = ["Competition", "GENERATED", "HOLDOUTS", "ALL", "grade", "metric_of",
           "load_competition", "prepare", "default_data_root"]

GENERATED = {"employee_access": write_access, "bike_sharing": write_bike}
ALL = [*GENERATED, *HOLDOUTS]
SMALL_ROWS = 3_000


def default_data_root() -> Path:
    """``$PODIUM_DATA_DIR``, else ``shared/data`` beside the repo (or beside its worktree
    folder)."""
    if os.environ.get("PODIUM_DATA_DIR"):
        return Path(os.environ["PODIUM_DATA_DIR"])
    repo = Path(__file__).resolve().parents[2]
    near = [up / "shared" / "data" for up in (repo.parent, repo.parent.parent)]
    return next((p for p in near if p.is_dir()), near[0])


def prepare(
    root: Path,
    names: list[str] | None = None,
    *,
    small: bool = False,
    seed: int = 0,
    data_root: Path | None = None,
) -> dict[str, Competition]:
    """Write the named competitions (default: all) under ``root``; return them by name.

    Holdouts cut ``data_root/<name>/`` (the real data, default ``$PODIUM_DATA_DIR`` or
    ``../shared/data``); ``small`` makes the generated ones small and holdouts of at most
    ``SMALL_ROWS`` train rows.
    """
    out: dict[str, Competition] = {}
    for name in names or ALL:
        if name in GENERATED:
            out[name] = GENERATED[name](Path(root), seed, small=small)
        elif name in HOLDOUTS:
            source = Path(data_root or default_data_root()) / name
            out[name] = write_holdout(Path(root), HOLDOUTS[name], source, seed=seed,
                                      max_rows=SMALL_ROWS if small else None)
        else:
            raise ValueError(f"unknown competition {name!r}; known: {', '.join(ALL)}")
    return out
