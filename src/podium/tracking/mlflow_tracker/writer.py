"""Writing runs to MLflow: :class:`MlflowTracker` (a :class:`~podium.tracking.base.Tracker`)."""

from __future__ import annotations

import hashlib
import pickle
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

from podium.exceptions import TrackingError, one_line
from podium.lifeline import process_token, token_alive
from podium.stores import creation_lock, sqlite_path
from podium.tracking.base import (
    Plot,
    RunOptions,
    TrackerBase,
    _close_figure,
    check_reachable,
    flatten_params,
    resolve_tracking_uri,
)
from podium.tracking.mlflow_tracker._calls import NO_URL_PRINT, NOTE_TAG, WRITER_TAG, calling
from podium.tracking.mlflow_tracker.reader import Reading

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MlflowTracker"]

_PNGS_KEPT = 4  # drawn plots kept for logging again


class MlflowTracker(Reading, TrackerBase):
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
        with calling(self.uri, "open the tracking store"), creation_lock(self.uri):
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
    def _run(self, name: str, options: RunOptions) -> Iterator[str]:
        """Open a run and yield its id; see :meth:`podium.tracking.base.Tracker.run`.

        ``start_time`` and ``end_time`` (seconds since the epoch) record work done before
        the run was opened, e.g. a model trained while the store was still being opened:
        the run's duration is then the work's. ``batch``
        holds params, metrics and tags until the run ends (also when it fails) and writes
        them in one ``log_batch`` request where MLflow's limits allow: each request is a
        database transaction (~30 ms with SQLite), so a run logged all at once saves many.
        """
        parent = self._open_run()
        if parent is not None and not options.nested:
            raise TrackingError(
                f"cannot start run {name!r} while run {parent} is open - pass nested=True"
            )
        all_tags = {**self._context_tags, **options.tags}
        all_tags["mlflow.runName"] = name
        all_tags[WRITER_TAG] = self._writer
        if parent is not None:
            all_tags["mlflow.parentRunId"] = parent
        with calling(self.uri, f"start run {name!r}"):
            created = self._client.create_run(
                self.experiment_id,
                tags=all_tags,
                run_name=name,
                start_time=None if options.start_time is None else int(options.start_time * 1000),
            )
        run_id = created.info.run_id
        ended = None if options.end_time is None else int(options.end_time * 1000)
        stack = self._stacks.setdefault(threading.get_ident(), [])
        stack.append(run_id)
        if options.batch:
            self._held[run_id] = {"metrics": [], "params": [], "tags": []}
        try:
            yield run_id
        except BaseException as exc:
            status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
            with suppress(Exception), calling(self.uri, f"end run {name!r}", NO_URL_PRINT):
                self._flush(run_id)
            with suppress(Exception), calling(self.uri, f"end run {name!r}", NO_URL_PRINT):
                error = one_line(exc, typed=True)[:500]
                self._client.set_tag(run_id, "podium.error", error)
                self._client.set_terminated(run_id, status=status, end_time=ended)
            raise
        else:
            try:
                with calling(self.uri, f"end run {name!r}", NO_URL_PRINT if parent else None):
                    self._flush(run_id)
                    self._client.set_terminated(run_id, status="FINISHED", end_time=ended)
            except TrackingError as exc:  # the held values were refused: not a finished run
                with suppress(Exception), calling(self.uri, f"end run {name!r}", NO_URL_PRINT):
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
            self._client.log_batch(run_id, request["metrics"], request["params"], request["tags"])

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
        with calling(self.uri, f"log {kind}"):
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
        with calling(self.uri, f"log artifact {path.name!r}"):
            if path.is_dir():
                self._client.log_artifacts(run_id, str(path), artifact_path)
            else:
                self._client.log_artifact(run_id, str(path), artifact_path)

    def log_text(self, text: str, name: str) -> None:
        """Store ``text`` as the artifact ``name``."""
        run_id = self._current()
        with calling(self.uri, f"log {name!r}"):
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
            with calling(self.uri, f"log {name!r}"):
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
            with calling(self.uri, f"log figure {name!r}"):
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
        with calling(self.uri, "end runs", NO_URL_PRINT):
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
        with calling(self.uri, "search runs"):
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
