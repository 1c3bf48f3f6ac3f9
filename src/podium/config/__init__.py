"""Competition and pipeline configs: schema, loading, merging, overrides."""

from podium.config.loader import (
    COMPETITION_FILE,
    ResolvedConfig,
    find_competition_dir,
    load_config,
    parse_override,
    read_yaml,
    set_path,
)
from podium.config.pipeline_schema import (
    EarlyStoppingSpec,
    EnsembleSpec,
    ModelSpec,
    PipelineConfig,
    StageSpec,
)
from podium.config.request import RunRequest
from podium.config.schema import (
    COLUMN_KINDS,
    CV_SCHEMES,
    PERIODS,
    SETTABLE_KINDS,
    TASKS,
    CompetitionConfig,
    CVSpec,
    DataSpec,
    SubmissionSpec,
    TrackingSpec,
)

__all__ = [
    "COLUMN_KINDS",
    "COMPETITION_FILE",
    "CV_SCHEMES",
    "PERIODS",
    "SETTABLE_KINDS",
    "TASKS",
    "CVSpec",
    "CompetitionConfig",
    "DataSpec",
    "EarlyStoppingSpec",
    "EnsembleSpec",
    "ModelSpec",
    "PipelineConfig",
    "ResolvedConfig",
    "RunRequest",
    "StageSpec",
    "SubmissionSpec",
    "TrackingSpec",
    "find_competition_dir",
    "load_config",
    "parse_override",
    "read_yaml",
    "set_path",
]
