"""``python -m podium.tracking._child FD PARENT``: the tracking child process of
:class:`~podium.tracking.process.ProcessTracker`, serving on the socket ``FD``.

When the parent dies its end of the socket closes: the child ends the runs it holds as
``KILLED`` and exits. A watchdog (:func:`podium.lifeline.watch_parent`) ends the child
anyway if that takes longer than a grace period."""

from __future__ import annotations

import os
import pickle
import sys
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from typing import Any

from podium.exceptions import TrackingError, one_line
from podium.lifeline import watch_parent

__all__ = ["serve"]

_GRACE = 60.0  # seconds after the parent's death to end the runs it held


def _load() -> BaseException | None:
    """Import MLflow (quietly) and matplotlib while the parent sends its setup; a failure
    is returned, for the parent to report in one line."""
    try:
        import podium.tracking.plots  # noqa: F401  (matplotlib, for Plot objects)
        from podium.tracking.mlflow_tracker import preload

        preload()
    except Exception as exc:
        return exc
    return None


def _failure(type_name: str, message: str) -> BaseException:
    """An exception that reads like the parent's (``MlflowTracker`` tags the run with it)."""
    if type_name == "KeyboardInterrupt":
        return KeyboardInterrupt()
    cls = type(type_name, (Exception,), {})
    return cls(message) if message else cls()


def serve(fd: int, failure: BaseException | None = None) -> None:
    """The child's main: open the tracker, then answer ``(method, args, kwargs)`` requests
    on the connection ``fd`` until the parent says ``close`` or goes away.

    ``failure``: the child could not import what it needs; the parent is told so, in one
    line, when it asks for the store.
    """
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    runs: list[AbstractContextManager[str]] = []
    try:
        setup = pickle.loads(conn.recv_bytes())
        os.environ.clear()
        os.environ.update(setup["environ"])
        os.chdir(setup["cwd"])
        sys.argv = setup["argv"]  # MLflow's source tags name the parent's command
        if failure is not None:
            raise failure
        from podium.tracking.mlflow_tracker import MlflowTracker

        tracker = MlflowTracker(**setup["tracker"])
    except (EOFError, OSError):  # warmed up, never used: the parent has gone
        return
    except Exception as exc:
        with suppress(OSError):
            conn.send(("error", _one_line(exc, "open the tracking store")))
        return
    try:
        conn.send(("ready", None))
        while True:
            message = conn.recv_bytes()
            try:
                method, args, kwargs = pickle.loads(message)
            except Exception as exc:
                conn.send(("error", _one_line(exc, "read a request")))
                continue
            if method == "close":
                _end_all(runs)
                conn.send(("ok", None))
                return
            try:
                answer = _answer(tracker, runs, method, args, kwargs)
            except Exception as exc:
                conn.send(("error", _one_line(exc, _action(method, args))))
            else:
                conn.send(("ok", answer))
    except (EOFError, OSError):  # the parent died or gave up on us: end what it had open
        _end_all(runs)
    finally:
        with suppress(OSError):
            conn.close()


def _end_all(runs: list[AbstractContextManager[str]]) -> None:
    """End the runs still open, innermost first, as ``KILLED``."""
    while runs:
        with suppress(BaseException):
            runs.pop().__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)


def _action(method: str, args: tuple[Any, ...]) -> str:
    names = [a for a in args if isinstance(a, str | Path)]
    what = method.replace("_", " ")
    return f"{what} {str(names[-1])!r}" if names else what


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
    "log_params", "log_metrics", "set_tags", "log_artifact", "log_text", "log_frame", "log_figure",
    "end_runs", "end_orphaned_runs", "list_runs", "load_frame",
}  # fmt: skip


def _one_line(exc: BaseException, action: str) -> str:
    if isinstance(exc, TrackingError):
        return str(exc)
    return f"the tracking process could not {action}: {one_line(exc, typed=True)}"


if __name__ == "__main__":
    if len(sys.argv) > 2:
        watch_parent(int(sys.argv[2]), grace=_GRACE, on_death=None)
    serve(int(sys.argv[1]), failure=_load())
    # Everything is written and answered: skip tearing down MLflow's ~100k objects.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
