"""Pydantic models of ``competitions/<name>/competition.yaml``: a competition, declared once.

The pipeline file's models are in :mod:`podium.config.pipeline_schema`. Unknown keys are
errors with a "did you mean" hint (:class:`_Strict`, the base of both).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from podium.config._bounds import at_least, inside
from podium.exceptions import did_you_mean
from podium.metrics import METRICS

__all__ = [
    "CompetitionConfig",
    "CVSpec",
    "DataSpec",
    "SubmissionSpec",
    "TrackingSpec",
    "COLUMN_KINDS",
    "CV_SCHEMES",
    "PERIODS",
    "SETTABLE_KINDS",
    "TASKS",
]

TASKS = ("binary", "multiclass", "regression")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
CV_SCHEMES = (
    "kfold",
    "stratified_kfold",
    "group_kfold",
    "stratified_group_kfold",
    "time",
    "fold_column",
    "period_tail",
)
"""The built-in schemes (``auto`` is not one: it resolves to one of them)."""
PERIODS = ("month", "week", "day")
"""What ``cv.period`` may name (``period_tail``)."""


def _plugins_may_add(info: ValidationInfo) -> bool:
    """Whether the config names a plug-in, which may register schemes and metrics (then
    unknown names are checked against the registry when the run is prepared)."""
    return bool((info.context or {}).get("plugins"))

COLUMN_KINDS = ("numeric", "categorical", "id", "datetime", "text", "constant", "train_only")
"""The kinds :func:`podium.data.profile_columns` gives a column."""
SETTABLE_KINDS = ("numeric", "categorical", "id", "datetime", "text")
"""The kinds ``data.kinds`` may set (the others are facts about the files)."""


class _Strict(BaseModel):
    """Base: frozen, unknown keys rejected with the closest known key suggested."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            for key in data:
                if key not in known:
                    raise ValueError(f"unknown key {key!r}{did_you_mean(str(key), known)}")
        return data


class DataSpec(_Strict):
    """Data files (relative to the data folder) and the columns that matter."""

    train: str = "train.csv"
    test: str = "test.csv"
    sample_submission: str = "sample_submission.csv"
    id: str | None = None
    target: str
    drop: list[str] = Field(default_factory=list)
    train_filter: str | None = None
    """A pandas query over the train file: rows that match are kept (e.g. outliers out)."""
    kinds: dict[str, str] = Field(default_factory=dict)
    """Column -> kind (numeric, categorical, id, datetime, text), over the inferred one."""
    datetime_id: bool = True
    """When the id column is a datetime, keep a copy of it among the features."""
    sample: float | None = Field(default=None, gt=0.0, lt=1.0)
    """A fraction: train on a fixed, seeded (stratified) row subset; see podium.data.lean."""

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, v: dict[str, str]) -> dict[str, str]:
        for column, kind in v.items():
            if kind not in SETTABLE_KINDS:
                hint = did_you_mean(str(kind), SETTABLE_KINDS)
                raise ValueError(f"column {column!r}: unknown kind {kind!r}{hint}")
        return v


class CVSpec(_Strict):
    """The validation scheme. One fold assignment per run is built from it.

    ``scheme: auto`` (the default when ``cv`` is left out) measures how test relates to
    train (:mod:`podium.data.relation`) and picks the scheme that mimics it; the run's
    resolved config then holds the chosen scheme with ``chosen`` saying why.
    """

    scheme: str = "auto"
    n_splits: Annotated[int, at_least(2)] = 5
    shuffle: bool = True
    groups: str | None = None
    time: str | None = None
    gap: Annotated[int, at_least(0)] = 0
    fold_column: str | None = None
    period: str | None = None
    """``period_tail``: ``month``, ``week`` or ``day``."""
    tail: Annotated[float, inside(0, 1)] | None = None
    """``period_tail``: the share of each period's training rows (its latest times) that
    is validated (default 0.3)."""
    past_only: bool = False
    """``period_tail``: a fold trains only on rows before the tails it validates."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Parameters of a plug-in scheme."""
    chosen: str | None = None
    """Set by ``scheme: auto``: why this scheme was chosen (one line)."""
    from_features: list[str] = Field(default_factory=list)
    """Set by ``scheme: auto``: the time/groups columns it took from the features (they
    stay features; columns named in cv otherwise are not features)."""
    repeats: int = Field(default=1, ge=1)  # fold assignments, seeds seed, seed+1, ...: repeated CV

    @field_validator("scheme")
    @classmethod
    def _known_scheme(cls, v: str, info: ValidationInfo) -> str:
        known = (*CV_SCHEMES, "auto")
        if v not in known and not _plugins_may_add(info):
            raise ValueError(f"unknown cv scheme {v!r}{did_you_mean(v, known)}")
        return v

    @field_validator("period")
    @classmethod
    def _known_period(cls, v: str | None) -> str | None:
        if v is not None and v not in PERIODS:
            hint = did_you_mean(v, PERIODS) or f"; use one of {', '.join(PERIODS)}"
            raise ValueError(f"unknown period {v!r}{hint}")
        return v

    @model_validator(mode="after")
    def _columns_for_scheme(self) -> CVSpec:
        needs = {
            "group_kfold": "groups",
            "stratified_group_kfold": "groups",
            "time": "time",
            "period_tail": "time",
            "fold_column": "fold_column",
        }
        key = needs.get(self.scheme)
        if key and getattr(self, key) is None:
            raise ValueError(f"scheme {self.scheme!r} needs cv.{key} (a column name)")
        if self.scheme == "period_tail" and self.period is None:
            raise ValueError(f"scheme 'period_tail' needs cv.period (one of {PERIODS})")
        return self


class SubmissionSpec(_Strict):
    """Column names and the kind of values the competition accepts.

    ``target`` may be left out: multiclass probabilities go to one column per class (the
    sample's non-id columns); otherwise the sample's one non-id column is the target.
    """

    id: str = "Id"
    target: str | None = None
    kind: Literal["probability", "label", "value"] = "probability"

    def value_columns(
        self,
        columns: Sequence[object],
        *,
        task: str | None = None,
        classes: Iterable[object] | None = None,
    ) -> list[str]:
        """The sample submission's columns that predictions fill, given its ``columns``.

        Multiclass probabilities: one column per class, in the order of ``classes`` (the
        sample's non-id columns, which must be exactly the classes; a given ``target``
        must be one of them). Otherwise ``[target]``, or the one non-id column.

        Raises:
            ValueError: a one-line reason (callers add the file's name).
        """
        others = [str(c) for c in columns if str(c) != self.id]
        if task == "multiclass" and self.kind == "probability":
            if self.target is not None and self.target not in others:
                raise ValueError(
                    f"submission target column {self.target!r} not found; for multiclass "
                    f"probabilities leave submission.target out (the class columns are the "
                    f"non-id columns: {', '.join(others[:6])})"
                )
            if classes is None:
                return others
            names = [str(c) for c in classes]
            missing = [c for c in names if c not in others]
            extra = [c for c in others if c not in names]
            if missing or extra:
                why = [f"class {c!r} of the target has no column" for c in missing[:3]]
                why += [f"column {c!r} is not a class of the target" for c in extra[:3]]
                raise ValueError(f"columns do not match the target's classes: {'; '.join(why)}")
            return names
        if self.target is None:
            if len(others) != 1:
                raise ValueError(
                    f"submission.target is not set and the sample has {len(others)} non-id "
                    f"columns ({', '.join(others[:6])}); set submission.target"
                )
            return others
        if self.target not in others:
            raise ValueError(
                f"submission target column {self.target!r} not found"
                f"{did_you_mean(self.target, others)}"
            )
        return [self.target]


class TrackingSpec(_Strict):
    """Where runs go. ``uri`` None means ``$MLFLOW_TRACKING_URI`` or ``<root>/mlruns``."""

    uri: str | None = None
    experiment: str | None = None


class CompetitionConfig(_Strict):
    """``competitions/<name>/competition.yaml``."""

    name: str
    description: str = ""
    data: DataSpec
    task: Literal["binary", "multiclass", "regression"]
    metric: str
    cv: CVSpec = Field(default_factory=CVSpec)
    """Left out: ``scheme: auto``. ``cv: auto`` (or any scheme name) is short for
    ``cv: {scheme: <name>}``."""
    seed: Annotated[int, at_least(0)] = 42
    pipeline: str = "auto"
    """The pipeline run when none is named: ``auto`` (built from the column profile)."""
    overrides: dict[str, Any] = Field(default_factory=dict)
    pipeline_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    submission: SubmissionSpec
    tracking: TrackingSpec = Field(default_factory=TrackingSpec)
    plugins: str | None = None
    """A Python file, relative to the competition folder, whose ``register(registry)`` adds
    stages and models (e.g. ``features.py``); see :func:`podium.plugins.load_plugins`."""

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, v: str) -> str:
        # The name becomes a folder (the feature cache, $PODIUM_DATA_DIR/<name>): one
        # plain path component, so no name can reach outside those folders.
        if not _NAME.fullmatch(v) or v in (".", ".."):
            raise ValueError(
                f"must be a plain folder name (letters, digits, '_', '-', '.'; no '/' or "
                f"'..'), got {v!r}"
            )
        return v

    @field_validator("plugins")
    @classmethod
    def _plugins_is_python_file(cls, v: str | None) -> str | None:
        if v is not None and (not v.strip() or not v.endswith(".py")):
            raise ValueError(f"must name a .py file (e.g. features.py), got {v!r}")
        return v

    @field_validator("cv", mode="before")
    @classmethod
    def _cv_by_name(cls, v: Any) -> Any:
        return {"scheme": v} if isinstance(v, str) else v

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v: str, info: ValidationInfo) -> str:
        if v not in METRICS and not _plugins_may_add(info):
            raise ValueError(f"unknown metric {v!r}{did_you_mean(v, METRICS)}")
        return v

    @model_validator(mode="after")
    def _metric_fits_task(self) -> CompetitionConfig:
        if self.metric not in METRICS:  # a plug-in's: checked against the registry
            return self
        if self.task not in METRICS[self.metric].tasks:
            fits = sorted(n for n, m in METRICS.items() if self.task in m.tasks)
            raise ValueError(
                f"metric {self.metric!r} does not fit task {self.task!r}; "
                f"use one of: {', '.join(fits)}"
            )
        return self

    @model_validator(mode="after")
    def _submission_kind_fits_task(self) -> CompetitionConfig:
        kind = self.submission.kind
        if (self.task == "regression") != (kind == "value"):
            want = "value" if self.task == "regression" else "probability or label"
            raise ValueError(
                f"submission.kind {kind!r} does not fit task {self.task!r}; use {want}"
            )
        return self
