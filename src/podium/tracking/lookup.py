"""Finding runs in a competition's experiment: by name or id, sorted, filtered, deduplicated.

Every command that takes a run (``podium blend --runs``, ...) resolves what the user typed
with :func:`find_run`: a run's name, its id, or a unique prefix of its id (the 8 characters
``podium runs`` shows). Two runs are the *same run* (:func:`same_run`) when they have one id,
or one pipeline, config fingerprint, seed and data: their predictions are identical, so a
blend of both is a blend of one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from podium.exceptions import ConfigError, did_you_mean
from podium.tracking.base import RUN_KINDS, RunSummary

__all__ = [
    "SORTS",
    "DEFAULT_KINDS",
    "find_run",
    "find_runs",
    "same_run",
    "rank_runs",
    "run_record",
]

SORTS = ("cv", "time", "name")
DEFAULT_KINDS = ("run", "blend")
CONFIG_TAG = "podium.config_fingerprint"
"""Tag of a ``podium run``: the fingerprint of its resolved config (competition + pipeline)."""


def find_run(
    summaries: Sequence[RunSummary],
    ref: str,
    *,
    option: str = "run",
    where: str = "this competition's experiment",
) -> RunSummary:
    """The run ``ref`` names among ``summaries`` (the runs of ``where``): its id, its name,
    or a unique prefix of its id.

    Raises:
        ConfigError: no such run (with the closest name), or a prefix several ids share.
    """
    ref = ref.strip()
    for s in summaries:
        if s.run_id == ref:
            return s
    named = [s for s in summaries if s.name == ref]
    if len(named) == 1:
        return named[0]
    prefixed = named or [s for s in summaries if ref and s.run_id.startswith(ref)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        shown = ", ".join(f"{s.short_id} {s.name}" for s in prefixed[:3])
        more = ", ..." if len(prefixed) > 3 else ""
        raise ConfigError(
            f"{option} {ref!r} matches {len(prefixed)} runs ({shown}{more}); give more of the id"
        )
    hint = did_you_mean(ref, [s.name for s in summaries]) if summaries else ""
    if hint and "did you mean" not in hint:
        hint = ""  # no close name: a list of every run would not fit one line
    raise ConfigError(
        f"{option}: no run {ref!r} in {where}{hint} "
        "(`podium runs` lists names and ids)"
    )


def find_runs(
    summaries: Sequence[RunSummary], refs: Iterable[str], *, option: str = "--runs"
) -> list[RunSummary]:
    """:func:`find_run` for each of ``refs``, refusing a run given twice (also as two
    identical runs, see :func:`same_run`).

    Raises:
        ConfigError: an unknown or ambiguous reference, or the same run twice.
    """
    refs = [r.strip() for r in refs]
    twice = next((r for i, r in enumerate(refs) if r in refs[:i]), None)
    if twice is not None:  # before any lookup: the slip is in the command line
        raise ConfigError(f"{option}: {twice!r} is named twice; blend distinct runs")
    chosen: list[tuple[str, RunSummary]] = []
    for ref in refs:
        run = find_run(summaries, ref, option=option)
        for earlier_ref, earlier in chosen:
            if earlier.run_id == run.run_id:
                raise ConfigError(
                    f"{option}: {earlier_ref!r} and {ref!r} are one run ({run.short_id} "
                    f"{run.name}); blend distinct runs"
                )
            if same_run(earlier, run):
                raise ConfigError(
                    f"{option}: {earlier.name} and {run.name} are identical runs (same "
                    "pipeline, config and seed); blend distinct runs"
                )
        chosen.append((ref, run))
    return [run for _, run in chosen]


def same_run(a: RunSummary, b: RunSummary) -> bool:
    """Whether ``a`` and ``b`` made the same predictions: one id, or one pipeline, config
    fingerprint, seed and data fingerprint. Runs logged before podium recorded the config
    fingerprint are the same when pipeline, seed, data, folds and CV mean and std agree
    to the last bit."""
    if a.run_id == b.run_id:
        return True
    keys = ("podium.pipeline", "podium.seed", "podium.data_fingerprint")
    if any(a.tags.get(k) != b.tags.get(k) for k in keys):
        return False
    if CONFIG_TAG in a.tags and CONFIG_TAG in b.tags:
        return a.tags[CONFIG_TAG] == b.tags[CONFIG_TAG]
    return (
        a.tags.get("podium.fold_fingerprint") == b.tags.get("podium.fold_fingerprint")
        and a.cv_mean is not None
        and (a.cv_mean, a.cv_std) == (b.cv_mean, b.cv_std)
    )


def rank_runs(
    summaries: Iterable[RunSummary],
    *,
    sort: str = "cv",
    kinds: Sequence[str] = DEFAULT_KINDS,
    pipeline: str | None = None,
    greater_is_better: bool = True,
) -> list[RunSummary]:
    """The runs of ``kinds`` (and ``pipeline``), best CV first (runs without a CV last),
    newest first (``sort="time"``) or by name.

    Raises:
        ConfigError: an unknown sort or kind.
    """
    if sort not in SORTS:
        raise ConfigError(f"--sort: unknown order {sort!r}{did_you_mean(sort, SORTS)}")
    for kind in kinds:
        if kind not in RUN_KINDS:
            raise ConfigError(f"--kind: unknown kind {kind!r}{did_you_mean(kind, RUN_KINDS)}")
    runs = [
        s for s in summaries if s.kind in kinds and (pipeline is None or s.pipeline == pipeline)
    ]
    if sort == "time":
        return sorted(runs, key=lambda s: s.start_time, reverse=True)
    if sort == "name":
        return sorted(runs, key=lambda s: s.name)
    sign = -1.0 if greater_is_better else 1.0

    def by_cv(s: RunSummary) -> tuple[bool, float, float]:
        missing = s.cv_mean is None or math.isnan(s.cv_mean)
        return (missing, 0.0 if missing else sign * float(s.cv_mean or 0.0),
                -s.start_time.timestamp())  # fmt: skip

    return sorted(runs, key=by_cv)


def _number(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else x


def run_record(s: RunSummary) -> dict[str, Any]:
    """One run as ``podium runs --json`` prints it (NaN as null: the output is JSON)."""
    return {
        "id": s.run_id,
        "name": s.name,
        "kind": s.kind,
        "pipeline": s.pipeline,
        "status": s.status,
        "cv_mean": _number(s.cv_mean),
        "cv_std": _number(s.cv_std),
        "metric": s.metric,
        "started": s.start_time.isoformat(),
        "duration": s.duration_s,
        "submission": s.submission,
    }
