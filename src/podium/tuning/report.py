"""Reading studies back: state counts and best trials (``podium study``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podium.config import load_config
from podium.stores import redact
from podium.tuning.session import StudyCounts, count_states
from podium.tuning.study import (
    TuningError,
    find_studies,
    load_study,
    open_storage,
    storage_url,
)

if TYPE_CHECKING:
    import optuna

__all__ = ["StudyReport", "study_reports", "short_name"]


@dataclass(frozen=True, eq=False)
class StudyReport:
    """One study: its identity, trial counts and best complete trials (best first)."""

    name: str
    attrs: dict[str, Any]
    direction: str
    counts: StudyCounts
    top: list[optuna.trial.FrozenTrial]


def short_name(path: str) -> str:
    """``models.lgb.params.num_leaves`` -> ``num_leaves``; stage paths keep the stage."""
    parts = path.split(".")
    if len(parts) == 4 and parts[2] == "params":
        return parts[3] if parts[0] == "models" else f"{parts[1]}.{parts[3]}"
    if len(parts) == 6:
        return f"{parts[3]}.{parts[5]}"
    return path


def study_reports(
    competition: str | Path,
    *,
    root: Path,
    storage: str | None = None,
    study: str | None = None,
    pipeline: str | None = None,
    model: str | None = None,
    top: int = 10,
) -> tuple[str, list[StudyReport]]:
    """The studies of a competition in ``storage`` (or just ``study``), best trials first.

    Returns:
        The storage URL and one report per study (empty if the storage has none).

    Raises:
        ConfigError: unknown competition. TuningError: unreachable storage, unknown study.
    """
    cfg = load_config(competition, root=root, pipeline=pipeline)
    url, stored = storage_url(storage, cfg.competition_dir)
    if not stored:
        return url, []  # nothing tuned yet; do not create an empty database
    st = open_storage(url, heartbeat_interval=None)
    if study is not None:
        names = [study]
    else:
        found = find_studies(
            st,
            competition=cfg.competition.name,
            pipeline=cfg.pipeline_name if pipeline else None,
            model=model,
        )
        names = [s.study_name for s in found]
    reports = []
    for name in names:
        s = load_study(st, name, url=url)
        reports.append(_report(s, top))
    if study is None and not reports and st.get_all_studies():
        others = ", ".join(s.study_name for s in st.get_all_studies()[:5])
        raise TuningError(
            f"no study of {cfg.competition.name} in {redact(url)}; it holds: {others}"
        )
    return url, reports


def _report(study: optuna.Study, top: int) -> StudyReport:
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    maximize = study.direction.name == "MAXIMIZE"
    done = sorted(done, key=lambda t: float(t.value or 0.0), reverse=maximize)
    return StudyReport(
        name=study.study_name,
        attrs=dict(study.user_attrs),
        direction=study.direction.name.lower(),
        counts=count_states(study),
        top=done[:top],
    )
