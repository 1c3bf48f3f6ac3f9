"""podium's logger. Only this module attaches handlers (library modules just log)."""

from __future__ import annotations

import logging
import pickle
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["get_logger", "configure", "show_warnings", "caught_warnings", "replay_warnings"]

T = TypeVar("T")
Caught = tuple[Any, type[Warning], str, int]
"""A warning raised in a worker process: message, category, file and line."""

_ROOT = "podium"


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def configure(level: int = logging.WARNING) -> None:
    """Attach one stderr handler to podium's root logger and quiet noisy libraries."""
    logger = logging.getLogger(_ROOT)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    for noisy in ("alembic", "mlflow", "urllib3", "git"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    show_warnings()


def show_warnings() -> None:
    """Show each warning once per process: a plug-in's (any category), and every
    ``UserWarning``/``FutureWarning`` but loky's retired-worker note; Python's defaults for
    the rest (deprecations are shown only for ``__main__``).

    Python forgets which warnings it has shown whenever a filter changes (libraries
    change them around many calls), so "once" alone would repeat a warning per fold:
    the printer itself skips a (text, category, place) it has printed.
    """
    warnings.filterwarnings("default", category=UserWarning)
    warnings.filterwarnings("default", category=FutureWarning)
    warnings.filterwarnings("default", module=r"podium_plugin_")
    # loky notes an idle fold worker it retired while a job was queued; the job runs on
    # a new worker, so there is nothing for the user to do
    warnings.filterwarnings("ignore", message="A worker stopped while some jobs were given")
    if not isinstance(warnings.showwarning, _OncePrinter):
        warnings.showwarning = _OncePrinter(warnings.showwarning)


class _OncePrinter:
    """``warnings.showwarning`` that prints a warning the first time only."""

    def __init__(self, show: Callable[..., None]) -> None:
        self.show = show
        self.seen: set[tuple[str, str, str, int]] = set()

    def __call__(
        self, message: Any, category: type[Warning], filename: str, lineno: int,
        file: Any = None, line: str | None = None,
    ) -> None:  # fmt: skip
        key = (str(message), category.__qualname__, filename, lineno)
        if key not in self.seen:
            self.seen.add(key)
            self.show(message, category, filename, lineno, file, line)


def caught_warnings(fn: Callable[..., T], *args: Any) -> tuple[T, list[Caught]]:
    """``fn(*args)`` in a worker process, with the warnings it raised recorded (not
    printed), for :func:`replay_warnings` in the parent: the parent's filters then decide
    what is shown, once per run rather than once per worker and fold."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        value = fn(*args)
    caught: list[Caught] = []
    kept: set[tuple[str, str, str, int]] = set()
    for w in seen:
        key = (str(w.message), w.category.__qualname__, w.filename, w.lineno)
        if key in kept:  # a warning raised in a loop travels once
            continue
        kept.add(key)
        item: Caught = (w.message, w.category, w.filename, w.lineno)
        try:
            pickle.dumps(item)
        except Exception:  # a warning that cannot travel: its text does
            item = (str(w.message), UserWarning, w.filename, w.lineno)
        caught.append(item)
    return value, caught


def replay_warnings(caught: list[Caught]) -> None:
    """Issue warnings recorded by :func:`caught_warnings` here, under the filters of the
    module that raised them (shown once each after :func:`show_warnings`)."""
    modules = {getattr(m, "__file__", None): name for name, m in list(sys.modules.items())}
    for message, category, filename, lineno in caught:
        module = modules.get(filename) or filename.rpartition("/")[2].removesuffix(".py")
        warnings.warn_explicit(message, category, filename, lineno, module=module, registry={})
