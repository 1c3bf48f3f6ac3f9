"""What a tuning session needs before its first trial: config, data, folds, model, space.

:func:`prepare_tuning` is run once in the main process and once in every worker process
(from the same picklable :class:`TuneArgs`); every check that can fail does so here,
before a study is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from podium.config import ResolvedConfig, RunRequest
from podium.data import load_data, resolve_data_dir
from podium.engine import Plan, prepare
from podium.exceptions import ConfigError, did_you_mean
from podium.registry import Registry
from podium.session import competition_registry
from podium.tuning.paths import check_paths
from podium.tuning.space import SearchSpace, default_space, parse_space

__all__ = ["TuneArgs", "TuneSetup", "prepare_tuning", "resolve_space"]


@dataclass(frozen=True)
class TuneArgs:
    """The inputs of a session: the run it tunes and the model (picklable, for worker
    processes)."""

    request: RunRequest
    model: str | None = None


@dataclass(frozen=True, eq=False)
class TuneSetup:
    """A checked session: the plan (data, folds, metric), the tuned model and its space.

    Attributes:
        fixed: path -> value set on every trial (a default space's pinned values that the
            pipeline does not set itself).
    """

    args: TuneArgs
    plan: Plan
    registry: Registry
    model: str
    model_index: int
    space: SearchSpace
    fixed: dict[str, Any] = field(default_factory=dict)

    @property
    def cfg(self) -> ResolvedConfig:
        return self.plan.cfg

    @property
    def direction(self) -> Literal["minimize", "maximize"]:
        return "maximize" if self.plan.metric.greater_is_better else "minimize"

    @property
    def attrs(self) -> dict[str, str]:
        """The study's identity (user attributes of the study)."""
        return {
            "competition": self.cfg.competition.name,
            "pipeline": self.cfg.pipeline_name,
            "model": self.model,
            "fold_fingerprint": self.plan.fold_fingerprint,
            "metric": self.plan.metric.name,
        }

    def trial_config(self, values: dict[str, Any]) -> ResolvedConfig:
        """The session's config with ``values`` (path -> value) set as ``--set`` overrides."""
        from podium.tuning.space import format_override

        sets = [format_override(k, v) for k, v in {**self.fixed, **values}.items()]
        request = self.args.request
        return replace(
            request, competition=self.cfg.competition_file, overrides=(*request.overrides, *sets)
        ).config()


def prepare_tuning(args: TuneArgs) -> TuneSetup:
    """Load config and data, build the folds, pick the model and its search space.

    Raises:
        ConfigError, DataError: bad config, data, model name or search space.
    """
    cfg = args.request.config()
    registry = competition_registry(cfg)
    models = list(cfg.pipeline.models)
    model = args.model or models[0]
    if model not in cfg.pipeline.models:
        raise ConfigError(
            f"--model {model!r}: pipeline {cfg.pipeline_name!r} has no such model"
            f"{did_you_mean(model, models)}"
        )
    space = resolve_space(cfg, model, registry)
    data_dir = resolve_data_dir(cfg.competition, cfg.competition_dir, args.request.data_dir)
    data = load_data(cfg.competition, data_dir)
    plan = prepare(cfg, data, registry)
    own = cfg.pipeline.models[model].params
    fixed = {p: v for p, v in space.fixed.items() if p.rsplit(".", 1)[1] not in own}
    return TuneSetup(
        args=args,
        plan=plan,
        registry=registry,
        model=model,
        model_index=models.index(model),
        space=space,
        fixed=fixed,
    )


def resolve_space(cfg: ResolvedConfig, model: str, registry: Registry) -> SearchSpace:
    """The entries that tuning ``model`` samples.

    Every ``search_space`` entry of the pipeline is checked (also other models'). The
    model's own entries and the shared stages' entries are kept; if none is the model's
    own, its registry default space is added.

    Raises:
        ConfigError: a bad entry, or no entries and no default space for the model.
    """
    raw = cfg.pipeline.search_space
    source = cfg.source_of("search_space")
    parse_space(raw, source=source)  # kinds, ranges and conditions of every entry
    task = cfg.competition.task
    targets = check_paths(raw, cfg.pipeline, registry, task=task, source=source)
    kept = {t.path: raw[t.path] for t in targets if t.belongs_to(model)}
    space = parse_space(kept, source=source)
    if any(t.model == model for t in targets):
        return space
    use = cfg.pipeline.models[model].use
    default = default_space(model, use, task=task, registry=registry)
    if default is None:
        raise ConfigError(
            f"{source}: search_space: no entries for model {model!r} and no default space "
            f"for {use!r}; add entries like models.{model}.params.<param>: {{float: [lo, hi]}}"
        )
    origin = default.origin + (f" + {len(space)} stage entries" if len(space) else "")
    return SearchSpace(params=(*space.params, *default.params), fixed=default.fixed, origin=origin)
