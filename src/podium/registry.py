"""Name -> entry registry for stages, models, CV schemes and metrics, with close-match errors.

Nothing registers at import time: ``podium.engine.default_registry()`` builds a registry
with the built-ins, and plug-ins add theirs through an explicit ``register(registry)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from podium.exceptions import ConfigError, did_you_mean
from podium.metrics import Metric

__all__ = ["Registry"]


class Registry:
    """Stages, models, CV schemes and metrics by name.

    A scheme is any object with ``build(request) -> Folds`` (see
    :class:`podium.cv.schemes.Scheme`); a metric a :class:`~podium.metrics.Metric`.

    Example:
        >>> reg = Registry()
        >>> reg.add_stage("drop", DropColumns)
        >>> reg.stage("drop")
    """

    def __init__(self) -> None:
        self._stages: dict[str, Callable[..., Any]] = {}
        self._models: dict[str, Callable[..., Any]] = {}
        self._schemes: dict[str, Any] = {}
        self._metrics: dict[str, Metric] = {}
        self._origin: dict[tuple[str, str], str] = {}
        self._default_origin = "built-in"

    @contextmanager
    def origin_scope(self, origin: str) -> Iterator[Registry]:
        """Within the block, additions without an explicit ``origin`` are credited to it.

        :func:`podium.plugins.load_plugins` wraps a plug-in's ``register(registry)`` in it, so
        a clash names the plug-in file.
        """
        before, self._default_origin = self._default_origin, origin
        try:
            yield self
        finally:
            self._default_origin = before

    def _add(
        self, kind: str, table: dict[str, Any], name: str, obj: Any, origin: str | None
    ) -> None:
        origin = origin or self._default_origin
        if name in table:
            before = self._origin.get((kind, name), "built-in")
            raise ConfigError(f"{origin}: {kind} {name!r} is registered twice (first by {before})")
        table[name] = obj
        self._origin[(kind, name)] = origin

    def add_stage(self, name: str, cls: Callable[..., Any], *, origin: str | None = None) -> None:
        """Register a stage class (a scikit-learn compatible transformer).

        Raises:
            ConfigError: ``name`` is taken; the message names both origins.
        """
        self._add("stage", self._stages, name, cls, origin)

    def add_model(self, name: str, cls: Callable[..., Any], *, origin: str | None = None) -> None:
        """Register a model adapter class (``origin`` as :meth:`add_stage`)."""
        self._add("model", self._models, name, cls, origin)

    def add_scheme(self, name: str, scheme: Any, *, origin: str | None = None) -> None:
        """Register a CV scheme (``build(request) -> Folds``; see :mod:`podium.cv.schemes`)."""
        if not callable(getattr(scheme, "build", None)):
            raise ConfigError(f"cv scheme {name!r} must have a build(request) method")
        self._add("scheme", self._schemes, name, scheme, origin)

    def add_metric(self, metric: Metric, *, origin: str | None = None) -> None:
        """Register a :class:`~podium.metrics.Metric` under its ``name``."""
        if not isinstance(metric, Metric):
            got = type(metric).__name__
            raise ConfigError(f"a metric must be a podium.metrics.Metric, got {got}")
        self._add("metric", self._metrics, metric.name, metric, origin)

    def scheme(self, name: str) -> Any:
        if name not in self._schemes:
            raise ConfigError(f"unknown cv scheme {name!r}{did_you_mean(name, self._schemes)}")
        return self._schemes[name]

    def metric(self, name: str, task: str | None = None) -> Metric:
        """The metric ``name``, checked to fit ``task`` when given."""
        if name not in self._metrics:
            raise ConfigError(f"unknown metric {name!r}{did_you_mean(name, self._metrics)}")
        metric = self._metrics[name]
        if task is not None and task not in metric.tasks:
            fits = sorted(n for n, m in self._metrics.items() if task in m.tasks)
            raise ConfigError(
                f"metric {name!r} does not fit task {task!r}; use one of: {', '.join(fits)}"
            )
        return metric

    def stage(self, name: str) -> Callable[..., Any]:
        if name not in self._stages:
            raise ConfigError(f"unknown stage {name!r}{did_you_mean(name, self._stages)}")
        return self._stages[name]

    def model(self, name: str) -> Callable[..., Any]:
        if name not in self._models:
            raise ConfigError(f"unknown model {name!r}{did_you_mean(name, self._models)}")
        return self._models[name]

    def origin(self, kind: str, name: str) -> str:
        """Where ``name`` came from: ``"built-in"`` or the plug-in file that registered it.

        Args:
            kind: ``"stage"``, ``"model"``, ``"scheme"`` or ``"metric"``.

        Raises:
            ConfigError: no such entry.
        """
        if (kind, name) not in self._origin:
            tables = {"stage": self._stages, "scheme": self._schemes, "metric": self._metrics}
            table: Any = tables.get(kind, self._models)
            raise ConfigError(f"unknown {kind} {name!r}{did_you_mean(name, table)}")
        return self._origin[(kind, name)]

    # One read-only list per table, each one line of sorted(); what callers read
    # (registry.stages, ...). A shared descriptor would be more code than these four.
    @property
    def stages(self) -> list[str]:
        return sorted(self._stages)

    @property
    def models(self) -> list[str]:
        return sorted(self._models)

    @property
    def schemes(self) -> list[str]:
        return sorted(self._schemes)

    @property
    def metrics(self) -> list[str]:
        return sorted(self._metrics)
