"""Turning validated config into objects: the default registry, stage chains and models."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any

from podium.config import ModelSpec, ResolvedConfig, StageSpec
from podium.cv import BUILTIN_SCHEMES
from podium.engine.select import resolve_columns
from podium.engine.sizing import apply_below_rows
from podium.exceptions import ConfigError, ParamError
from podium.features import FEATURE_STAGES
from podium.metrics import METRICS
from podium.models import MODEL_ADAPTERS
from podium.models._check import check_names, check_values, signature_names
from podium.registry import Registry
from podium.stages import BUILTIN_STAGES, StageChain

__all__ = [
    "auto_n_jobs",
    "auto_n_workers",
    "default_registry",
    "build_chain",
    "build_model",
    "build_all",
    "check_stage_params",
]


def default_registry() -> Registry:
    """A fresh registry holding podium's built-in stages, models, CV schemes and metrics."""
    reg = Registry()
    for name, cls in {**BUILTIN_STAGES, **FEATURE_STAGES}.items():
        reg.add_stage(name, cls)
    for name, cls in MODEL_ADAPTERS.items():
        reg.add_model(name, cls)
    for name, scheme in BUILTIN_SCHEMES.items():
        reg.add_scheme(name, scheme)
    for metric in METRICS.values():
        reg.add_metric(metric)
    return reg


def _make_stage(spec: StageSpec, registry: Registry, where: str, cfg: ResolvedConfig) -> Any:
    try:
        cls = registry.stage(spec.use)
    except ConfigError as exc:
        raise ConfigError(f"{cfg.source_of(where + '.use')}: {where}.use: {exc}") from None
    try:
        check_stage_params(cls, spec.use, spec.params)
        return cls(**spec.params)
    except ParamError as exc:
        key = f"{where}.{exc.key}"
        raise ConfigError(f"{cfg.source_of(key)}: {key}: {exc.reason}") from None
    except TypeError as exc:
        raise ConfigError(f"{cfg.source_of(where)}: {where}.params: {exc}") from None


def _with_kinds(
    spec: StageSpec, kinds: Mapping[str, str] | None, where: str, cfg: ResolvedConfig
) -> StageSpec:
    """``spec`` with its kind selectors (``columns: {kind: ...}``) resolved to columns."""
    try:
        params = resolve_columns(spec.params, kinds, where)
    except ConfigError as exc:
        raise ConfigError(f"{cfg.source_of(where + '.params')}: {exc}") from None
    return spec if params == spec.params else spec.model_copy(update={"params": params})


def check_stage_params(cls: Callable[..., Any], use: str, params: dict[str, Any]) -> None:
    """Check a stage's parameters against its ``__init__`` signature (unknown names, with a
    "did you mean"), its ``_parameter_constraints`` if it declares them (scikit-learn's
    format) and its classmethod ``check_params(params)`` if it has one.

    Raises:
        ParamError: keyed ``params.<name>``.
    """
    owner = f"stage {use!r}"
    init = inspect.signature(cls).parameters.values()
    if not any(p.kind is p.VAR_KEYWORD for p in init):
        check_names(owner, params, signature_names(cls))
    check_values(owner, params, getattr(cls, "_parameter_constraints", {}))
    own = getattr(cls, "check_params", None)  # a stage's own checks (e.g. ce_encoder's names)
    if callable(own):
        own(params)


def build_chain(
    stages: list[StageSpec],
    registry: Registry,
    prefix: str,
    cfg: ResolvedConfig,
    kinds: Mapping[str, str] | None = None,
) -> StageChain:
    """A chain of freshly constructed stages; names and params checked here.

    ``kinds`` (the competition's column kinds) resolves kind selectors in stage params.
    """
    steps = []
    for s in stages:
        where = f"{prefix}.{s.name}"
        spec = _with_kinds(s, kinds, where, cfg)
        steps.append((s.name, _make_stage(spec, registry, where, cfg)))
    return StageChain(steps)


def auto_n_jobs(n_rows: int, configured: int | None) -> int:
    """Threads per model: ``n_jobs`` from config, else 1 below 50k rows (thread start-up
    costs more than it saves on small data: LightGBM fits 5k rows ~7x faster on 1 thread
    than on 2 here), else every core."""
    if configured is not None:
        return max(1, configured)
    return 1 if n_rows < 50_000 else max(1, os.cpu_count() or 1)


def auto_n_workers(n_jobs: int, configured: int | None) -> int:
    """Folds in parallel: ``n_workers`` from config, else 1.

    Worker processes cost seconds to start (they import pandas and the model libraries),
    which only pays off for pipelines that train for minutes; pipelines opt in.
    """
    if configured is not None:
        return max(1, configured)
    return 1


def build_model(
    name: str,
    spec: ModelSpec,
    registry: Registry,
    cfg: ResolvedConfig,
    *,
    n_jobs: int = 1,
    where: str | None = None,
) -> Any:
    """A model adapter for ``spec``, validated without data (``where``: its key path)."""
    where = where or f"models.{name}"
    try:
        cls = registry.model(spec.use)
    except ConfigError as exc:
        raise ConfigError(f"{cfg.source_of(where + '.use')}: {where}.use: {exc}") from None
    model = cls(
        task=cfg.competition.task,
        params=dict(spec.params),
        seed=cfg.competition.seed,
        n_jobs=n_jobs,
    )
    try:
        model.validate()
    except ParamError as exc:
        key = f"{where}.{exc.key}"
        raise ConfigError(f"{cfg.source_of(key)}: {key}: {exc.reason}") from None
    except ConfigError as exc:
        raise ConfigError(f"{cfg.source_of(where + '.params')}: {where}: {exc}") from None
    return model


def build_all(
    cfg: ResolvedConfig,
    registry: Registry,
    *,
    n_rows: int = 0,
    kinds: Mapping[str, str] | None = None,
) -> dict[str, tuple[StageChain, Any]]:
    """For each model: the chain (shared stages, then the model's own) and the model.

    ``kinds``: the competition's column kinds (``CompetitionData.kinds``), for selectors.
    """
    n_jobs = auto_n_jobs(n_rows, cfg.pipeline.n_jobs)
    for name, spec in cfg.pipeline.models.items():  # names checked at every size
        for bound in spec.below_rows:
            params, _ = spec.below_rows_entry(bound)
            sized = spec.model_copy(update={"params": {**spec.params, **params}})
            build_model(name, sized, registry, cfg, where=f"models.{name}.below_rows.{bound}")
    cfg, _ = apply_below_rows(cfg, n_rows)
    pipe = cfg.pipeline
    out: dict[str, tuple[StageChain, Any]] = {}
    names = [s.name for s in pipe.stages]
    for name, spec in pipe.models.items():
        for s in spec.stages:
            if s.name in names:
                raise ConfigError(
                    f"{cfg.source_of(f'models.{name}.stages')}: models.{name}.stages.{s.name}: "
                    "the name is already used by a shared stage"
                )
        shared = build_chain(pipe.stages, registry, "stages", cfg, kinds)
        own = build_chain(spec.stages, registry, f"models.{name}.stages", cfg, kinds)
        chain = StageChain(list(shared.steps or []) + list(own.steps or []))
        out[name] = (chain, build_model(name, spec, registry, cfg, n_jobs=n_jobs))
    for name, spec in pipe.ensemble.level2.items():  # checked now, built by the ensemble
        build_chain(spec.stages, registry, f"ensemble.level2.{name}.stages", cfg)
        build_model(name, spec, registry, cfg, where=f"ensemble.level2.{name}")
    return out
