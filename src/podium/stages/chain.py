"""An ordered chain of stages, cloned and fit inside each fold by the engine."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone

from podium.exceptions import ConfigError, PodiumError
from podium.plugins import plugin_error
from podium.stages.base import Stage, stage_params

__all__ = ["StageChain"]


def _accepted(stage: Stage, fit_params: dict[str, Any]) -> dict[str, Any]:
    """The fit params ``stage.fit_transform`` declares (e.g. ``groups`` for cross-fitting)."""
    if not fit_params:
        return {}
    sig = inspect.signature(stage.fit_transform)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return dict(fit_params)
    return {k: v for k, v in fit_params.items() if k in sig.parameters}


@contextmanager
def _named(name: str, stage: Any = None, action: str = "") -> Iterator[None]:
    """Prefix a stage's one-line error with the pipeline's name for it (its YAML ``name``);
    a plug-in stage's own failure becomes one such line naming the plug-in file."""
    try:
        yield
    except PodiumError as exc:
        if str(exc).startswith("stage ") and f"{name!r}" in str(exc).split(":", 1)[0]:
            raise
        raise type(exc)(f"stage {name!r}: {exc}") from None
    except Exception as exc:
        error = plugin_error(stage, action, exc)
        if error is None:
            raise
        raise ConfigError(f"stage {name!r}: {error}") from exc


@stage_params
class StageChain(TransformerMixin, BaseEstimator):
    """Stages applied in order, as one scikit-learn transformer.

    ``fit_transform`` calls each stage's ``fit_transform`` (cross-fitted stages return
    out-of-fold values there); ``transform`` only transforms, so validation and test rows
    never reach a ``fit``.

    Args:
        steps: ``(name, stage)`` pairs.
    """

    steps: list[tuple[str, Any]] | None = None

    def _steps(self) -> list[tuple[str, Any]]:
        return list(self.steps or [])

    def fit(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> Self:
        self.fit_transform(X, y, **fit_params)
        return self

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> pd.DataFrame:
        fitted = []
        for name, stage in self._steps():
            stage = clone(stage)
            with _named(name, stage, "fit_transform"):
                X = stage.fit_transform(X, y, **_accepted(stage, fit_params))
            fitted.append((name, stage))
        self.steps_ = fitted
        self.n_features_in_ = None
        return X

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        for name, stage in self.steps_:
            with _named(name, stage, "transform"):
                X = stage.transform(X)
        return X

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"steps": self.steps}
        if deep:
            for name, stage in self._steps():
                out[name] = stage
                for k, v in stage.get_params(deep=True).items():
                    out[f"{name}__{k}"] = v
        return out
