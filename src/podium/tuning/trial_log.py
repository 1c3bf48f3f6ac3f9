"""Trial runs written by one background thread, so tracking never holds up a trial.

Each tracking call costs tens of milliseconds of mostly disk wait (SQLite commits), about
5% of a short trial if made inline. A finished trial is handed over as a
:class:`TrialRecord`; the thread writes it as one nested run (started at the trial's start
time, with its state as a tag) while the next trial trains. :meth:`TrialLogger.flush`
waits for the queue; a tracking error is raised in the caller at the next submit or flush.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from podium.tracking.base import Tracker

__all__ = ["TrialRecord", "TrialLogger", "PARENT_TAG"]

PARENT_TAG = "mlflow.parentRunId"
"""Tag that files a run under a parent run opened by another process."""


@dataclass(frozen=True)
class TrialRecord:
    """One trial as a tracking run: ``state`` is ``complete``, ``pruned`` or ``failed``."""

    name: str
    start_time: float
    tags: dict[str, str]
    params: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    state: str = "complete"
    steps: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    """Metrics logged once per step, e.g. ``{"fold_roc_auc": [(0, 0.81), (1, 0.8)]}``."""
    error: str | None = None


class _Failed(Exception):
    """Ends a failed trial's run as FAILED."""


class TrialLogger:
    """Writes :class:`TrialRecord` runs in order from a daemon thread.

    Args:
        tracker: where the runs go.
        parent_run_id: the session's run when it is open in another process (the runs get
            :data:`PARENT_TAG`); ``None`` nests them under the run open in ``tracker``.
    """

    def __init__(self, tracker: Tracker, *, parent_run_id: str | None = None) -> None:
        self.tracker = tracker
        self.parent_run_id = parent_run_id
        self._queue: queue.Queue[TrialRecord | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def submit(self, record: TrialRecord) -> None:
        """Queue ``record`` (raises the error of an earlier write, if any)."""
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._work, name="podium-trial-log", daemon=True
            )
            self._thread.start()
        self._queue.put(record)

    def flush(self) -> None:
        """Wait until every queued record is written; raise a write error."""
        if self._thread is not None:
            self._queue.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _work(self) -> None:
        while True:
            record = self._queue.get()
            try:
                if record is not None and self._error is None:
                    self._write(record)
            except BaseException as exc:  # handed to the caller
                self._error = exc
            finally:
                self._queue.task_done()

    def _write(self, r: TrialRecord) -> None:
        tags = {**r.tags, "podium.trial_state": r.state}
        nested = self.parent_run_id is None
        if not nested:
            tags[PARENT_TAG] = str(self.parent_run_id)
        try:
            seconds = r.metrics.get("seconds")
            end = None if seconds is None else r.start_time + seconds
            with self.tracker.run(
                r.name, nested=nested, tags=tags, start_time=r.start_time, end_time=end
            ):
                self.tracker.log_params(r.params)
                for key, values in r.steps.items():
                    for step, value in values:
                        self.tracker.log_metrics({key: value}, step=step)
                if r.metrics:
                    self.tracker.log_metrics(r.metrics)
                if r.error is not None:
                    raise _Failed(r.error)
        except _Failed:
            pass
