"""Which model or stage parameter a search-space path names, and whether it exists.

A path has one of three shapes (list items are named, as with ``--set``)::

    models.<model>.params.<param>
    stages.<stage>.params.<param>                  a shared stage
    models.<model>.stages.<stage>.params.<param>   a stage of one model

Model parameters are free-form mappings, so "exists" means: the model or stage is in the
pipeline, and the parameter is one the estimator accepts (scikit-learn ``get_params()``;
the stage's constructor; for a model, the names its adapter accepts
(:meth:`podium.models.base.ModelAdapter.accepted_params`: the GBDTs read their libraries'
lists, the same ones ``podium validate`` checks parameters against).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from podium.config import PipelineConfig, StageSpec
from podium.exceptions import ConfigError, did_you_mean
from podium.registry import Registry

__all__ = ["Target", "resolve_path", "check_paths", "known_model_params"]



_SHAPES = (
    "models.<model>.params.<param>, stages.<stage>.params.<param> or "
    "models.<model>.stages.<stage>.params.<param>"
)


@dataclass(frozen=True)
class Target:
    """What a path points at: ``model`` (None for a shared stage), ``stage``, ``param``."""

    path: str
    model: str | None
    stage: str | None
    param: str

    def belongs_to(self, model: str) -> bool:
        """Whether tuning ``model`` samples this entry (its own params and stages, and
        shared stages, which feed every model)."""
        return self.model is None or self.model == model


def resolve_path(path: str, pipe: PipelineConfig, *, source: str) -> Target:
    """Split ``path`` and check that its model and stage exist in ``pipe``.

    Raises:
        ConfigError: a malformed path or an unknown model or stage (closest suggested).
    """
    parts = path.split(".")
    where = f"{source}: search_space.{path}"
    if len(parts) == 4 and parts[0] == "models" and parts[2] == "params":
        _check_name(parts[1], pipe.models, "model", where)
        return Target(path, parts[1], None, parts[3])
    if len(parts) == 4 and parts[0] == "stages" and parts[2] == "params":
        _check_name(parts[1], [s.name for s in pipe.stages], "shared stage", where)
        return Target(path, None, parts[1], parts[3])
    if len(parts) == 6 and parts[0] == "models" and parts[2] == "stages" and parts[4] == "params":
        _check_name(parts[1], pipe.models, "model", where)
        own = [s.name for s in pipe.models[parts[1]].stages]
        _check_name(parts[3], own, f"stage of model {parts[1]!r}", where)
        return Target(path, parts[1], parts[3], parts[5])
    raise ConfigError(f"{where}: not a parameter path; expected {_SHAPES}")


def _check_name(name: str, known: Iterable[str], what: str, where: str) -> None:
    known = list(known)
    if name not in known:
        raise ConfigError(
            f"{where}: the pipeline has no {what} {name!r}{did_you_mean(name, known)}"
        )


def check_paths(
    paths: Iterable[str], pipe: PipelineConfig, registry: Registry, *, task: str, source: str
) -> list[Target]:
    """Resolve every path and check its parameter name against the estimator.

    Raises:
        ConfigError: naming the path and the parameter, with the closest known name.
    """
    targets = []
    for path in paths:
        t = resolve_path(path, pipe, source=source)
        where = f"{source}: search_space.{path}"
        if t.stage is None:
            assert t.model is not None
            use = pipe.models[t.model].use
            known = known_model_params(use, registry, task)
            what = f"model {t.model!r} ({use})"
        else:
            spec = _stage_spec(pipe, t)
            known = _stage_params(registry.stage(spec.use))
            what = f"stage {t.stage!r} ({spec.use})"
        if known is not None and t.param not in known:
            raise ConfigError(
                f"{where}: {what} has no parameter {t.param!r}{_hint(t.param, known)}"
            )
        targets.append(t)
    return targets


def _hint(name: str, known: Iterable[str]) -> str:
    """The closest known name; a case-insensitive match first (``c`` -> ``C``)."""
    same = sorted(k for k in known if k.lower() == name.lower())
    return f" - did you mean {same[0]!r}?" if same else did_you_mean(name, known)


def _stage_spec(pipe: PipelineConfig, t: Target) -> StageSpec:
    stages = pipe.stages if t.model is None else pipe.models[t.model].stages
    return next(s for s in stages if s.name == t.stage)


def _stage_params(cls: Any) -> frozenset[str] | None:
    getter = getattr(cls, "_get_param_names", None)
    if getter is not None:
        return frozenset(getter())
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return frozenset(sig.parameters)


def known_model_params(use: str, registry: Registry, task: str) -> frozenset[str] | None:
    """Parameter names model ``use`` accepts, or ``None`` when podium cannot tell."""
    cls = registry.model(use)
    try:
        return cls(task=task).accepted_params()
    except Exception:  # a plug-in adapter podium does not know how to read
        return None
