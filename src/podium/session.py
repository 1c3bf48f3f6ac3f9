"""A run's session: config + data + folds + models checked (a plan), and its tracker.

Shared by ``podium run``, ``podium validate``, ``podium tune`` and ``podium blend``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypedDict

from podium.config import ResolvedConfig, RunRequest
from podium.data import load_data, resolve_data_dir
from podium.engine import Plan, default_registry, prepare
from podium.exceptions import ConfigError
from podium.metrics import Metric
from podium.plugins import load_plugins
from podium.registry import Registry
from podium.tracking.base import Tracker, resolve_tracking_uri
from podium.tracking.process import ProcessTracker
from podium.tracking.view import runs_view_tags

__all__ = [
    "competition_registry",
    "git_commit",
    "make_tracker",
    "open_tracker",
    "plan_run",
    "run_inputs",
]


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


def plan_run(request: RunRequest) -> Plan:
    """Load and check config and data, build folds and models (``podium validate``).

    The competition's plug-in (``plugins:``) is loaded before the data is read.
    """
    cfg = request.config()
    registry = competition_registry(cfg)
    data = load_data(
        cfg.competition, resolve_data_dir(cfg.competition, cfg.competition_dir, request.data_dir)
    )
    return prepare(cfg, data, registry)


class RunInputs(TypedDict):
    """The keyword arguments of :func:`podium.outputs.check_output` a run gives."""

    inputs: list[Path]
    input_dirs: list[Path]


def run_inputs(cfg: ResolvedConfig, data_dir: Path) -> RunInputs:
    """What a run reads, for :func:`podium.outputs.check_output`: the data, config and
    plug-in files, and the data folder (nothing is ever written inside it)."""
    spec = cfg.competition.data
    files = [data_dir / spec.train, data_dir / spec.test, data_dir / spec.sample_submission]
    files += [cfg.competition_file, cfg.pipeline_file]
    if cfg.competition.plugins:
        files.append(cfg.competition_dir / cfg.competition.plugins)
    return {"inputs": files, "input_dirs": [data_dir]}


def competition_registry(cfg: ResolvedConfig) -> Registry:
    """The built-in stages and models plus those of the competition's plug-in, if it names one.

    Raises:
        ConfigError: the plug-in file is missing or broken (see
            :func:`podium.plugins.load_plugins`).
    """
    registry = default_registry()
    name = cfg.competition.plugins
    if name:
        path = cfg.competition_dir / name
        if not path.is_file():
            raise ConfigError(
                f"{path}: plug-in file not found (plugins: {name!r} in {cfg.source_of('plugins')})"
            )
        load_plugins(path, registry)
    return registry


def tracking_uri(cfg: ResolvedConfig, root: Path) -> str:
    """The store a run logs to: ``tracking.uri``, else ``$MLFLOW_TRACKING_URI``, else
    ``sqlite:///<root>/mlruns/mlflow.db``."""
    return resolve_tracking_uri(cfg.competition.tracking.uri, root)


def make_tracker(cfg: ResolvedConfig, root: Path) -> Tracker:
    """An MLflow tracker for the competition, in this process (see :func:`tracking_uri`)."""
    from podium.tracking.mlflow_tracker import MlflowTracker

    return MlflowTracker(**_tracker_args(cfg, root))


@contextmanager
def open_tracker(cfg: ResolvedConfig, root: Path) -> Iterator[Tracker]:
    """The competition's tracker for logging a run, closed on the way out.

    On POSIX it is a :class:`~podium.tracking.process.ProcessTracker`, returned at once:
    a child process imports MLflow and opens the store while this one goes on, and the
    ``with`` block ends once the child has written everything. Elsewhere it is an
    in-process ``MlflowTracker``.
    """
    if os.name != "posix":  # (the child inherits a socket: POSIX only)
        yield make_tracker(cfg, root)
        return
    with ProcessTracker(**_tracker_args(cfg, root)) as tracker:
        yield tracker


def competition_metric(cfg: ResolvedConfig) -> Metric:
    """The competition's metric, from its registry (a plug-in's metric included)."""
    comp = cfg.competition
    return competition_registry(cfg).metric(comp.metric, comp.task)


def _tracker_args(cfg: ResolvedConfig, root: Path) -> dict[str, Any]:
    comp = cfg.competition
    metric = competition_metric(cfg)
    return {
        "uri": tracking_uri(cfg, root),
        "experiment": comp.tracking.experiment or comp.name,
        "root": root,
        "description": comp.description,
        "experiment_tags": runs_view_tags(metric.name, metric.greater_is_better),
    }
