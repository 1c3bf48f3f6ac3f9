"""Apply a pipeline's ``ensemble`` config to the models' cross-validation results."""

from __future__ import annotations

import dataclasses
from typing import Any

from podium.engine import ExperimentResult, Plan, build_chain, build_model, default_registry
from podium.engine.build import auto_n_jobs
from podium.ensemble.combine import EnsembleResult, blend
from podium.ensemble.stack import stack
from podium.exceptions import ConfigError
from podium.registry import Registry

__all__ = ["apply_ensemble"]


def apply_ensemble(
    plan: Plan, exp: ExperimentResult, registry: Registry | None = None
) -> ExperimentResult:
    """The submission's predictions and CV after the pipeline's ensemble step.

    ``best`` keeps the engine's choice. Other methods replace ``oof``/``test`` with the
    ensemble's and report its nested CV, with the naive in-sample score beside it.
    Level-2 stages and models come from ``registry``, else the plan's (plug-ins included).
    """
    spec = plan.cfg.pipeline.ensemble
    if spec.method == "best" or len(exp.results) < 2:
        return exp
    registry = registry or plan.registry or default_registry()
    members = spec.members or list(exp.results)
    unknown = [m for m in members if m not in exp.results]
    if unknown:
        where = plan.cfg.source_of("ensemble.members")
        raise ConfigError(f"{where}: ensemble.members: {unknown} are not models of the pipeline")
    oofs = {n: exp.results[n].oof for n in members}
    tests = {n: t for n in members if (t := exp.results[n].test) is not None}
    if spec.method == "stack":
        res = _stack(plan, oofs, tests, members, registry)
    else:
        res = blend(
            oofs, tests, plan.y, plan.folds, plan.metric,
            method=spec.method, params=dict(spec.params), members=members,
        )  # fmt: skip
    return dataclasses.replace(
        exp,
        chosen=spec.method,
        oof=res.oof,
        test=res.test,
        cv_mean=res.cv_mean,
        cv_std=res.cv_std,
        fold_scores=res.fold_scores,
        naive_score=res.naive_score,
        weights=res.weights,
        details={"members": res.members, **res.details},
    )


def _stack(
    plan: Plan,
    oofs: dict[str, Any],
    tests: dict[str, Any],
    members: list[str],
    registry: Registry,
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
        oofs, tests, plan.y, plan.folds, plan.metric,
        level2=level2, members=members, passthrough=passthrough,
        passthrough_test=passthrough_test, final=spec.final, seed=cfg.competition.seed,
        target_transform=cfg.pipeline.target_transform, target_range=plan.target_range,
    )  # fmt: skip
