"""Hyperparameter tuning with Optuna: search spaces in pipeline YAML, resumable studies in
any Optuna storage (SQLite by default, PostgreSQL for many machines), parallel workers,
and every trial as a nested tracking run.

Example:
    >>> from podium.tuning import tune
    >>> result = tune(RunRequest("telecom_churn", root=Path(".")), n_trials=50, workers=2)
    >>> result.best.overrides()        # the --set strings `podium run --params best` uses
"""

from podium.tuning.best import BestParams, apply_best, best_params, save_best
from podium.tuning.objective import Objective
from podium.tuning.session import StudyCounts, TuneResult, count_states, tune
from podium.tuning.setup import TuneArgs, TuneSetup, prepare_tuning
from podium.tuning.space import Param, SearchSpace, default_space, format_override, parse_space
from podium.tuning.study import (
    PRUNERS,
    TuningError,
    check_storage,
    default_storage,
    default_study_name,
    find_studies,
    load_study,
    open_storage,
    open_study,
)

__all__ = [
    "PRUNERS",
    "BestParams",
    "Objective",
    "Param",
    "SearchSpace",
    "StudyCounts",
    "TuneArgs",
    "TuneResult",
    "TuneSetup",
    "TuningError",
    "apply_best",
    "best_params",
    "check_storage",
    "count_states",
    "default_space",
    "default_storage",
    "default_study_name",
    "find_studies",
    "format_override",
    "load_study",
    "open_storage",
    "open_study",
    "parse_space",
    "prepare_tuning",
    "save_best",
    "tune",
]
