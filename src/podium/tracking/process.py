"""A :class:`~podium.tracking.base.Tracker` that logs from a child process.

Importing MLflow and matplotlib is ~3 s of Python bytecode. Done on a thread beside model
training it holds the GIL against the training loop (LightGBM's Python loop between boosting
rounds waits for it), and the run pays for both. :class:`ProcessTracker` opens an
:class:`~podium.tracking.mlflow_tracker.MlflowTracker` in a child process instead: the
child imports MLflow, matplotlib and opens the store on the other core while the parent
trains; the parent imports neither.

The child is a fresh interpreter (``python -m podium.tracking._child``, which serves the
calls), not a
``multiprocessing`` process, so it never re-imports the caller's main script. Each call is
forwarded over a socket and answered before the next one, so a failure surfaces where it
happened, as a one-line :class:`~podium.exceptions.TrackingError`. Figures can be passed
as :class:`~podium.tracking.base.Plot` objects, drawn in the child. If the parent dies, the
child ends the runs it had open as ``KILLED`` and exits (see :mod:`podium.lifeline`). If the
child dies (the OOM killer), the parent ends the runs it had open as ``FAILED`` through a
new child, so no run is left ``RUNNING``.
"""

from __future__ import annotations

import atexit
import os
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podium.exceptions import TrackingError, one_line
from podium.tracking.base import RunOptions, TrackerBase, _close_figure, flatten_params

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    import pandas as pd

__all__ = ["ProcessTracker", "warm_up"]

_READY_TIMEOUT = 600.0  # seconds; opening a remote store retries for a while
_CLOSE_TIMEOUT = 120.0  # seconds for the child to finish its last writes
_RESCUE_TIMEOUT = 120.0  # seconds for a new child to end a dead child's runs

_warm: tuple[subprocess.Popen[bytes], Connection] | None = None
_warm_lock = threading.Lock()


def _spawn() -> tuple[subprocess.Popen[bytes], Connection]:
    """Start a child; it imports MLflow and matplotlib, then waits for its setup."""
    from multiprocessing.connection import Connection

    # The child resolves modules as this process does (a script may have extended sys.path).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    ours, theirs = socket.socketpair()
    with ours, theirs:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "podium.tracking._child",
                str(theirs.fileno()),
                str(os.getpid()),
            ],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C reaches the parent, which ends the runs
        )
        return proc, Connection(os.dup(ours.fileno()))


def warm_up() -> None:
    """Start a tracking child now, for the next :class:`ProcessTracker` of this process.

    A command that will log a run calls this first: the child imports MLflow and
    matplotlib while the command imports pandas and scikit-learn and reads the data. An
    unused child is stopped when this process exits.
    """
    global _warm
    with _warm_lock:
        if _warm is None and os.name == "posix":
            _warm = _spawn()
            atexit.register(_discard_warm)


def _take_warm() -> tuple[subprocess.Popen[bytes], Connection]:
    global _warm
    with _warm_lock:
        taken, _warm = _warm, None
    if taken is not None and taken[0].poll() is None:
        return taken
    return _spawn()


def _discard_warm() -> None:
    """At exit: stop a warmed-up child that was never used (it holds no run)."""
    global _warm
    with _warm_lock:
        taken, _warm = _warm, None
    if taken is not None:
        _stop(*taken)


def _stop(proc: subprocess.Popen[bytes], conn: Connection, grace: float = 0.0) -> None:
    """Close our end, give the child ``grace`` seconds to finish (it ends open runs when it
    sees the socket close), then kill it; always reaped."""
    with suppress(OSError):
        conn.close()
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    if proc.poll() is None:
        proc.kill()
    proc.wait()


class ProcessTracker(TrackerBase):
    """Log to MLflow from a child process; same arguments as ``MlflowTracker``.

    The constructor returns at once; :meth:`wait_ready` (called by the first forwarded
    call) waits until the child has opened the store. Runs nest in the order they are
    opened, whichever thread opens them (the child serves one request at a time). Use it
    as a context manager, or call :meth:`close`, to end the child.

    If a call is interrupted (Ctrl-C) or the socket fails, the tracker is broken: it
    closes its end, the child ends the open runs as ``KILLED``, and later calls raise
    :class:`~podium.exceptions.TrackingError`.

    Args:
        uri: tracking URI, resolved by the caller (the child works with this process's
            environment and working folder as they are at this call).
        experiment: experiment name.
        root: project root (for ``MlflowTracker``'s defaults).
        description, experiment_tags: the experiment's description and tags (see
            ``MlflowTracker``).
    """

    def __init__(
        self,
        *,
        uri: str,
        experiment: str,
        root: Path | None = None,
        description: str = "",
        experiment_tags: Mapping[str, str] | None = None,
    ) -> None:
        self._proc, self._conn = _take_warm()
        self._ready = False
        self._broken: str | None = None  # why the socket can no longer be used
        self._closed = False
        self._lock = threading.Lock()
        self._open: list[str] = []  # ids of the runs open in the child, outermost first
        self.uri = uri
        self.experiment = experiment
        self._setup = pickle.dumps({
            "environ": dict(os.environ),
            "cwd": os.getcwd(),
            "argv": list(sys.argv),
            "tracker": {
                "uri": uri, "experiment": experiment, "root": root, "description": description,
                "experiment_tags": dict(experiment_tags or {}),
            },
        })  # fmt: skip
        with self._lock:
            self._exchange(self._setup, reply=False)

    # -- plumbing -------------------------------------------------------------------------

    def _break(self, why: str) -> TrackingError:
        """Give up on the socket: the child sees it close and ends its runs ``KILLED``."""
        if self._broken is None:
            self._broken = why
            with suppress(OSError):
                self._conn.close()
        return TrackingError(why)

    def _died(self) -> TrackingError:
        error = self._break(f"the tracking process died (exit code {self._exit_code()})")
        if self._open:  # nobody else will end them: a new child does
            runs, self._open = list(self._open), []
            with suppress(Exception):
                _end_runs_in_new_child(self._setup, runs, str(error))
        return error

    def _exit_code(self) -> int | None:
        with suppress(subprocess.TimeoutExpired):
            return self._proc.wait(timeout=5)
        return None

    def _exchange(self, request: bytes, *, reply: bool = True) -> Any:
        """Send a pickled request and read its answer; anything that interrupts the pair
        (Ctrl-C, a dead child) breaks the tracker, so requests and answers never slip."""
        if self._broken is not None:
            raise TrackingError(self._broken)
        try:
            self._conn.send_bytes(request)
        except OSError as exc:
            raise self._died() from exc
        except BaseException:
            self._break("a call to the tracking process was interrupted")
            raise
        return self._receive() if reply else None

    def _receive(self) -> Any:
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise self._died() from exc
        except BaseException:
            self._break("a call to the tracking process was interrupted")
            raise
        if status == "error":
            raise TrackingError(value)
        return value

    def wait_ready(self, timeout: float = _READY_TIMEOUT) -> None:
        """Wait until the child has opened the store.

        Raises:
            TrackingError: the store could not be opened (the child's one-line message),
                or not within ``timeout`` seconds (the child is stopped).
        """
        if self._ready:
            return
        if self._broken is not None:
            raise TrackingError(self._broken)
        try:
            opened = self._conn.poll(timeout)
        except BaseException:
            self._break("waiting for the tracking store was interrupted")
            raise
        if not opened:
            error = self._break(f"the tracking store did not open within {timeout:g} s")
            _stop(self._proc, self._conn)
            raise error
        try:
            self._receive()
        except TrackingError as exc:
            raise self._break(str(exc)) from exc
        self._ready = True

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            request = pickle.dumps((method, args, kwargs))
        except Exception as exc:
            raise TrackingError(f"cannot send {method} to the tracking process: {exc}") from exc
        with self._lock:  # one request and its answer at a time on the socket
            self.wait_ready()
            return self._exchange(request)

    def close(self) -> None:
        """Let the child finish its writes and exit; safe to call twice.

        A child that has not opened the store yet holds no run: it is stopped at once.
        """
        if self._closed:
            return
        self._closed = True
        with self._lock:
            if not self._ready:
                _stop(self._proc, self._conn)
                return
            if self._broken is None:
                try:
                    self._conn.send_bytes(pickle.dumps(("close", (), {})))
                    if self._conn.poll(_CLOSE_TIMEOUT):
                        self._conn.recv()  # the child has written everything
                except (EOFError, OSError):
                    pass
                except BaseException:
                    _stop(self._proc, self._conn)
                    raise
            _stop(self._proc, self._conn, grace=_CLOSE_TIMEOUT)

    def __enter__(self) -> ProcessTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the Tracker interface ------------------------------------------------------------

    @contextmanager
    def _run(self, name: str, options: RunOptions) -> Iterator[str]:
        """Open a run in the child and yield its id; see ``Tracker.run``."""
        run_id = self._call("enter", name, asdict(options))
        self._open.append(run_id)
        try:
            yield run_id
        except BaseException as exc:
            if self._broken is None:  # (a broken tracker's child ends the run KILLED)
                message = one_line(exc, default="")[:500]
                kind = "KeyboardInterrupt" if isinstance(exc, KeyboardInterrupt) else None
                with suppress(TrackingError):
                    self._call("exit", kind or type(exc).__name__, message)
            raise
        finally:
            with suppress(ValueError):
                self._open.remove(run_id)
        self._call("exit", None, None)

    def end_orphaned_runs(self) -> list[str]:
        """End ``KILLED`` the experiment's runs whose writing process died (see
        ``MlflowTracker.end_orphaned_runs``); returns their ids."""
        return self._call("end_orphaned_runs")

    def list_runs(self, *, parent_only: bool = True, max_results: int = 100) -> list[Any]:
        """The experiment's runs as ``RunSummary`` objects, newest first."""
        return self._call("list_runs", parent_only=parent_only, max_results=max_results)

    def load_frame(self, run_id: str, name: str) -> pd.DataFrame:
        """A parquet artifact of ``run_id`` logged with :meth:`log_frame`."""
        return self._call("load_frame", run_id, name)

    def log_params(self, params: Mapping[str, Any]) -> None:
        self._call("log_params", flatten_params(params))

    def log_metrics(self, metrics: Mapping[str, float], *, step: int | None = None) -> None:
        try:
            values = {str(k): float(v) for k, v in metrics.items()}
        except (TypeError, ValueError) as exc:
            raise TrackingError(f"metric values must be numbers: {dict(metrics)!r}") from exc
        self._call("log_metrics", values, step=step)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        self._call("set_tags", {str(k): str(v) for k, v in tags.items()})

    def log_artifact(self, path: Path, *, artifact_path: str | None = None) -> None:
        self._call("log_artifact", Path(path).resolve(), artifact_path=artifact_path)

    def log_text(self, text: str, name: str) -> None:
        self._call("log_text", text, name)

    def log_frame(self, df: pd.DataFrame, name: str) -> None:
        self._call("log_frame", df, name)

    def log_figure(self, fig: Any, name: str) -> None:
        """``fig``: a :class:`~podium.tracking.base.Plot` (drawn in the child) or a figure."""
        try:
            self._call("log_figure", fig, name)
        finally:
            _close_figure(fig)


def _end_runs_in_new_child(setup: bytes, run_ids: list[str], why: str) -> None:
    """End ``run_ids`` as ``FAILED`` (tagged ``why``) from a new tracking child: the one
    that held them died."""
    proc, conn = _spawn()
    try:
        conn.send_bytes(setup)
        if not conn.poll(_RESCUE_TIMEOUT):
            return
        status, _ = conn.recv()
        if status != "ready":
            return
        conn.send_bytes(pickle.dumps(("end_runs", (run_ids,), {"error": why})))
        if conn.poll(_RESCUE_TIMEOUT):
            conn.recv()
        conn.send_bytes(pickle.dumps(("close", (), {})))
        if conn.poll(_CLOSE_TIMEOUT):
            conn.recv()
    finally:
        _stop(proc, conn, grace=_CLOSE_TIMEOUT)
