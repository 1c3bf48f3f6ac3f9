"""Fault tests: the real ``podium`` console script in subprocesses, on synthetic
competitions, with every promise checked from outside (exit code, output, files, stores)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

PODIUM = [str(Path(sys.executable).with_name("podium"))]  # the console script, as a user runs it


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by relative path -> sha256."""
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def run_states(db: Path) -> list[tuple[str, str]]:
    """(run name, status) of every MLflow run in the SQLite store ``db``."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as con:
        try:
            return list(con.execute("SELECT name, status FROM runs"))
        except sqlite3.OperationalError:
            return []


TAG_VAR = "PODIUM_FAULT_TAG"  # set by a test, inherited by every process podium starts


def new_tag() -> str:
    return uuid.uuid4().hex


def tagged(tag: str) -> dict[int, str]:
    """Live processes (pid -> command line) whose environment holds ``TAG_VAR=tag``: the
    command and everything it started, however it was started (zombies have no
    environment and are not listed)."""
    needle = f"{TAG_VAR}={tag}".encode()
    found = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if needle in (d / "environ").read_bytes().split(b"\0"):
                found[int(d.name)] = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


def wait_for(condition: Callable[[], object], timeout: float, poll: float = 0.05) -> object:
    """``condition()``'s first truthy value within ``timeout`` seconds, else the last one."""
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value or time.time() > deadline:
            return value
        time.sleep(poll)


@pytest.fixture
def podium_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``podium ARGS`` as a real process in the project root ``tmp_path``."""

    def call(*args: str, timeout: float = 300, cwd: Path | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*PODIUM, *args], cwd=cwd or tmp_path, capture_output=True, text=True,
            timeout=timeout, env={**os.environ, **(env or {})},
        )  # fmt: skip

    return call


@pytest.fixture
def spawn(tmp_path: Path) -> Callable[..., subprocess.Popen[str]]:
    """Start ``podium ARGS`` in its own session (so a test can signal it)."""

    started: list[subprocess.Popen[str]] = []

    def start(*args: str, cwd: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [*PODIUM, *args], cwd=cwd or tmp_path, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
