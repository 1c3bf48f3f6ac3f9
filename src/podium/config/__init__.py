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
from podium.config.schema import (
    CV_SCHEMES,
    TASKS,
    CompetitionConfig,
    CVSpec,
    DataSpec,
    EarlyStoppingSpec,
    EnsembleSpec,
    ModelSpec,
    PipelineConfig,
    StageSpec,
    SubmissionSpec,
    TrackingSpec,
)

__all__ = [
    "COMPETITION_FILE",
    "CV_SCHEMES",
    "TASKS",
    "CVSpec",
    "CompetitionConfig",
    "DataSpec",
    "EarlyStoppingSpec",
    "EnsembleSpec",
    "ModelSpec",
    "PipelineConfig",
    "ResolvedConfig",
    "StageSpec",
    "SubmissionSpec",
    "TrackingSpec",
    "find_competition_dir",
    "load_config",
    "parse_override",
    "read_yaml",
    "set_path",
]
