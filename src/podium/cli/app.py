"""``podium`` commands. Each parses arguments, calls a library function and reports.

Errors in user input print one line and exit with code 2; ``-v`` shows the traceback.
"""

from __future__ import annotations

import functools
import gc
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from podium.exceptions import PodiumError, one_line

__all__ = ["app", "command", "main", "print_notices", "project_root"]

app = typer.Typer(
    name="podium",
    help="Win Kaggle-style competitions: one fold assignment, leak-free CV, MLflow runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

_state = {"verbose": False}


def project_root() -> Path:
    """The folder holding ``competitions/`` (or ``pyproject.toml``): cwd or an ancestor."""
    from podium.project import project_root as find

    return find()


def fail(exc: BaseException) -> None:
    """Print one line (traceback with -v) and exit 2."""
    if _state["verbose"]:
        traceback.print_exception(exc, file=sys.stderr)
    msg = one_line(exc)
    err.print(f"[bold red]error:[/] {msg}", markup=True, highlight=False)
    raise typer.Exit(code=2)


def command(
    name: str | None = None, *, group: typer.Typer | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a podium command (on ``group``, default the main app) whose body's
    :class:`~podium.exceptions.PodiumError` is one line and exit 2 (:func:`fail`): the
    one wrapper every command goes through."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def body(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except PodiumError as exc:
                fail(exc)

        return (group or app).command(name)(body)

    return register


def print_notices(notices: list[str] | tuple[str, ...], console: Console | None = None) -> None:
    """One line per notice of the data loader (train-only columns dropped, ...)."""
    for notice in notices:
        (console or err).print(f"notice: {notice}", markup=False)


def _interrupted(exc: BaseException) -> None:
    """One line and the shell's exit code for a signal (130 Ctrl-C, 143 SIGTERM)."""
    from podium.lifeline import exit_code

    code = exit_code(exc)
    what = "terminated (SIGTERM)" if code == 143 else "interrupted"
    err.print(f"{what}: runs in progress were ended as KILLED", highlight=False)
    sys.exit(code)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Show tracebacks.")] = False,
) -> None:
    _state["verbose"] = verbose


def main() -> None:
    """Console-script entry point.

    Ctrl-C and SIGTERM end a command the same way: open runs end KILLED, one line is
    printed and the exit code is 130 (SIGINT) or 143 (SIGTERM).
    """
    from podium.cli import commands  # noqa: F401  (registers the commands)
    from podium.lifeline import handle_signals
    from podium.logging import configure

    configure()
    handle_signals(sigint=True)
    try:
        app()
    except PodiumError as exc:  # pragma: no cover - commands catch their own
        fail(exc)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    except SystemExit as exc:  # typer turns an interrupt into Exit(130) from it
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, KeyboardInterrupt):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            raise
        _interrupted(cause)
    finally:
        # The process is about to exit: spare it the last garbage collections over every
        # object pandas, scikit-learn and the models made (up to a second; files are closed).
        gc.freeze()
