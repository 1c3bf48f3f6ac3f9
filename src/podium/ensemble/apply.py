"""Apply a pipeline's ``ensemble`` config to the models' cross-validation results."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from podium.cv import Folds
from podium.engine import ExperimentResult, Plan, build_chain, build_model, default_registry
from podium.engine.build import auto_n_jobs
from podium.engine.result import scored
from podium.ensemble.blend import make_blender
from podium.ensemble.combine import EnsembleResult, blend, combine_repeats
from podium.ensemble.saved import LEVEL2_DIR, saved_ensemble
from podium.ensemble.stack import stack
from podium.exceptions import ConfigError
from podium.registry import Registry

__all__ = ["apply_ensemble", "check_ensemble"]


def check_ensemble(cfg: Any) -> None:
    """Raise ConfigError, naming the file, for a blender name or parameter the pipeline's
    ``ensemble`` cannot use: before any model is trained (``validate`` and ``run``)."""
    spec = cfg.pipeline.ensemble
    method, params = (spec.final, {}) if spec.method == "stack" else (spec.method, spec.params)
    for key, value in params.items():  # the name is the schema's to check; each parameter:
        try:
            make_blender(method, {key: value})
        except ConfigError as exc:
            where = cfg.source_of(f"ensemble.params.{key}")
            raise ConfigError(f"{where}: ensemble.params.{key}: {exc}") from None


def apply_ensemble(
    plan: Plan,
    exp: ExperimentResult,
    registry: Registry | None = None,
    *,
    save_to: Path | None = None,
) -> ExperimentResult:
    """The submission's predictions and CV after the pipeline's ensemble step.

    ``best`` keeps the engine's choice. Other methods replace ``oof``/``test`` with the
    ensemble's and report its nested CV, with the naive in-sample score beside it.
    Level-2 stages and models come from ``registry``, else the plan's (plug-ins included).
    ``save_to``: the stack's level-2 folds are saved under ``save_to/level2``, and the
    fitted ensemble (a :class:`~podium.ensemble.saved.SavedEnsemble`) is returned in
    ``details["saved"]``.
    """
    spec = plan.cfg.pipeline.ensemble
    if spec.method == "best" or len(exp.results) < 2:
        return exp
    registry = registry or plan.registry or default_registry()
    # models the time limit skipped are left out (an ensemble of one is that model)
    members = [m for m in spec.members or list(exp.results) if m not in exp.skipped]
    if len(members) < 2 and exp.skipped:
        return exp
    unknown = [m for m in members if m not in exp.results]
    if unknown:
        where = plan.cfg.source_of("ensemble.members")
        raise ConfigError(f"{where}: ensemble.members: {unknown} are not models of the pipeline")
    oofs = {n: exp.results[n].oof for n in members}
    tests = {n: t for n in members if (t := exp.results[n].test) is not None}
    if spec.method == "stack" and len(plan.repeats) == 1:
        level2_dir = None if save_to is None else Path(save_to) / LEVEL2_DIR
        res = _stack(plan, oofs, tests, members, registry, plan.folds, level2_dir)
    elif spec.method == "stack":  # repeated CV: one stack per repeat, on its own level 1
        res = combine_repeats(
            [
                _stack(plan, oofs_r, tests, members, registry, folds)
                for oofs_r, folds in zip(_repeat_oofs(exp, members), plan.repeats, strict=True)
            ]
        )
    else:
        res = blend(
            oofs, tests, plan.y, plan.repeats, plan.metric,
            method=spec.method, params=dict(spec.params), members=members,
        )  # fmt: skip
    return dataclasses.replace(
        exp,
        chosen=spec.method,
        **scored(res),
        naive_score=res.naive_score,
        weights=res.weights,
        details={"members": res.members, **res.details, **_saved(plan, res, save_to)},
    )


def _repeat_oofs(exp: ExperimentResult, members: list[str]) -> list[dict[str, Any]]:
    """Each repeat's level-1 out-of-fold predictions (one repeat: the models' own)."""
    n = max(len(exp.results[m].repeats) for m in members)
    if n == 0:
        return [{m: exp.results[m].oof for m in members}]
    return [{m: exp.results[m].repeats[r].oof for m in members} for r in range(n)]


def _saved(plan: Plan, res: EnsembleResult, save_to: Path | None) -> dict[str, Any]:
    if save_to is None or res.fitted is None:  # (a stack per repeat is not kept)
        return {}
    saved = saved_ensemble(
        res,
        n_splits=plan.folds.n_splits,
        passthrough=list(plan.cfg.pipeline.ensemble.passthrough or []),
        target_transform=plan.cfg.pipeline.target_transform,
    )
    return {"saved": saved}


def _stack(
    plan: Plan,
    oofs: dict[str, Any],
    tests: dict[str, Any],
    members: list[str],
    registry: Registry,
    folds: Folds,
    save_to: Path | None = None,
) -> EnsembleResult:
    cfg = plan.cfg
    spec = cfg.pipeline.ensemble
    n_jobs = auto_n_jobs(len(plan.data.train), cfg.pipeline.n_jobs)
    level2 = {}
    for name, mspec in spec.level2.items():
        chain = build_chain(mspec.stages, registry, f"ensemble.level2.{name}.stages", cfg)
        model = build_model(
            name, mspec, registry, cfg, n_jobs=n_jobs, where=f"ensemble.level2.{name}"
        )
        level2[name] = (chain, model)
    passthrough = passthrough_test = None
    if spec.passthrough:
        cols = list(spec.passthrough)
        for c in cols:
            if c not in plan.data.train.columns:
                raise ConfigError(f"ensemble.passthrough: column {c!r} is not a feature")
        passthrough, passthrough_test = plan.data.train[cols], plan.data.test[cols]
    return stack(
        oofs, tests, plan.y, folds, plan.metric,
        level2=level2, members=members, passthrough=passthrough,
        passthrough_test=passthrough_test, final=spec.final, seed=cfg.competition.seed,
        target_transform=cfg.pipeline.target_transform, target_range=plan.target_range,
        save_to=save_to,
    )  # fmt: skip
