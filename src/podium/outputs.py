"""Where a command may write: unique run names and output paths checked before any work.

A run's name is unique per run, not per second: two commands started in the same second
get different names and so different default submission paths. An output path is checked
before training: it may not be an input of the run (a data file, anything in the data
folder, the competition or pipeline YAML, a plug-in), an existing folder, or lie in a
folder that cannot be written.

A submission is published only once its run is recorded (:func:`staged`): it is written
beside the target under a hidden name, logged, and renamed into place when the run has
ended FINISHED. A failure or a kill before that leaves no file at the target path.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from podium.exceptions import ConfigError

__all__ = ["atomic_write", "check_output", "staged", "unique_run_name"]


def unique_run_name(prefix: str, started: float) -> str:
    """``<prefix>-YYYYmmdd-HHMMSS-<6 hex>``: the time to read, a random token to be unique."""
    stamp = datetime.fromtimestamp(started, UTC).strftime("%Y%m%d-%H%M%S")
    return f"{prefix}-{stamp}-{secrets.token_hex(3)}"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def check_output(
    target: Path,
    *,
    inputs: Iterable[Path] = (),
    input_dirs: Iterable[Path] = (),
    option: str = "--output",
) -> Path:
    """Refuse an output path that would clobber an input or cannot be written.

    Args:
        target: the file about to be written (a submission, a report).
        inputs: files the run reads (never overwritten).
        input_dirs: folders the run reads from (nothing is written inside them).
        option: how the user named the path, for the message.

    Returns:
        ``target``, unchanged.

    Raises:
        ConfigError: one line naming the path and the reason.
    """
    target = Path(target)
    real = Path(os.path.realpath(target))
    for f in inputs:
        if Path(os.path.realpath(f)) == real:
            raise ConfigError(f"{option} {target}: is an input of the run ({f}); not overwritten")
    for d in input_dirs:
        if _inside(real, Path(os.path.realpath(d))):
            raise ConfigError(
                f"{option} {target}: lies in the data folder {d}; write submissions elsewhere"
            )
    if real.is_dir():
        raise ConfigError(f"{option} {target}: is a folder; give a file path")
    parent = real.parent
    while not parent.exists():  # the nearest existing ancestor is the one to write into
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"{option} {target}: {parent} is a file, not a folder")
    try:  # a real probe: permissions, read-only mounts and root all answer truthfully
        fd, probe = tempfile.mkstemp(prefix=".podium-probe-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(
            f"{option} {target}: cannot write in {parent}: {exc.strerror or exc}"
        ) from None
    return target


def atomic_write(path: Path, write: Callable[[IO[str]], object]) -> Path:
    """Write a text file atomically: ``write(fh)`` into a temporary file in the same
    folder, flushed to disk, then renamed over ``path``. A failure (a full disk, a kill)
    leaves ``path`` as it was. The file gets the usual mode (0666 less the umask)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """Yield the path to write ``target`` to before it is published: a file of the same
    name in a new hidden folder beside ``target`` (so a tracker logs it under its real
    name). When the block ends normally the file is renamed onto ``target`` (atomic: same
    file system); when it raises, the folder is removed and ``target`` is left as it was.
    A kill leaves only the hidden folder (``.<name>.<random>.tmp``)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield folder / target.name
        os.replace(folder / target.name, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
