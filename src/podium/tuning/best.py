"""The best trial's parameters: saved with the study, reused by ``podium run --params best``.

A trial stores the values it set (``overrides``) and, for a model that stopped early,
``final_overrides``: the iteration count early stopping found (mean over folds, scaled to
the fold's full training part) with early stopping turned off. ``--params best`` applies
both as ``--set`` overrides placed before the user's own ``--set`` (which still win).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import yaml

from podium.config import RunRequest
from podium.engine import Plan, prepare
from podium.session import competition_registry
from podium.stores import redact
from podium.tracking.base import Tracker
from podium.tuning.space import format_override
from podium.tuning.study import (
    TuningError,
    find_studies,
    load_study,
    open_storage,
    storage_url,
)

if TYPE_CHECKING:
    import optuna

__all__ = ["BestParams", "best_params", "save_best", "apply_best", "changes", "BEST_ARTIFACT"]

BEST_ARTIFACT = "best_params.yaml"


@dataclass(frozen=True)
class BestParams:
    """The best complete trial of a study.

    Attributes:
        params: path -> value the trial set (sampled and pinned values).
        final: path -> value that fix the early-stopped iteration count (may be empty).
    """

    study: str
    trial: int
    value: float
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    final: dict[str, Any] = field(default_factory=dict)

    def overrides(self, *, keep_early_stopping: bool = False) -> list[str]:
        """``--set`` strings: the parameters, then the fixed iteration count (left out
        with ``keep_early_stopping``: the run stops early as the trial did)."""
        return [format_override(k, v) for k, v in self.values(keep_early_stopping).items()]

    def values(self, keep_early_stopping: bool = False) -> dict[str, Any]:
        """path -> value the run applies."""
        return {**self.params, **({} if keep_early_stopping else self.final)}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def best_params(study: optuna.Study) -> BestParams:
    """The study's best complete trial.

    Raises:
        TuningError: no trial has completed yet.
    """
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        raise TuningError(f"study {study.study_name!r} has no complete trial yet")
    best = study.best_trial
    return BestParams(
        study=study.study_name,
        trial=best.number,
        value=float(best.value if best.value is not None else float("nan")),
        model=str(study.user_attrs.get("model", "")),
        params=dict(best.user_attrs.get("overrides", best.params)),
        final=dict(best.user_attrs.get("final_overrides", {})),
    )


def save_best(study: optuna.Study, tracker: Tracker) -> BestParams | None:
    """Write the best trial to the study's ``best`` user attribute and ``best_params.yaml``
    of the open tracking run; ``None`` if no trial completed."""
    try:
        best = best_params(study)
    except TuningError:
        return None
    study.set_user_attr("best", best.to_dict())
    tracker.log_text(best.to_yaml(), BEST_ARTIFACT)
    return best


def apply_best(
    plan: Plan,
    request: RunRequest,
    *,
    params: str = "best",
    storage: str | None = None,
    study: str | None = None,
    keep_early_stopping: bool = False,
) -> tuple[Plan, dict[str, str], list[str]]:
    """Re-plan a run with the best tuned parameters (``podium run --params best``).

    Without ``study``, every study of this competition, pipeline and fold assignment in
    the storage contributes its model's best trial (one study per tuned model).

    Args:
        plan: the run's plan without tuned parameters (its data is reused).
        request: the run's request (its ``--set`` overrides win over the tuned values).
        params: only ``"best"``.
        storage: Optuna storage URL (default: the competition's ``optuna.db``).
        study: one study name.
        keep_early_stopping: keep the pipeline's early stopping instead of the fixed
            iteration count the best trial's early stopping found.

    Returns:
        The new plan, tags recording where the parameters came from, and one line per
        value the parameters changed (``models.lgb.params.n_estimators=437 from the best
        trial's early stopping``).

    Raises:
        TuningError: no such study, a study scored on other folds, no complete trial, or
            two studies setting the same parameter differently.
    """
    if params != "best":
        raise TuningError(f"--params {params!r}: only 'best' is supported")
    cfg = plan.cfg
    url, stored = storage_url(storage, cfg.competition_dir)
    if not stored:
        raise TuningError(f"no tuning storage at {url}; run `podium tune {cfg.competition.name}`")
    st = open_storage(url, heartbeat_interval=None)
    fp = plan.fold_fingerprint
    if study is not None:
        found = load_study(st, study, url=url)
        theirs = found.user_attrs.get("fold_fingerprint")
        if theirs != fp:
            raise TuningError(
                f"study {study!r} was scored on folds {theirs}, this run's folds are {fp}; "
                "its best parameters were chosen for other folds"
            )
        names = [study]
    else:
        names = [
            s.study_name
            for s in find_studies(
                st, competition=cfg.competition.name, pipeline=cfg.pipeline_name,
                fold_fingerprint=fp,
            )
        ]  # fmt: skip
        if not names:
            other = len(find_studies(st, competition=cfg.competition.name))
            hint = f" ({other} for other pipelines or folds)" if other else ""
            raise TuningError(
                f"no study of {cfg.competition.name}/{cfg.pipeline_name} on folds {fp} in "
                f"{redact(url)}{hint}; run `podium tune` first or pass --study"
            )
    chosen = [best_params(load_study(st, n, url=url)) for n in names]
    merged: dict[str, tuple[Any, str]] = {}
    for b in chosen:
        for key, value in b.values(keep_early_stopping).items():
            if key in merged and merged[key][0] != value:
                raise TuningError(
                    f"studies {merged[key][1]!r} and {b.study!r} set {key} differently; "
                    "pass --study"
                )
            merged[key] = (value, b.study)
    sets = [s for b in chosen for s in b.overrides(keep_early_stopping=keep_early_stopping)]
    new_cfg = replace(
        request, competition=cfg.competition_file, overrides=(*sets, *request.overrides)
    ).config()
    new_plan = prepare(new_cfg, plan.data, competition_registry(new_cfg))
    tags = {
        "podium.params": "best",
        "podium.tuning_storage": redact(url),
        "podium.tuning_studies": ",".join(b.study for b in chosen),
        "podium.tuning_trials": ",".join(f"{b.model}#{b.trial}={b.value:.6g}" for b in chosen),
    }
    if keep_early_stopping:
        tags["podium.tuning_early_stopping"] = "kept"
    return new_plan, tags, changes(cfg.pipeline.model_dump(mode="json"),
                                   new_cfg.pipeline.model_dump(mode="json"), chosen,
                                   keep_early_stopping=keep_early_stopping)  # fmt: skip


_MISSING = object()


def _at(tree: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return _MISSING
        tree = tree[part]
    return tree


def changes(
    before: dict[str, Any],
    after: dict[str, Any],
    chosen: list[BestParams],
    *,
    keep_early_stopping: bool = False,
) -> list[str]:
    """One line per pipeline value (path relative to the pipeline) the best trials changed,
    saying where it came from; values the user's ``--set`` overrode are not listed."""
    lines = []
    for b in chosen:
        for key, value in b.values(keep_early_stopping).items():
            old, new = _at(before, key), _at(after, key)
            if new != value or old == new:
                continue  # the user's --set won, or the value was already the config's
            if key in b.final and key.endswith(".early_stopping"):
                why = "(the iteration count is fixed; --keep-early-stopping keeps it)"
            elif key in b.final:
                why = "from the best trial's early stopping"
            else:
                was = "" if old is _MISSING else f", was {old!r}"
                why = f"from trial #{b.trial} of study {b.study}{was}"
            lines.append(f"{key}={value!r} {why}")
    return lines
