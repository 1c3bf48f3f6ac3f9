"""Where runs and studies are stored: URL helpers shared by MLflow tracking and Optuna tuning.

Standard library only, so a bad URL fails in milliseconds, before MLflow, Optuna or
SQLAlchemy is imported.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

__all__ = ["creation_lock", "redact", "sqlite_path", "store_problem", "tcp_problem"]

SERVER_PORTS = {
    "http": 80,
    "https": 443,
    "postgresql": 5432,
    "mysql": 3306,
    "mssql": 1433,
    "oracle": 1521,
}


def redact(url: str) -> str:
    """Hide the password of ``scheme://user:password@host`` URLs."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


@contextmanager
def creation_lock(url: str) -> Iterator[None]:
    """Hold an exclusive lock while a SQLite store is opened (and so, on first use,
    created and migrated): two processes opening one new database would otherwise race
    on its tables (``table latest_metrics already exists``, ``UNIQUE constraint failed:
    alembic_version``). The lock is a file ``<db>.lock`` beside the database, held with
    ``flock`` (released by the kernel if the process dies). Server databases (PostgreSQL)
    do their own locking: nothing is held for them."""
    db = sqlite_path(url)
    if db is None or os.name != "posix":
        yield
        return
    import fcntl

    db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(db.with_name(db.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def sqlite_path(url: str) -> Path | None:
    """The database file of a ``sqlite:///`` URL (``None`` for other or in-memory URLs)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    if path in ("", ":memory:"):
        return None
    return Path(path).resolve()


def store_problem(url: str, *, what: str, timeout: float) -> str | None:
    """Why the store at ``url`` cannot be used, in one line naming ``what`` it is; else None.

    SQLite: the folder must be creatable and writable and an existing file must be a
    database. Servers (``SERVER_PORTS`` schemes): the host must resolve and accept a TCP
    connection within ``timeout`` seconds; the client libraries would retry for minutes.
    Other schemes are left to the library that opens them.
    """
    db = sqlite_path(url)
    if db is not None:
        try:
            db.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            blocker = next((p for p in db.parents if p.exists()), None)
            reason = f"{blocker} is a file" if blocker and not blocker.is_dir() else exc.strerror
            return f"cannot create the folder of {what} {db}: {reason}"
        if db.is_dir() or not _writable(db.parent):
            return f"cannot write {what} {db}"
        if db.exists():
            try:
                read_only = f"file:{quote(str(db))}?mode=ro"
                with closing(sqlite3.connect(read_only, uri=True, timeout=timeout)) as conn:
                    conn.execute("PRAGMA schema_version")
            except sqlite3.Error as exc:
                return f"cannot open {what} {db}: {exc}"
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in SERVER_PORTS:
        return None
    try:
        port = parts.port or SERVER_PORTS[scheme]
    except ValueError as exc:
        return f"bad URL for {what} {redact(url)}: {exc}"
    host = parts.hostname or "localhost"
    reason = tcp_problem(host, port, timeout)
    if reason is None:
        return None
    return f"cannot reach {what} {redact(url)} at {host}:{port}: {reason}"


def tcp_problem(host: str, port: int, timeout: float) -> str | None:
    """None if ``host:port`` accepts a connection within ``timeout`` (name lookup included,
    which ``socket`` alone would not bound); else the reason."""
    result: list[str | None] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(None)
        except OSError as exc:
            result.append(exc.strerror or str(exc) or type(exc).__name__)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return result[0] if result else f"no answer within {timeout:g} s"


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK)
