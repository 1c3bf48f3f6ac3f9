"""The tracking interface every podium stage logs through, and a tracker that does nothing.

Stages receive a :class:`Tracker` and never import MLflow themselves: the engine passes an
:class:`~podium.tracking.mlflow_tracker.MlflowTracker` for real runs and a
:class:`NullTracker` for library use and tests. The module also holds :class:`RunSummary`
and the tracking-store location helpers. It only uses the standard library, so a bad store
URI fails fast, before MLflow is imported.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from podium.exceptions import TrackingError
from podium.stores import store_problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Tracker",
    "NullTracker",
    "RunOptions",
    "TrackerBase",
    "Plot",
    "RunSummary",
    "flatten_params",
    "cv_metrics",
    "run_kind",
    "RUN_KINDS",
    "default_tracking_uri",
    "resolve_tracking_uri",
    "check_reachable",
]


@runtime_checkable
class Tracker(Protocol):
    """What podium needs from an experiment tracker.

    All ``log_*`` methods write to the innermost run opened with :meth:`run`.
    """

    def run(
        self,
        name: str,
        *,
        nested: bool = False,
        tags: Mapping[str, str] | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        batch: bool = False,
    ) -> AbstractContextManager[str]:
        """Open a run and yield its id.

        Args:
            name: Run name shown in the UI.
            nested: Make the run a child of the currently open run.
            tags: Tags set when the run is created.
            start_time: When the work began (seconds since the epoch); default now.
            end_time: When the work ended, for work logged after it was done; default
                when the run ends.
            batch: Hold params, metrics and tags until the run ends and write them in as
                few requests as the store allows (for runs logged all at once).

        If the body raises, the run ends with status ``FAILED`` and the exception propagates.
        """
        ...

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log parameters; nested mappings become dotted keys, values are stringified."""
        ...

    def log_metrics(self, metrics: Mapping[str, float], *, step: int | None = None) -> None:
        """Log numeric metrics, optionally at a step (e.g. a fold or an iteration)."""
        ...

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """Set tags on the open run."""
        ...

    def log_artifact(self, path: Path, *, artifact_path: str | None = None) -> None:
        """Copy a local file or folder into the run's artifacts."""
        ...

    def log_text(self, text: str, name: str) -> None:
        """Store ``text`` as the artifact ``name`` (e.g. ``"config.resolved.yaml"``)."""
        ...

    def log_frame(self, df: pd.DataFrame, name: str) -> None:
        """Store a data frame as a parquet artifact (e.g. ``"oof.parquet"``)."""
        ...

    def log_figure(self, fig: Any, name: str) -> None:
        """Store a matplotlib figure, or a :class:`Plot` drawn on demand, as a png artifact
        and close the figure."""
        ...


@dataclass(frozen=True, eq=False, init=False)
class Plot:
    """A figure to draw later: one of :mod:`podium.tracking.plots`' functions and its
    arguments. Trackers draw it when they log it, so a caller that only logs plots never
    imports matplotlib, and a tracker in another process draws it there.

    Example:
        ``tracker.log_figure(Plot("roc_curve_figure", y, oof), "roc_curve.png")``
    """

    kind: str
    args: tuple[Any, ...]

    def __init__(self, kind: str, *args: Any) -> None:
        if not kind.endswith("_figure") or kind.startswith("_"):
            raise ValueError(f"not a plot function of podium.tracking.plots: {kind!r}")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "args", args)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Plot, (self.kind, *self.args))

    def draw(self) -> Any:
        """The matplotlib figure."""
        from podium.tracking import plots

        return getattr(plots, self.kind)(*self.args)

    def png(self) -> bytes:
        """The figure as png bytes (100 dpi, as trackers store figures)."""
        import io

        buffer = io.BytesIO()
        self.draw().savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


RUN_KINDS = ("run", "tune", "audit", "blend")
"""What a top-level run is: ``podium run``, a ``podium tune`` session, an audit, a blend."""


def run_kind(tags: Mapping[str, str]) -> str:
    """One of :data:`RUN_KINDS`, read from a run's tags."""
    if tags.get("podium.kind") == "tune":
        return "tune"
    if tags.get("podium.audit"):
        return "audit"
    if tags.get("podium.blend"):
        return "blend"
    return "run"


def cv_metrics(
    metrics: Mapping[str, float], metric: str | None = None
) -> tuple[float | None, float | None]:
    """A run's CV mean and std, from whichever keys it was logged under: ``cv_mean`` and
    ``cv_std``, or ``cv_<metric>`` and ``cv_<metric>_std``; a tuning session's
    ``best_value`` as its mean. The one place that knows the CV metric keys."""
    for mean_key, std_key in (("cv_mean", "cv_std"), (f"cv_{metric}", f"cv_{metric}_std")):
        if mean_key in metrics:
            return metrics[mean_key], metrics.get(std_key)
    return metrics.get("best_value"), None


@dataclass(frozen=True)
class RunSummary:
    """One line of ``podium runs``: a (parent) run and its cross-validation result.

    Attributes:
        run_id: MLflow run id.
        name: Run name.
        status: ``RUNNING``, ``FINISHED``, ``FAILED`` or ``KILLED``.
        start_time: When the run started (timezone-aware, UTC).
        duration_s: Seconds from start to end, ``None`` while running.
        metric: Name of the competition metric (tag ``podium.metric``).
        cv_mean: Mean cross-validation score (see :func:`cv_metrics`).
        cv_std: Standard deviation over folds.
        models: Model names (tag ``podium.models``, comma separated).
        submission: Path of the written submission (tag ``podium.submission``).
        tags: All tags of the run.
    """

    run_id: str
    name: str
    status: str
    start_time: datetime
    duration_s: float | None = None
    metric: str | None = None
    cv_mean: float | None = None
    cv_std: float | None = None
    models: list[str] = field(default_factory=list)
    submission: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """``run``, ``tune``, ``audit`` or ``blend`` (:func:`run_kind`)."""
        return run_kind(self.tags)

    @property
    def pipeline(self) -> str | None:
        """The pipeline's name (tag ``podium.pipeline``; ``blend:<method>`` for a blend)."""
        return self.tags.get("podium.pipeline")

    @property
    def short_id(self) -> str:
        """The first 8 characters of the run id (any unique prefix names the run)."""
        return self.run_id[:8]

    @classmethod
    def from_run(cls, run: Any) -> RunSummary:
        """Summarize an MLflow ``Run`` (read through its ``info`` and ``data`` attributes)."""
        info, data = run.info, run.data
        tags = dict(data.tags)
        duration = None
        if info.end_time and info.start_time:
            duration = (info.end_time - info.start_time) / 1000
        cv_mean, cv_std = cv_metrics(data.metrics, tags.get("podium.metric"))
        return cls(
            run_id=info.run_id,
            name=info.run_name or "",
            status=info.status,
            start_time=datetime.fromtimestamp((info.start_time or 0) / 1000, tz=UTC),
            duration_s=duration,
            metric=tags.get("podium.metric"),
            cv_mean=cv_mean,
            cv_std=cv_std,
            models=[m.strip() for m in tags.get("podium.models", "").split(",") if m.strip()],
            submission=tags.get("podium.submission"),
            tags=tags,
        )


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten nested mappings into dotted keys with string values.

    Args:
        params: Possibly nested parameters, e.g. ``{"model": {"lr": 0.1}}``.
        prefix: Key prefix used for recursion.

    Returns:
        A flat mapping such as ``{"model.lr": "0.1"}``. Empty mappings are kept as ``"{}"``.
    """
    flat: dict[str, str] = {}
    for key, value in params.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_params(value, prefix=f"{full}."))
        else:
            flat[full] = str(value)
    return flat


@dataclass(frozen=True)
class RunOptions:
    """The options of one :meth:`Tracker.run` call (see there), its tags as strings."""

    nested: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    start_time: float | None = None
    end_time: float | None = None
    batch: bool = False


class TrackerBase:
    """:meth:`Tracker.run` for podium's trackers, written once: it packs the call's
    options into :class:`RunOptions` and opens the run with the tracker's ``_run``."""

    # Tracker.run's signature stated again: a class implements a Protocol by stating its
    # methods (this statement serves NullTracker, MlflowTracker and ProcessTracker).
    def run(
        self,
        name: str,
        *,
        nested: bool = False,
        tags: Mapping[str, str] | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        batch: bool = False,
    ) -> AbstractContextManager[str]:
        """Open a run and yield its id; see :meth:`Tracker.run`."""
        strings = {str(k): str(v) for k, v in (tags or {}).items()}
        return self._run(name, RunOptions(nested, strings, start_time, end_time, batch))

    def _run(self, name: str, options: RunOptions) -> AbstractContextManager[str]:
        raise NotImplementedError


class NullTracker(TrackerBase):
    """A :class:`Tracker` that records nothing; ``run()`` yields ``""``."""

    def _run(self, name: str, options: RunOptions) -> AbstractContextManager[str]:
        return nullcontext("")

    # Each method of the Tracker protocol stated again, as every tracker states it: one
    # that did not would not be a Tracker (inheriting the protocol's bodies would make
    # every method optional for the trackers that subclass it).
    def log_params(self, params: Mapping[str, Any]) -> None:
        """Do nothing."""

    def log_metrics(self, metrics: Mapping[str, float], *, step: int | None = None) -> None:
        """Do nothing."""

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """Do nothing."""

    def log_artifact(self, path: Path, *, artifact_path: str | None = None) -> None:
        """Do nothing."""

    def log_text(self, text: str, name: str) -> None:
        """Do nothing."""

    def log_frame(self, df: pd.DataFrame, name: str) -> None:
        """Do nothing."""

    def log_figure(self, fig: Any, name: str) -> None:
        """Close the figure (so callers never leak pyplot figures) and do nothing else."""
        _close_figure(fig)


def _close_figure(fig: Any) -> None:
    """Close ``fig`` in pyplot if pyplot is loaded; bare ``Figure`` objects need nothing."""
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None and not isinstance(fig, Plot):
        pyplot.close(fig)


# -- store locations (stdlib only, so a bad URI fails fast without importing MLflow) ---------


def resolve_tracking_uri(uri: str | None, root: Path) -> str:
    """``uri`` if given, else ``$MLFLOW_TRACKING_URI``, else :func:`default_tracking_uri`."""
    return uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(root)


def default_tracking_uri(root: Path) -> str:
    """Return ``sqlite:///<abs root>/mlruns/mlflow.db`` and create the ``mlruns`` folder."""
    folder = Path(root).expanduser().resolve() / "mlruns"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrackingError(f"cannot create the tracking folder {folder}: {exc}") from exc
    return f"sqlite:///{folder / 'mlflow.db'}"


def check_reachable(uri: str, timeout: float = 3.0) -> None:
    """Fail fast, with one line, if the tracking store at ``uri`` cannot be used (see
    :func:`podium.stores.store_problem`).

    Raises:
        TrackingError: The store cannot be used.
    """
    problem = store_problem(uri, what="the tracking store", timeout=timeout)
    if problem is not None:
        raise TrackingError(problem)
