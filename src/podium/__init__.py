"""podium: a framework for winning Kaggle-style competitions.

One fold assignment per run, leak-free stages, cross-validated models, MLflow runs and
validated submissions, declared in YAML and run with one command.
"""

from podium.exceptions import ConfigError, DataError, LeakageError, PodiumError, SubmissionError

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "LeakageError",
    "PodiumError",
    "SubmissionError",
    "__version__",
]
