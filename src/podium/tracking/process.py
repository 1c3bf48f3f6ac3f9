"""A :class:`~podium.tracking.base.Tracker` that logs from a child process.

Importing MLflow and matplotlib is ~3 s of Python bytecode. Done on a thread beside model
training it holds the GIL against the training loop (LightGBM's Python loop between boosting
rounds waits for it), and the run pays for both. :class:`ProcessTracker` opens an
:class:`~podium.tracking.mlflow_tracker.MlflowTracker` in a child process instead: the
child imports MLflow, matplotlib and opens the store on the other core while the parent
trains; the parent imports neither.

The child is a fresh interpreter (``python -m podium.tracking._child``), not a
``multiprocessing`` process, so it never re-imports the caller's main script. Each call is
forwarded over a socket and answered before the next one, so a failure surfaces where it
happened, as a one-line :class:`~podium.exceptions.TrackingError`. Figures can be passed
as :class:`~podium.tracking.base.Plot` objects, drawn in the child. If the parent dies, the
child ends the runs it had open as ``KILLED``.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podium.exceptions import TrackingError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    import pandas as pd

__all__ = ["ProcessTracker", "serve", "warm_up"]

_READY_TIMEOUT = 600.0  # seconds; opening a remote store retries for a while


_warm: tuple[subprocess.Popen[bytes], Connection] | None = None


def _spawn() -> tuple[subprocess.Popen[bytes], Connection]:
    """Start a child; it imports MLflow and matplotlib, then waits for its setup."""
    from multiprocessing.connection import Connection

    ours, theirs = socket.socketpair()
    with ours, theirs:
        proc = subprocess.Popen(
            [sys.executable, "-m", "podium.tracking._child", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the parent, which ends the runs
        )
        return proc, Connection(os.dup(ours.fileno()))


def warm_up() -> None:
    """Start a tracking child now, for the next :class:`ProcessTracker` of this process.

    A command that will log a run calls this first: the child imports MLflow and
    matplotlib while the command imports pandas and scikit-learn and reads the data. An
    unused child exits when this process does.
    """
    global _warm
    if _warm is None and os.name == "posix":
        _warm = _spawn()
        atexit.register(_discard_warm)


def _discard_warm() -> None:
    """At exit: stop a warmed-up child that was never used (it holds no run)."""
    global _warm
    if _warm is not None:
        proc, conn = _warm
        _warm = None
        conn.close()
        proc.kill()
        proc.wait()


class ProcessTracker:
    """Log to MLflow from a child process; same arguments as ``MlflowTracker``.

    The constructor returns at once; :meth:`wait_ready` (called by the first forwarded
    call) waits until the child has opened the store. Runs nest in the order they are
    opened, whichever thread opens them (the child serves one request at a time). Use it
    as a context manager, or call :meth:`close`, to end the child.

    Args:
        uri: tracking URI, resolved by the caller (the child works with this process's
            environment as it is at this call).
        experiment: experiment name.
        root: project root (for ``MlflowTracker``'s defaults).
    """

    def __init__(self, *, uri: str, experiment: str, root: Path | None = None) -> None:
        global _warm
        self._proc, self._conn = _warm or _spawn()
        _warm = None
        self._ready = False
        self._closed = False
        self._lock = threading.Lock()
        self.uri = uri
        self.experiment = experiment
        setup = {
            "environ": dict(os.environ),
            "argv": list(sys.argv),
            "tracker": {"uri": uri, "experiment": experiment, "root": root},
        }
        try:
            self._conn.send(setup)
        except OSError as exc:
            self._closed = True
            raise TrackingError("the tracking process died before it was used") from exc

    # -- plumbing -------------------------------------------------------------------------

    def _receive(self) -> Any:
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            self._closed = True
            code = self._proc.poll()
            raise TrackingError(f"the tracking process died (exit code {code})") from exc
        if status == "error":
            raise TrackingError(value)
        return value

    def wait_ready(self, timeout: float = _READY_TIMEOUT) -> None:
        """Wait until the child has opened the store.

        Raises:
            TrackingError: the store could not be opened (the child's one-line message).
        """
        if self._ready:
            return
        if self._closed:
            raise TrackingError("the tracking process is closed")
        if not self._conn.poll(timeout):
            raise TrackingError(f"the tracking store did not open within {timeout:.0f} s")
        try:
            self._receive()
        except TrackingError:
            self.close()
            raise
        self._ready = True

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:  # one request and its answer at a time on the socket
            self.wait_ready()
            try:
                self._conn.send((method, args, kwargs))
            except (BrokenPipeError, OSError) as exc:
                self._closed = True
                raise TrackingError("the tracking process died") from exc
            return self._receive()

    def close(self) -> None:
        """Finish the child (it has written everything by then); safe to call twice."""
        if self._closed:
            return
        self._closed = True
        with suppress(BrokenPipeError, OSError, EOFError):
            self._conn.send(("close", (), {}))
            self._conn.recv()  # the child has written everything
        try:
            self._proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung store
            self._proc.kill()
            self._proc.wait()
        self._conn.close()

    def __enter__(self) -> ProcessTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the Tracker interface ------------------------------------------------------------

    def run(
        self,
        name: str,
        *,
        nested: bool = False,
        tags: Mapping[str, str] | None = None,
        start_time: float | None = None,
        batch: bool = False,
    ) -> AbstractContextManager[str]:
        """Open a run in the child and yield its id; see ``Tracker.run``."""
        options = {"nested": nested, "tags": dict(tags or {}), "start_time": start_time}
        return self._run(name, {**options, "batch": batch})

    @contextmanager
    def _run(self, name: str, options: dict[str, Any]) -> Iterator[str]:
        run_id = self._call("enter", name, options)
        try:
            yield run_id
        except BaseException as exc:
            message = (str(exc).splitlines() or [""])[0][:500]
            with suppress(TrackingError):
                self._call("exit", type(exc).__name__, message)
            raise
        self._call("exit", None, None)

    def log_params(self, params: Mapping[str, Any]) -> None:
        self._call("log_params", dict(params))

    def log_metrics(self, metrics: Mapping[str, float], *, step: int | None = None) -> None:
        self._call("log_metrics", dict(metrics), step=step)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        self._call("set_tags", dict(tags))

    def log_artifact(self, path: Path, *, artifact_path: str | None = None) -> None:
        self._call("log_artifact", Path(path).resolve(), artifact_path=artifact_path)

    def log_text(self, text: str, name: str) -> None:
        self._call("log_text", text, name)

    def log_frame(self, df: pd.DataFrame, name: str) -> None:
        self._call("log_frame", df, name)

    def log_figure(self, fig: Any, name: str) -> None:
        """``fig``: a :class:`~podium.tracking.base.Plot` (drawn in the child) or a figure."""
        self._call("log_figure", fig, name)


# -- the child ------------------------------------------------------------------------------


def _failure(type_name: str, message: str) -> BaseException:
    """An exception that reads like the parent's (``MlflowTracker`` tags the run with it)."""
    if type_name == "KeyboardInterrupt":
        return KeyboardInterrupt()
    cls = type(type_name, (Exception,), {})
    return cls(message) if message else cls()


def serve(fd: int) -> None:
    """The child's main: open the tracker, then answer ``(method, args, kwargs)`` requests
    on the connection ``fd`` until the parent says ``close`` or goes away."""
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    try:
        setup = conn.recv()
    except (EOFError, OSError):  # warmed up, never used: the parent has gone
        return
    os.environ.clear()
    os.environ.update(setup["environ"])
    sys.argv = setup["argv"]  # MLflow's source tags name the parent's command
    try:
        from podium.tracking.mlflow_tracker import MlflowTracker

        tracker = MlflowTracker(**setup["tracker"])
    except Exception as exc:
        conn.send(("error", _one_line(exc)))
        return
    conn.send(("ready", None))
    runs: list[AbstractContextManager[str]] = []
    try:
        while True:
            try:
                method, args, kwargs = conn.recv()
            except (EOFError, OSError):  # the parent died: end what it had open
                while runs:
                    with suppress(BaseException):
                        runs.pop().__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)
                return
            if method == "close":
                conn.send(("ok", None))
                return
            try:
                conn.send(("ok", _answer(tracker, runs, method, args, kwargs)))
            except Exception as exc:
                conn.send(("error", _one_line(exc)))
    finally:
        conn.close()


def _answer(
    tracker: Any,
    runs: list[AbstractContextManager[str]],
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    if method == "enter":
        name, options = args
        cm = tracker.run(name, **options)
        run_id = cm.__enter__()
        runs.append(cm)
        return run_id
    if method == "exit":
        type_name, message = args
        cm = runs.pop()
        if type_name is None:
            cm.__exit__(None, None, None)
            return None
        exc = _failure(type_name, message)
        with suppress(type(exc)):
            cm.__exit__(type(exc), exc, None)
        return None
    if method not in _FORWARDED:
        raise TrackingError(f"unknown tracker call {method!r}")
    return getattr(tracker, method)(*args, **kwargs)


_FORWARDED = {
    "log_params",
    "log_metrics",
    "set_tags",
    "log_artifact",
    "log_text",
    "log_frame",
    "log_figure",
}


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, TrackingError):
        return str(exc)
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
