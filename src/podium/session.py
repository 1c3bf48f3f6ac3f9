"""A run's session: config + data + folds + models checked (a plan), and its tracker.

Shared by ``podium run``, ``podium validate``, ``podium tune`` and ``podium blend``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from podium.config import ResolvedConfig, load_config
from podium.data import load_data, resolve_data_dir
from podium.engine import Plan, default_registry, prepare
from podium.tracking.base import Tracker

__all__ = ["git_commit", "make_tracker", "plan_run"]


def git_commit(root: Path) -> str:
    """The project's git commit (``+dirty`` when there are uncommitted changes)."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (sha or "unknown") + ("+dirty" if sha and dirty else "")


def plan_run(
    competition: str | Path,
    *,
    root: Path,
    pipeline: str | None = None,
    overrides: tuple[str, ...] | list[str] = (),
    seed: int | None = None,
    data_dir: Path | None = None,
) -> Plan:
    """Load and check config and data, build folds and models (``podium validate``)."""
    cfg = load_config(competition, root=root, pipeline=pipeline, overrides=overrides, seed=seed)
    data = load_data(
        cfg.competition, resolve_data_dir(cfg.competition, cfg.competition_dir, data_dir)
    )
    return prepare(cfg, data, default_registry())


def make_tracker(cfg: ResolvedConfig, root: Path) -> Tracker:
    """An MLflow tracker for the competition (``tracking.uri`` or the default store)."""
    from podium.tracking.mlflow_tracker import MlflowTracker

    comp = cfg.competition
    return MlflowTracker(
        uri=comp.tracking.uri, experiment=comp.tracking.experiment or comp.name, root=root
    )
