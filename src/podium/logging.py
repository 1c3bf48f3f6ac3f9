"""podium's logger. Only this module attaches handlers (library modules just log)."""

from __future__ import annotations

import logging
import warnings

__all__ = ["get_logger", "configure"]

_ROOT = "podium"


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def configure(level: int = logging.WARNING) -> None:
    """Attach one stderr handler to podium's root logger and quiet noisy libraries."""
    logger = logging.getLogger(_ROOT)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    for noisy in ("alembic", "mlflow", "urllib3", "git"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    # Third-party libraries warn about their own futures; users should not see those.
    for category in (FutureWarning, DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", module="category_encoders")
