"""The engine: cross-validation on the run's folds, and runs of whole pipelines."""

from podium.engine.build import build_all, build_chain, build_model, default_registry
from podium.engine.cache import FeatureCache, cache_root, feature_cache_dir
from podium.engine.check import check_stages
from podium.engine.cv_loop import holdout_split, run_cv
from podium.engine.experiment import ExperimentResult, cross_validate, run_models
from podium.engine.plan import Plan, encode_target, make_folds, prepare, resolve_cv
from podium.engine.repeats import combine_repeats
from podium.engine.result import CVResult, FoldResult

__all__ = [
    "CVResult",
    "ExperimentResult",
    "FeatureCache",
    "FoldResult",
    "Plan",
    "build_all",
    "build_chain",
    "build_model",
    "check_stages",
    "combine_repeats",
    "cross_validate",
    "cache_root",
    "default_registry",
    "encode_target",
    "feature_cache_dir",
    "holdout_split",
    "make_folds",
    "prepare",
    "resolve_cv",
    "run_cv",
    "run_models",
]
