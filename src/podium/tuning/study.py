"""Optuna storage and studies: where a study lives, its name, and resuming it safely.

The storage is a URL (Optuna's style): ``sqlite:///competitions/<name>/optuna.db`` by
default, or any database Optuna's ``RDBStorage`` supports, e.g. PostgreSQL shared by many
machines. Trials send heartbeats, so a trial whose worker died (SIGKILL, lost machine) is
marked FAIL by the next worker that starts a trial, and the study carries on.

A study records the folds it was scored on (``fold_fingerprint`` user attribute); opening it
for other folds is refused, since its scores would not be comparable.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import numpy as np

from podium.exceptions import PodiumError, did_you_mean, one_line
from podium.stores import creation_lock, redact, sqlite_path, store_problem

if TYPE_CHECKING:
    import optuna

__all__ = [
    "TuningError",
    "STUDY_FILE",
    "PRUNERS",
    "STUDY_ATTRS",
    "default_storage",
    "storage_url",
    "default_study_name",
    "check_storage",
    "open_storage",
    "open_study",
    "load_study",
    "find_studies",
    "fail_stale_trials",
    "make_pruner",
    "make_sampler",
    "sampler_seed",
]

STUDY_FILE = "optuna.db"
PRUNERS = ("median", "hyperband", "none")
STUDY_ATTRS = ("competition", "pipeline", "model", "fold_fingerprint", "metric")
_DRIVERS = {"postgresql": "psycopg2-binary", "mysql": "pymysql"}


class TuningError(PodiumError):
    """The study or its storage cannot be used as asked."""


def default_storage(competition_dir: Path) -> str:
    """``sqlite:///<competition folder>/optuna.db`` (gitignored by ``competitions/*/*.db``)."""
    return f"sqlite:///{(Path(competition_dir) / STUDY_FILE).resolve()}"


def storage_url(storage: str | None, competition_dir: Path) -> tuple[str, bool]:
    """``storage``, else :func:`default_storage`; and whether there is anything to read in
    it (false only for a default SQLite file not created yet, which reading must not
    create)."""
    if storage is not None:
        return storage, True
    url = default_storage(competition_dir)
    db = sqlite_path(url)
    return url, db is None or db.is_file()


def default_study_name(competition: str, pipeline: str, model: str, fold_fingerprint: str) -> str:
    """``<competition>/<pipeline>/<model>/folds-<fingerprint>``: one study per fold assignment."""
    return f"{competition}/{pipeline}/{model}/folds-{fold_fingerprint}"


def check_storage(url: str, *, timeout: float = 5.0) -> None:
    """Fail within ``timeout`` seconds, in one line, if the storage cannot be reached (see
    :func:`podium.stores.store_problem`).

    Raises:
        TuningError: naming the (password-redacted) URL and the reason.
    """
    if not url.startswith("sqlite:") and (not urlsplit(url).scheme or "://" not in url):
        raise TuningError(
            f"storage {redact(url)!r} is not a database URL; use e.g. sqlite:///optuna.db or "
            "postgresql+psycopg2://user:password@host:5432/db"
        )
    problem = store_problem(url, what="storage", timeout=timeout)
    if problem is not None:
        raise TuningError(problem)


def open_storage(
    url: str,
    *,
    heartbeat_interval: int | None = 5,
    grace_period: int | None = None,
    timeout: float = 5.0,
) -> optuna.storages.RDBStorage:
    """Check ``url`` and open it as an ``RDBStorage`` with trial heartbeats.

    Args:
        url: an SQLAlchemy URL.
        heartbeat_interval: seconds between a running trial's heartbeats (None: off).
        grace_period: seconds without a heartbeat before a trial counts as dead
            (default: 4 heartbeats).
        timeout: seconds allowed for reaching a database server.

    Raises:
        TuningError: unreachable, wrong credentials, missing driver, not a database.
    """
    import optuna

    check_storage(url, timeout=timeout)
    scheme = urlsplit(url).scheme.split("+", 1)[0]
    engine: dict[str, Any] = {}
    if scheme == "sqlite":
        engine["connect_args"] = {"timeout": 60}
    elif scheme in ("postgresql", "mysql"):
        engine["connect_args"] = {"connect_timeout": max(1, int(timeout))}
        engine["pool_pre_ping"] = True
    if heartbeat_interval is not None and grace_period is None:
        grace_period = 4 * heartbeat_interval
    try:
        with warnings.catch_warnings(), creation_lock(url):
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period if heartbeat_interval is not None else None,
            )
    except ModuleNotFoundError as exc:
        hint = _DRIVERS.get(scheme, exc.name or "the database driver")
        raise TuningError(f"cannot open storage {redact(url)}: {exc} - install {hint}") from None
    except Exception as exc:
        raise TuningError(f"cannot open storage {redact(url)}: {one_line(exc)}") from None


def fail_stale_trials(study: optuna.Study) -> None:
    """Mark RUNNING trials whose heartbeat stopped (their worker died) as FAIL."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def make_pruner(name: str, n_folds: int) -> optuna.pruners.BasePruner:
    """``median`` (default: prune below the median of earlier trials at the same fold),
    ``hyperband`` (folds as the resource) or ``none``."""
    import optuna

    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=max(2, n_folds), reduction_factor=3
        )
    if name == "none":
        return optuna.pruners.NopPruner()
    raise TuningError(f"unknown pruner {name!r}{did_you_mean(name, PRUNERS)}")


def sampler_seed(seed: int, worker: int, n_existing: int) -> int:
    """``seed + worker`` for a new study; a resumed session (``n_existing`` trials) gets
    other seeds, so it does not replay the first session's random start-up trials."""
    if n_existing == 0:
        return seed + worker
    state = np.random.SeedSequence([seed, worker, n_existing]).generate_state(1)
    return int(state[0] % (2**31 - 1))


def make_sampler(seed: int) -> optuna.samplers.BaseSampler:
    """TPE, seeded (trials run in parallel get a "constant liar" for running trials)."""
    import optuna

    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def open_study(
    storage: optuna.storages.BaseStorage,
    name: str,
    *,
    attrs: dict[str, str],
    direction: Literal["minimize", "maximize"],
    storage_url: str = "",
) -> optuna.Study:
    """Create the study ``name`` or resume it, refusing one made for other folds or models.

    Args:
        attrs: ``competition``, ``pipeline``, ``model``, ``fold_fingerprint``, ``metric``;
            written as user attributes of a new study, compared with an existing one.
        direction: ``maximize`` or ``minimize``.

    Raises:
        TuningError: the existing study was created for other folds, another model or
            metric, or another direction.
    """
    import optuna

    study = optuna.create_study(
        storage=storage, study_name=name, direction=direction, load_if_exists=True
    )
    old = study.user_attrs
    if old.get("fold_fingerprint") is None and not study.get_trials(deepcopy=False):
        for key, value in attrs.items():
            study.set_user_attr(key, value)
        return study
    where = f"study {name!r} in {redact(storage_url)}" if storage_url else f"study {name!r}"
    if old.get("fold_fingerprint") is None:
        raise TuningError(
            f"{where} was not created by podium tune (it records no fold fingerprint); "
            "pass another --study"
        )
    if old["fold_fingerprint"] != attrs["fold_fingerprint"]:
        raise TuningError(
            f"{where} was scored on folds {old['fold_fingerprint']}, but this run's folds are "
            f"{attrs['fold_fingerprint']} (cv, seed or data changed); its scores are not "
            "comparable - pass another --study, or drop --study to use the default name"
        )
    for key in ("competition", "model", "metric"):
        if old.get(key) != attrs[key]:
            raise TuningError(
                f"{where} tunes {key} {old.get(key)!r}, not {attrs[key]!r}; pass another --study"
            )
    if study.direction.name.lower() != direction:
        raise TuningError(f"{where} is set to {study.direction.name.lower()}, not {direction}")
    return study


def load_study(storage: optuna.storages.BaseStorage, name: str, *, url: str = "") -> optuna.Study:
    """An existing study (no creation).

    Raises:
        TuningError: no study of that name (the closest names are suggested).
    """
    import optuna

    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        names = [s.study_name for s in storage.get_all_studies()]
        where = f" in {redact(url)}" if url else ""
        raise TuningError(f"no study {name!r}{where}{did_you_mean(name, names)}") from None


def find_studies(storage: optuna.storages.BaseStorage, **attrs: str | None) -> list[Any]:
    """Studies (``FrozenStudy``) whose user attributes match every non-None ``attrs``."""
    return [
        s
        for s in storage.get_all_studies()
        if all(v is None or s.user_attrs.get(k) == v for k, v in attrs.items())
    ]
