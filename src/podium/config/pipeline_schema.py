"""Pydantic models of ``pipelines/<name>.yaml``: stages and models, reusable across
competitions (unknown keys are errors with a "did you mean" hint)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from podium.config._bounds import at_least, inside
from podium.config.schema import _Strict
from podium.exceptions import did_you_mean

__all__ = ["EarlyStoppingSpec", "EnsembleSpec", "ModelSpec", "PipelineConfig", "StageSpec"]


class StageSpec(_Strict):
    """One stage: a registry name (``use``) and its parameters."""

    name: str
    use: str
    params: dict[str, Any] = Field(default_factory=dict)


class EarlyStoppingSpec(_Strict):
    """Early stopping on a holdout cut from the training part of each fold."""

    rounds: Annotated[int, at_least(1)] = 100
    holdout: Annotated[float, inside(0, 0.5)] = 0.1


BELOW_ROWS_SEEDS = "seeds"
"""The one key of a ``below_rows`` entry that is not a model parameter: it sets the
model's ``seeds`` (seed averaging) for training files of fewer rows."""


class ModelSpec(_Strict):
    """A model: registry name, parameters, and the stages only this model needs."""

    use: str
    params: dict[str, Any] = Field(default_factory=dict)
    stages: list[StageSpec] = Field(default_factory=list)
    early_stopping: EarlyStoppingSpec | None = None
    test_predictions: Literal["fold_mean", "refit"] | None = None
    seeds: Annotated[int, at_least(1)] = 1
    """Seed averaging: fit this many times with model seeds seed, seed+1, ... on the same
    folds and average the predictions."""
    below_rows: dict[int, dict[str, Any]] = Field(default_factory=dict)
    """``{10000: {depth: 4}}``: these params when the training file has fewer rows (the
    smallest bound that holds wins; see :mod:`podium.engine.sizing`); the key ``seeds``
    there sets ``seeds`` instead."""

    def below_rows_entry(self, bound: int) -> tuple[dict[str, Any], int | None]:
        """The ``below_rows`` entry of ``bound`` as (model params, ``seeds`` or None)."""
        entry = self.below_rows[bound]
        params = {k: v for k, v in entry.items() if k != BELOW_ROWS_SEEDS}
        return params, entry.get(BELOW_ROWS_SEEDS)

    @field_validator("below_rows")
    @classmethod
    def _below_rows(cls, v: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
        bad = [b for b in v if b < 1]
        if bad:
            raise ValueError(f"row bounds must be >= 1, got {bad[0]}")
        for bound, entry in v.items():
            seeds = entry.get(BELOW_ROWS_SEEDS, 1)
            if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
                raise ValueError(f"{bound}: seeds must be an integer >= 1, got {seeds!r}")
        return v


class EnsembleSpec(_Strict):
    """How the models' predictions become one submission (all on the run's folds).

    ``best``: the model with the best CV. ``mean``: the plain average. ``weights``:
    non-negative weights summing to 1, optimised on the metric (``params.bag``: ``auto``
    bags them over the folds for metrics without a gradient, ``true`` always, ``false``
    never). ``rank``: weighted mean of
    ranks. ``power``: weighted mean in logit (``params.space: logit``) or power space.
    ``hill``: Caruana's ensemble selection with replacement. ``stack``: ``level2`` models
    cross-validated on the level-1 out-of-fold predictions (plus ``passthrough`` columns);
    several level-2 models are combined by ``final`` (a third level). Blend CV is nested:
    fold k is blended with weights fit on the other folds.
    """

    method: Literal["best", "mean", "weights", "rank", "power", "hill", "stack"] = "best"
    params: dict[str, Any] = Field(default_factory=dict)
    members: list[str] | None = None
    level2: dict[str, ModelSpec] = Field(default_factory=dict)
    passthrough: list[str] = Field(default_factory=list)
    final: Literal["mean", "weights", "rank", "power", "hill", "best"] = "weights"

    @model_validator(mode="after")
    def _stack_needs_level2(self) -> EnsembleSpec:
        if self.method == "stack" and not self.level2:
            raise ValueError("method 'stack' needs ensemble.level2 (one or more models)")
        return self


class PipelineConfig(_Strict):
    """``pipelines/<name>.yaml``: shared stages, then one or more models."""

    description: str = ""
    ensemble: EnsembleSpec = Field(default_factory=EnsembleSpec)
    target_transform: Literal["auto", "none", "log1p"] = "auto"
    """``log1p``: models learn ``log1p(y)``, predictions are mapped back. ``auto``: log1p
    for a log-scaled metric (rmsle) when every target is > -1, else none; a run records
    the resolved choice in its config (see :mod:`podium.engine.targets`)."""
    stages: list[StageSpec] = Field(default_factory=list)
    models: dict[str, ModelSpec]
    test_predictions: Literal["auto", "fold_mean", "refit"] = "auto"
    """``fold_mean``: the test is predicted by every fold's model, averaged; ``refit``: by
    one model fit on all rows (iterations scaled from the folds). ``auto``: refit when the
    folds are time-ordered (``time``, ``period_tail``: fold models never see the rows
    nearest the test), else fold_mean."""
    n_jobs: int | None = None
    """Threads per model; None: 1 below 50k rows, else every core."""
    n_workers: int | None = None
    """Folds fitted at once in separate processes (None: 1); results do not depend on it."""
    time_limit: Annotated[float, at_least(0)] | None = None
    """Seconds for the models' cross-validation: once it has run this long, the models not
    yet started are skipped (the first model always runs, a started one finishes); the
    ensemble is made of the models that ran. The run prints and logs what it skipped."""
    executor: str = "local"
    """``local``, ``dask`` (at ``executor_address``) or a tcp:// address: podium.engine.executor"""
    executor_address: str | None = None

    @field_validator("executor")
    @classmethod
    def _known_executor(cls, v: str) -> str:
        if v not in ("local", "dask") and not v.startswith("tcp://"):
            raise ValueError(
                f"unknown executor {v!r}{did_you_mean(v, ['local', 'dask'])}; "
                "local, dask or a tcp://host:port scheduler address"
            )
        return v

    search_space: dict[str, Any] = Field(default_factory=dict)
    """``podium tune``: dotted parameter path -> range; checked by ``podium.tuning``."""
    cache: Literal["auto", "on", "off"] = "auto"
    """Feature cache (stage outputs per fold): ``auto`` caches chains with a feature stage
    or a plug-in stage; ``on``/``off`` force it. See :mod:`podium.engine.cache`."""

    @field_validator("cache", mode="before")
    @classmethod
    def _cache_yaml_bool(cls, v: Any) -> Any:
        # YAML 1.1 reads a bare on/off as true/false.
        return {True: "on", False: "off"}.get(v, v) if isinstance(v, bool) else v

    @field_validator("models")
    @classmethod
    def _at_least_one(cls, v: dict[str, ModelSpec]) -> dict[str, ModelSpec]:
        if not v:
            raise ValueError("needs at least one model")
        return v

    @field_validator("stages")
    @classmethod
    def _unique_stage_names(cls, v: list[StageSpec]) -> list[StageSpec]:
        seen: set[str] = set()
        for s in v:
            if s.name in seen:
                raise ValueError(f"stage name {s.name!r} is used twice")
            seen.add(s.name)
        return v
