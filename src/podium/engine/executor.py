"""Where a model's fold jobs run: in this process, in local processes, or on a Dask cluster.

One seam, chosen by config (``executor``, ``executor_address``, ``n_workers``):

* ``local``: the folds run here (``n_workers`` 1) or in ``n_workers`` loky processes that
  follow this one (they exit once it has died).
* ``dask``: each (model, fold) job goes to the ``dask.distributed`` scheduler at the
  address. A job carries the fold's row indices and, where the frames are the competition's
  data, a :class:`DataRef` (its config, data folder and fingerprint) instead of them: each
  worker process loads the data once and keeps it (:func:`worker_data`). The feature cache
  is not used there (its folder is this machine's).

Results do not depend on the executor: each job is seeded by its fold index and runs the
same function on the same rows.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from podium.config import CompetitionConfig
from podium.data import load_data
from podium.data.csvfile import DATA_DIR_ENV
from podium.exceptions import ConfigError, DataError
from podium.lifeline import watch_parent
from podium.logging import caught_warnings, replay_warnings

__all__ = ["DataRef", "Executor", "close_clients", "worker_data"]

_LOADED: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}  # fingerprint -> (train, test)
_CLIENTS: dict[str, Any] = {}  # scheduler address -> distributed.Client


@dataclass(frozen=True)
class DataRef:
    """What a worker needs to load the competition's features itself."""

    competition: CompetitionConfig
    data_dir: str
    fingerprint: str


@dataclass(frozen=True)
class Executor:
    """``kind`` ``local`` (``n_workers`` processes) or ``dask`` (scheduler ``address``)."""

    kind: str = "local"
    address: str | None = None
    n_workers: int = 1

    @classmethod
    def from_config(cls, executor: str, address: str | None, n_workers: int) -> Executor:
        if executor.startswith("tcp://"):
            executor, address = "dask", executor
        if executor == "dask" and not address:
            raise ConfigError("executor: dask needs executor_address (e.g. tcp://host:8786)")
        return cls(kind=executor, address=address, n_workers=n_workers)

    def run(
        self,
        fn: Callable[..., Any],
        job: Any,
        calls: Sequence[tuple[Any, ...]],
        data_ref: DataRef | None = None,
    ) -> Iterator[Any]:
        """``fn(job, *call)`` for each call, in order."""
        if self.kind == "dask":
            return self._dask(fn, job, calls, data_ref)
        if self.n_workers > 1 and len(calls) > 1:
            from joblib import Parallel, delayed
            from joblib._parallel_backends import LokyBackend

            backend = LokyBackend(initializer=_follow_parent, initargs=(os.getpid(),))
            runner = Parallel(
                n_jobs=min(self.n_workers, len(calls)), backend=backend, return_as="generator"
            )
            # Workers record their warnings; they are shown here, once (podium.logging).
            return _replayed(runner(delayed(caught_warnings)(fn, job, *call) for call in calls))
        return (fn(job, *call) for call in calls)

    def _dask(
        self,
        fn: Callable[..., Any],
        job: Any,
        calls: Sequence[tuple[Any, ...]],
        data_ref: DataRef | None,
    ) -> Iterator[Any]:
        client = _client(str(self.address))
        had_test = job.X_test is not None
        light = dataclasses.replace(job, cache=None)
        if data_ref is not None:
            light = dataclasses.replace(light, X=None, X_test=None)
        shipped = client.scatter(light, broadcast=False, hash=False)
        futures = [
            client.submit(
                caught_warnings, _remote, fn, shipped, data_ref, had_test, *call, pure=False
            )
            for call in calls
        ]
        return _replayed(f.result() for f in futures)


def _replayed(outs: Any) -> Iterator[Any]:
    """The outputs of :func:`caught_warnings` jobs, their warnings issued here."""
    for out, caught in outs:
        replay_warnings(caught)
        yield out


def _remote(
    fn: Callable[..., Any], job: Any, ref: DataRef | None, had_test: bool, *call: Any
) -> Any:
    """On a worker: put the competition's frames back into the job, then run it."""
    if ref is not None:
        train, test = worker_data(ref)
        job = dataclasses.replace(job, X=train, X_test=test if had_test else None)
    return fn(job, *call)


def worker_data(ref: DataRef) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The competition's train and test features, loaded once per process and fingerprint.

    The data folder is the reference's, else ``$PODIUM_DATA_DIR/<competition>`` on this
    machine.

    Raises:
        DataError: the files here are not the ones the run was started on.
    """
    got = _LOADED.get(ref.fingerprint)
    if got is not None:
        return got
    data_dir = Path(ref.data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    if not data_dir.is_dir() and env:
        data_dir = Path(env) / ref.competition.name
    data = load_data(ref.competition, data_dir)
    if data.fingerprint != ref.fingerprint:
        raise DataError(
            f"{data_dir}: data fingerprint {data.fingerprint} on this worker, not the run's "
            f"{ref.fingerprint}: copy the run's data files here"
        )
    _LOADED.clear()  # one competition's data per worker process at a time
    _LOADED[ref.fingerprint] = (data.train, data.test)
    return _LOADED[ref.fingerprint]


def _client(address: str) -> Any:
    """One ``distributed.Client`` per scheduler address, for the life of this process."""
    client = _CLIENTS.get(address)
    if client is not None and client.status == "running":
        return client
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("executor: dask needs dask.distributed (uv sync --extra dask)") from None
    try:
        client = Client(address, timeout=30)
    except OSError as exc:
        raise ConfigError(
            f"executor_address {address!r}: no Dask scheduler there ({exc})"
        ) from None
    _CLIENTS[address] = client
    return client


@atexit.register
def close_clients() -> None:
    """Close the Dask clients this process opened (at exit; tests before their cluster)."""
    while _CLIENTS:
        _, client = _CLIENTS.popitem()
        client.close()


def _follow_parent(parent: int) -> None:
    """A local fold worker's initializer: exit as soon as ``parent`` has died."""
    watch_parent(parent, grace=0.0, on_death=None)
