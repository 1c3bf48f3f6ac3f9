"""Processes podium starts die with the process that started them; signals end work cleanly.

Standard library only (every layer may use it):

* :func:`watch_parent`: a child (tracking child, tuning worker, fold worker) ends when its
  parent has gone, however the parent died (SIGKILL included). On Linux the kernel tells
  the child at once (``PR_SET_PDEATHSIG``) where that fits; everywhere a daemon thread
  polls ``os.getppid()``, and ends the process after a grace period.
* :func:`handle_signals`: SIGTERM (and optionally SIGINT) raise :class:`Terminated` /
  ``KeyboardInterrupt`` in the main thread, so ``with`` blocks close their runs as KILLED.
* :func:`process_token` / :func:`token_alive`: name the process writing a run, so a later
  command can tell a run whose writer died from one still being written.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = [
    "Terminated",
    "exit_code",
    "handle_signals",
    "signals_held",
    "signals_let_in",
    "process_token",
    "token_alive",
    "watch_parent",
]

_PR_SET_PDEATHSIG = 1
_watched: dict[int, int] = {}  # our pid -> the parent pid a watchdog follows
_lock = threading.Lock()
_hold = [0]  # > 0: a signal handle_signals catches waits (a trial being registered)
_held: list[int] = []  # the signals that came while held
_lost: list[int] = []  # a signal whose exception a finalizer swallowed: deliver it again


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread: handled like Ctrl-C (runs end KILLED)."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__()
        self.signum = signum


def exit_code(exc: BaseException) -> int:
    """The shell's exit code for an interrupted command: 128 + the signal (130, 143)."""
    return 128 + (exc.signum if isinstance(exc, Terminated) else signal.SIGINT)


def handle_signals(*, once: bool = False, sigint: bool = False) -> None:
    """Raise :class:`Terminated` on SIGTERM (and on SIGINT with ``sigint``) in the main
    thread. ``once``: later signals are ignored, so the clean-up the first one started
    (ending a trial, a run) is not cut short. Once a signal has come, errors of background
    threads (a worker pool torn down under them) are not printed: the command reports the
    interrupt in one line. Does nothing off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return
    fired: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if once and fired and not _lost:
            return
        _lost.clear()
        fired.append(signum)
        threading.excepthook = _quiet
        if _hold[0]:
            _held.append(signum)
            return
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, handler)
    if sigint:
        signal.signal(signal.SIGINT, handler)
    sys.unraisablehook = _redeliver


def _redeliver(args: Any) -> None:
    """``sys.unraisablehook``: a signal's exception raised inside a finalizer (a
    ``__del__``, a weakref callback of a library, run by the garbage collector) cannot
    leave it; Python would print it as "Exception ignored" with a traceback and go on as
    if no signal had come. The signal is sent again instead, to be raised where the code
    can handle it. Other unraisable errors are printed as Python prints them."""
    exc = args.exc_value
    if isinstance(exc, KeyboardInterrupt):
        signum = getattr(exc, "signum", signal.SIGINT)
        _lost.append(signum)
        # from another thread, a moment later: sent from here, the handler would run at
        # once, still inside this hook
        resend = threading.Timer(0.01, os.kill, (os.getpid(), signum))
        resend.daemon = True
        resend.start()
        return
    sys.__unraisablehook__(args)


@contextmanager
def signals_held() -> Iterator[None]:
    """A signal :func:`handle_signals` catches inside the block is raised when it ends
    (or inside a :func:`signals_let_in` block in it), not at an arbitrary line: e.g. between
    a store creating a record and the code that labels it."""
    _hold[0] += 1
    try:
        yield
    finally:
        _hold[0] -= 1
    if not _hold[0] and _held:
        raise Terminated(_held.pop())


@contextmanager
def signals_let_in() -> Iterator[None]:
    """Inside :func:`signals_held`, signals are raised again in this block (a signal held
    so far is raised on entry)."""
    saved, _hold[0] = _hold[0], 0
    try:
        if _held:
            raise Terminated(_held.pop())
        yield
    finally:
        _hold[0] = saved


def _quiet(args: threading.ExceptHookArgs) -> None:
    """Print nothing for a background thread's error: it is fallout of an interrupt."""


def _set_pdeathsig(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent (thread) exits."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _terminate_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def watch_parent(
    parent: int,
    *,
    grace: float = 10.0,
    interval: float = 0.5,
    on_death: Callable[[], None] | None = _terminate_self,
    deathsig: bool = False,
) -> None:
    """End this process when ``parent`` is no longer its parent (it died).

    Args:
        parent: the pid of the process that started this one (passed by it: if it died
            before this call, ``os.getppid()`` already names another process).
        grace: seconds between ``on_death`` and ``os._exit(1)``.
        interval: seconds between two looks at ``os.getppid()``.
        on_death: what to do first (default: SIGTERM to this process, which a
            :func:`handle_signals` process turns into :class:`Terminated`); ``None``: only
            wait out the grace period (the caller ends its work by other means).
        deathsig: also ask Linux for SIGTERM at the parent's death (no polling delay).
            Only where the thread that started this process lives as long as it.

    Calling it again in the same process does nothing.
    """
    pid = os.getpid()
    with _lock:
        if _watched.get(pid) is not None:
            return
        _watched[pid] = parent
    if deathsig:
        _set_pdeathsig(signal.SIGTERM)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        if on_death is not None:
            try:
                on_death()
            except BaseException:  # noqa: BLE001 - the process ends regardless
                pass
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="podium-lifeline", daemon=True).start()


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell reused pids."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode(errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def process_token(pid: int | None = None) -> str:
    """``host:pid:start`` naming this process (``start`` empty where unknown)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or ''}"


def token_alive(token: str) -> bool | None:
    """Whether the process a :func:`process_token` names still runs; ``None`` if it ran
    on another machine (or the token is not one)."""
    parts = token.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    host, pid_text, start = parts
    if host != socket.gethostname():
        return None
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = _start_ticks(pid)
    if start and now is not None:
        return now == start
    return True
