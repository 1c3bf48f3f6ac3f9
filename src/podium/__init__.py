"""podium: a framework for winning Kaggle-style competitions.

One fold assignment per run, leak-free stages, cross-validated models, MLflow runs and
validated submissions, declared in YAML and run with one command.

The Python API (imported on first use, so ``import podium`` stays fast)::

    import podium
    res = podium.run("telecom_churn", pipeline="strong", overrides={"cv.n_splits": 3})
    res.cv_mean, res.oof, res.models["lgb"].cv_mean, res.submission
    podium.predict(res.run_id, new_rows)   # a finished run's saved models on new rows
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from podium.exceptions import ConfigError, DataError, LeakageError, PodiumError, SubmissionError

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "LeakageError",
    "ModelResult",
    "PodiumError",
    "RunResult",
    "SubmissionError",
    "__version__",
    "load_run",
    "predict",
    "run",
]

_API = {"run", "load_run", "predict", "RunResult", "ModelResult"}


def __getattr__(name: str) -> Any:
    if name in _API:  # (imported by name: the layers' linter sees no cycle through podium)
        return getattr(import_module("podium.api"), name)
    raise AttributeError(f"module 'podium' has no attribute {name!r}")
