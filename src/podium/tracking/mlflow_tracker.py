"""The MLflow implementation of :class:`~podium.tracking.base.Tracker`.

The only podium module that imports MLflow, lazily (``import mlflow`` takes seconds). Every
MLflow call goes through :func:`_calling`, which hides MLflow/Alembic/SQLAlchemy logs
and progress bars during the call and turns failures into one-line
:class:`~podium.exceptions.TrackingError` messages; warnings raised inside MLflow are
ignored (see :func:`_quiet_warnings`).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import pickle
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

from podium.exceptions import TrackingError, one_line
from podium.lifeline import process_token, token_alive
from podium.stores import creation_lock, redact, sqlite_path
from podium.tracking.base import (
    Plot,
    RunSummary,
    _close_figure,
    check_reachable,
    default_tracking_uri,
    flatten_params,
    resolve_tracking_uri,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MlflowTracker", "default_tracking_uri", "preload"]

_PNGS_KEPT = 4  # drawn plots kept for logging again

WRITER_TAG = "podium.writer"
"""Tag naming the process that writes a run (:func:`podium.lifeline.process_token`)."""

NOTE_TAG = "mlflow.note.content"
"""The tag MLflow shows as an experiment's (or run's) description."""

_QUIET_LOGGERS = ("mlflow", "alembic", "alembic.runtime.migration", "sqlalchemy")
_QUIET_ENV = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
_NO_URL_PRINT = {"MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}
_quiet_lock = threading.RLock()
_quiet_depth = 0
_saved_levels: dict[str, int] = {}


_MLFLOW_MODULES = r"(mlflow|alembic|sqlalchemy)(\.|$)"


def _quiet_warnings() -> None:
    """Ignore warnings raised inside MLflow and its database layers, and only those.

    The filters are added once and stay: ``warnings.catch_warnings`` swaps the process-wide
    filter list, so using it here (the store is opened on a background thread while models
    train) would silence, or later reset, the main thread's warnings too.
    """
    for f in warnings.filters:
        if f[0] == "ignore" and getattr(f[3], "pattern", None) == _MLFLOW_MODULES:
            return
    warnings.filterwarnings("ignore", module=_MLFLOW_MODULES)


def _import_mlflow() -> None:
    _quiet_warnings()
    if "mlflow" not in sys.modules:
        try:
            import mlflow  # noqa: F401
        except ImportError as exc:
            raise TrackingError(f"MLflow is not installed ({exc}) - `uv add mlflow`") from exc


def preload() -> None:
    """Import what a tracker uses (MLflow's client and tag resolvers, parquet), quietly."""
    _import_mlflow()
    import mlflow.tracking.context.registry  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    from mlflow import MlflowClient  # noqa: F401


@contextmanager
def _calling(uri: str, action: str, env: Mapping[str, str] | None = None) -> Iterator[None]:
    """Run MLflow code quietly; re-raise its failures as one-line ``TrackingError``s.

    ``env`` holds MLflow switches set for the call unless the user has set them.
    """
    global _quiet_depth
    _import_mlflow()  # importing MLflow resets its loggers, so it comes before saving them
    added = {k: v for k, v in {**_QUIET_ENV, **(env or {})}.items() if k not in os.environ}
    with _quiet_lock:
        if _quiet_depth == 0:
            for logger in map(logging.getLogger, _QUIET_LOGGERS):
                _saved_levels[logger.name] = logger.level
                if logger.getEffectiveLevel() < logging.CRITICAL:  # errors are raised:
                    logger.setLevel(logging.CRITICAL)  # not also logged with a traceback
        _quiet_depth += 1
        os.environ.update(added)
    try:
        yield
    except TrackingError:
        raise
    except Exception as exc:
        raise TrackingError(f"MLflow could not {action} ({redact(uri)}): {_reason(exc)}") from exc
    finally:
        with _quiet_lock:
            for key in added:
                os.environ.pop(key, None)
            _quiet_depth -= 1
            if _quiet_depth == 0:
                for name, level in _saved_levels.items():
                    logging.getLogger(name).setLevel(level)


def _reason(exc: BaseException) -> str:
    """The first line of the root cause of an MLflow failure: a full disk anywhere in the
    chain as such, else the database's own error where SQLAlchemy wraps one."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 20:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [e.__cause__, e.__context__, getattr(e, "orig", None)]
    for e in seen:
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            return "no space left on device"
        if "database or disk is full" in str(e):  # SQLite's SQLITE_FULL
            return "no space left on device (database or disk is full)"
    orig = getattr(exc, "orig", None)
    base = orig if isinstance(orig, BaseException) else exc
    return one_line(base)


class MlflowTracker:
    """Log podium runs to MLflow through an ``MlflowClient`` (no global MLflow state).

    Args:
        uri: Tracking URI. ``None`` means ``$MLFLOW_TRACKING_URI``, else
            :func:`default_tracking_uri` of ``root``.
        experiment: Experiment name; created on first use.
        artifact_root: Where a new experiment stores artifacts. Defaults to ``artifacts/``
            next to a SQLite database; for other stores the server decides.
        root: Project root used for the default URI (defaults to the working directory).
        description: The experiment's description (its ``mlflow.note.content`` tag, shown
            on the experiment page), e.g. the competition's ``description``; set when it
            differs, left alone when empty.
        experiment_tags: More experiment tags, set when they differ (e.g. the saved runs
            view of :func:`podium.tracking.view.runs_view_tags`).

    Raises:
        TrackingError: The store is unreachable, unwritable or not an MLflow store.
    """

    def __init__(
        self,
        *,
        uri: str | None = None,
        experiment: str,
        artifact_root: Path | None = None,
        root: Path | None = None,
        description: str = "",
        experiment_tags: Mapping[str, str] | None = None,
    ) -> None:
        self.uri = resolve_tracking_uri(uri, root or Path.cwd())
        check_reachable(self.uri)
        db_path = sqlite_path(self.uri)
        if artifact_root is None and db_path is not None:
            artifact_root = db_path.parent / "artifacts"
        self.artifact_root = Path(artifact_root).resolve() if artifact_root else None
        self.experiment = experiment
        self._stacks: dict[int, list[str]] = {}
        self._held: dict[str, dict[str, list[Any]]] = {}
        self._pngs: dict[bytes, bytes] = {}
        self._owner = threading.get_ident()
        self._writer = process_token()
        with _calling(self.uri, "open the tracking store"), creation_lock(self.uri):
            from mlflow import MlflowClient
            from mlflow.tracking.context.registry import resolve_tags

            self._client = MlflowClient(tracking_uri=self.uri)
            self._context_tags: dict[str, str] = resolve_tags()
            self.experiment_id = self._ensure_experiment()
            wanted = dict(experiment_tags or {})
            if description.strip():
                wanted[NOTE_TAG] = description.strip()
            self._tag_experiment(wanted)

    def _tag_experiment(self, wanted: Mapping[str, str]) -> None:
        """Set the experiment tags in ``wanted`` that it does not already have."""
        if not wanted:
            return
        tags = self._client.get_experiment(self.experiment_id).tags or {}
        for key, value in wanted.items():
            if tags.get(key) != value:
                self._client.set_experiment_tag(self.experiment_id, key, value)

    def _ensure_experiment(self) -> str:
        found = self._client.get_experiment_by_name(self.experiment)
        if found is None:
            location = None
            if self.artifact_root is not None:
                self.artifact_root.mkdir(parents=True, exist_ok=True)
                location = self.artifact_root.as_uri()
            try:
                return self._client.create_experiment(self.experiment, artifact_location=location)
            except Exception:  # created concurrently by another process
                found = self._client.get_experiment_by_name(self.experiment)
                if found is None:
                    raise
        if found.lifecycle_stage == "deleted":
            self._client.restore_experiment(found.experiment_id)
        return found.experiment_id

    def _open_run(self) -> str | None:
        stack = self._stacks.get(threading.get_ident()) or self._stacks.get(self._owner)
        return stack[-1] if stack else None

    def _current(self) -> str:
        run_id = self._open_run()
        if run_id is None:
            raise TrackingError("no open run to log to - wrap the code in `with tracker.run(...)`")
        return run_id

    @contextmanager
    def run(
        self,
        name: str,
        *,
        nested: bool = False,
        tags: Mapping[str, str] | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        batch: bool = False,
    ) -> Iterator[str]:
        """Open a run and yield its id; see :meth:`podium.tracking.base.Tracker.run`.

        ``start_time`` and ``end_time`` (seconds since the epoch) record work done before
        the run was opened, e.g. a model trained while the store was still being opened:
        the run's duration is then the work's. ``batch``
        holds params, metrics and tags until the run ends (also when it fails) and writes
        them in one ``log_batch`` request where MLflow's limits allow: each request is a
        database transaction (~30 ms with SQLite), so a run logged all at once saves many.
        """
        parent = self._open_run()
        if parent is not None and not nested:
            raise TrackingError(
                f"cannot start run {name!r} while run {parent} is open - pass nested=True"
            )
        all_tags = {**self._context_tags, **{k: str(v) for k, v in (tags or {}).items()}}
        all_tags["mlflow.runName"] = name
        all_tags[WRITER_TAG] = self._writer
        if parent is not None:
            all_tags["mlflow.parentRunId"] = parent
        with _calling(self.uri, f"start run {name!r}"):
            created = self._client.create_run(
                self.experiment_id,
                tags=all_tags,
                run_name=name,
                start_time=None if start_time is None else int(start_time * 1000),
            )
        run_id = created.info.run_id
        ended = None if end_time is None else int(end_time * 1000)
        stack = self._stacks.setdefault(threading.get_ident(), [])
        stack.append(run_id)
        if batch:
            self._held[run_id] = {"metrics": [], "params": [], "tags": []}
        try:
            yield run_id
        except BaseException as exc:
            status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
            with suppress(Exception), _calling(self.uri, f"end run {name!r}", _NO_URL_PRINT):
                self._flush(run_id)
            with suppress(Exception), _calling(self.uri, f"end run {name!r}", _NO_URL_PRINT):
                error = one_line(exc, typed=True)[:500]
                self._client.set_tag(run_id, "podium.error", error)
                self._client.set_terminated(run_id, status=status, end_time=ended)
            raise
        else:
            try:
                with _calling(self.uri, f"end run {name!r}", _NO_URL_PRINT if parent else None):
                    self._flush(run_id)
                    self._client.set_terminated(run_id, status="FINISHED", end_time=ended)
            except TrackingError as exc:  # the held values were refused: not a finished run
                with suppress(Exception), _calling(self.uri, f"end run {name!r}", _NO_URL_PRINT):
                    self._client.set_tag(run_id, "podium.error", str(exc)[:500])
                    self._client.set_terminated(run_id, status="FAILED")
                raise
        finally:
            self._held.pop(run_id, None)
            stack.remove(run_id)

    def _flush(self, run_id: str) -> None:
        """Write what a ``batch`` run holds."""
        held = self._held.pop(run_id, None)
        if held:
            self._send(run_id, held)

    def _send(self, run_id: str, entities: dict[str, list[Any]]) -> None:
        """``log_batch`` the metrics, params and tags in as few requests as MLflow allows
        (per-kind and total limits per request); ``entities`` is emptied."""
        from mlflow.utils import validation as limits

        sizes = {
            "metrics": limits.MAX_METRICS_PER_BATCH,
            "params": limits.MAX_PARAMS_TAGS_PER_BATCH,
            "tags": limits.MAX_PARAMS_TAGS_PER_BATCH,
        }
        while any(entities.values()):
            request: dict[str, list[Any]] = {}
            room = limits.MAX_ENTITIES_PER_BATCH
            for kind, size in sizes.items():
                pending = entities.get(kind, [])
                take = min(size, room, len(pending))
                request[kind], entities[kind] = pending[:take], pending[take:]
                room -= take
            self._client.log_batch(
                run_id, request["metrics"], request["params"], request["tags"]
            )

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log flattened, stringified params (truncated to MLflow's limit, 100 per batch)."""
        self._log_batch("params", list(flatten_params(params).items()))

    def log_metrics(self, metrics: Mapping[str, float], *, step: int | None = None) -> None:
        """Log metrics at ``step`` (0 when omitted)."""
        try:
            values = [(str(k), float(v)) for k, v in metrics.items()]
        except (TypeError, ValueError) as exc:
            raise TrackingError(f"metric values must be numbers: {dict(metrics)!r}") from exc
        self._log_batch("metrics", values, step=step or 0)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """Set tags on the open run (values truncated to MLflow's limit)."""
        self._log_batch("tags", [(str(k), str(v)) for k, v in tags.items()])

    def _log_batch(self, kind: str, items: list[tuple[str, Any]], step: int = 0) -> None:
        run_id = self._current()
        with _calling(self.uri, f"log {kind}"):
            from mlflow.entities import Metric, Param, RunTag
            from mlflow.utils import validation as limits

            if kind == "metrics":
                now = int(time.time() * 1000)
                entities: list[Any] = [Metric(k, v, now, step) for k, v in items]
            else:
                cls: type[Param | RunTag] = Param
                cut = limits.MAX_PARAM_VAL_LENGTH
                if kind == "tags":
                    cls, cut = (RunTag, limits.MAX_TAG_VAL_LENGTH)
                entities = [cls(k, v[:cut]) for k, v in items]
            if run_id in self._held:
                self._held[run_id][kind].extend(entities)
            else:
                self._send(run_id, {kind: entities})

    def log_artifact(self, path: Path, *, artifact_path: str | None = None) -> None:
        """Copy a local file, or every file of a folder, into the run's artifacts."""
        run_id = self._current()
        path = Path(path)
        if not path.exists():
            raise TrackingError(f"cannot log artifact {path}: no such file or folder")
        with _calling(self.uri, f"log artifact {path.name!r}"):
            if path.is_dir():
                self._client.log_artifacts(run_id, str(path), artifact_path)
            else:
                self._client.log_artifact(run_id, str(path), artifact_path)

    def log_text(self, text: str, name: str) -> None:
        """Store ``text`` as the artifact ``name``."""
        run_id = self._current()
        with _calling(self.uri, f"log {name!r}"):
            self._client.log_text(run_id, text, name)

    def log_frame(self, df: pd.DataFrame, name: str) -> None:
        """Store ``df`` as a parquet artifact (``.parquet`` is appended if missing)."""
        if not name.endswith(".parquet"):
            name += ".parquet"
        self._log_file(name, df.to_parquet)

    def _log_file(self, name: str, write: Callable[[Path], object]) -> None:
        """Log the file ``write(path)`` makes as the artifact ``name`` (``folder/file``)."""
        run_id = self._current()
        folder, _, filename = name.rpartition("/")
        with TemporaryDirectory(prefix="podium-") as tmp:
            local = Path(tmp) / filename
            write(local)
            with _calling(self.uri, f"log {name!r}"):
                self._client.log_artifact(run_id, str(local), folder or None)

    def log_figure(self, fig: Any, name: str) -> None:
        """Store a matplotlib figure, or a :class:`~podium.tracking.base.Plot`, as a png
        artifact and close the figure. A plot logged again (the best model's importance
        figure on the parent run) is drawn once."""
        if "." not in name.rpartition("/")[2]:
            name += ".png"
        if isinstance(fig, Plot):
            self._current()  # no open run: say so before drawing
            png = self._png(fig)
            self._log_file(name, lambda path: path.write_bytes(png))
            return
        try:
            run_id = self._current()
            with _calling(self.uri, f"log figure {name!r}"):
                self._client.log_figure(run_id, fig, name, save_kwargs={"dpi": 100})
        finally:
            _close_figure(fig)

    def _png(self, plot: Plot) -> bytes:
        """``plot`` drawn as png bytes; the last few are kept, keyed by the pickled plot
        (equal for two plots over the same objects, and for two copies received by the
        tracking child)."""
        key = hashlib.sha256(pickle.dumps(plot)).digest()
        if key not in self._pngs:
            while len(self._pngs) >= _PNGS_KEPT:
                self._pngs.pop(next(iter(self._pngs)))
            self._pngs[key] = plot.png()
        return self._pngs[key]

    def end_runs(self, run_ids: list[str], *, status: str = "FAILED", error: str = "") -> None:
        """End the runs still ``RUNNING`` among ``run_ids`` (their writer died), tagged
        ``podium.error``."""
        with _calling(self.uri, "end runs", _NO_URL_PRINT):
            for run_id in run_ids:
                if self._client.get_run(run_id).info.status != "RUNNING":
                    continue
                if error:
                    self._client.set_tag(run_id, "podium.error", error[:500])
                self._client.set_terminated(run_id, status=status)

    def end_orphaned_runs(self) -> list[str]:
        """End ``KILLED`` the experiment's ``RUNNING`` runs whose writer (tag
        :data:`WRITER_TAG`) was a process on this machine that has ended; their ids.

        A command killed with SIGKILL while its tracking child was gone too (or a run
        written in-process) leaves such runs; ``podium tune`` calls this when it resumes.
        """
        with _calling(self.uri, "search runs"):
            running = self._client.search_runs(
                [self.experiment_id], "attributes.status = 'RUNNING'", max_results=1000
            )
        dead = [
            r.info.run_id
            for r in running
            if r.data.tags.get(WRITER_TAG) and token_alive(r.data.tags[WRITER_TAG]) is False
        ]
        self.end_runs(dead, status="KILLED", error="the process writing the run died")
        return dead

    def list_runs(self, *, parent_only: bool = True, max_results: int = 100) -> list[RunSummary]:
        """Return the experiment's runs, newest first (top-level runs only by default)."""
        query = "tags.`mlflow.parentRunId` IS NULL" if parent_only else ""
        with _calling(self.uri, "search runs"):
            runs = self._client.search_runs(
                [self.experiment_id],
                query,
                max_results=max_results,
                order_by=["attributes.start_time DESC"],
            )
        return [RunSummary.from_run(run) for run in runs]

    def download_artifact(self, run_id: str, name: str, dst_dir: Path) -> Path:
        """Copy the artifact ``name`` of ``run_id`` into ``dst_dir`` and return its path."""
        dst = Path(dst_dir)
        dst.mkdir(parents=True, exist_ok=True)
        with _calling(self.uri, f"download artifact {name!r} of run {run_id}"):
            return Path(self._client.download_artifacts(run_id, name, str(dst)))

    def load_frame(self, run_id: str, name: str) -> pd.DataFrame:
        """Read a parquet artifact logged with :meth:`log_frame`."""
        import pandas as pd

        if not name.endswith(".parquet"):
            name += ".parquet"
        with TemporaryDirectory(prefix="podium-") as tmp:
            return pd.read_parquet(self.download_artifact(run_id, name, Path(tmp)))


def find_run(uri: str, key: str) -> RunSummary:
    """The run whose id or name is ``key``, in any experiment of the store.

    Raises:
        ConfigError: no such run (with the closest name), or a name shared by runs.
    """
    from podium.exceptions import ConfigError, did_you_mean

    names: list[str] = []
    with _calling(uri, f"find run {key!r}"):
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        client = MlflowClient(tracking_uri=uri)
        experiments = [e.experiment_id for e in client.search_experiments()]
        found = []
        with suppress(MlflowException):
            found = [client.get_run(key)]
        if not found and experiments:
            quoted = key.replace("'", "\\'")
            found = client.search_runs(experiments, f"attributes.run_name = '{quoted}'")
        if not found and experiments:
            names = [r.info.run_name or "" for r in client.search_runs(experiments)]
    if not found:
        raise ConfigError(
            f"no run {key!r} (by id or name) in {redact(uri)}{did_you_mean(key, names)}"
        )
    if len(found) > 1:
        ids = ", ".join(r.info.run_id for r in found[:3])
        raise ConfigError(f"run name {key!r} is shared by {len(found)} runs ({ids}); give its id")
    return RunSummary.from_run(found[0])


def download_run_artifacts(uri: str, run_id: str, path: str, dst: Path) -> Path:
    """Copy the artifact file or folder ``path`` of ``run_id`` into ``dst``; its local path."""
    Path(dst).mkdir(parents=True, exist_ok=True)
    with _calling(uri, f"download artifact {path!r} of run {run_id}"):
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=uri)
        return Path(client.download_artifacts(run_id, path, str(dst)))
