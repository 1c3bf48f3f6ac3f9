"""Calling MLflow quietly: its import, its logs and warnings, its failures as one line.

Every MLflow call of the package goes through :func:`calling`, which hides
MLflow/Alembic/SQLAlchemy logs and progress bars during the call and turns failures into
one-line :class:`~podium.exceptions.TrackingError` messages; warnings raised inside MLflow
are ignored (see :func:`_quiet_warnings`).
"""

from __future__ import annotations

import errno
import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from podium.exceptions import TrackingError, one_line
from podium.stores import redact

__all__ = ["NOTE_TAG", "NO_URL_PRINT", "WRITER_TAG", "calling", "preload"]

WRITER_TAG = "podium.writer"
"""Tag naming the process that writes a run (:func:`podium.lifeline.process_token`)."""

NOTE_TAG = "mlflow.note.content"
"""The tag MLflow shows as an experiment's (or run's) description."""

_QUIET_LOGGERS = ("mlflow", "alembic", "alembic.runtime.migration", "sqlalchemy")
_QUIET_ENV = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
NO_URL_PRINT = {"MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}
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
def calling(uri: str, action: str, env: Mapping[str, str] | None = None) -> Iterator[None]:
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
