"""Name -> class registry for stages and models, with close-match errors.

Nothing registers at import time: ``podium.engine.default_registry()`` builds a registry
with the built-ins, and plug-ins add theirs through an explicit ``register(registry)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from podium.exceptions import ConfigError, did_you_mean

__all__ = ["Registry"]


class Registry:
    """Stages and models by name.

    Example:
        >>> reg = Registry()
        >>> reg.add_stage("drop", DropColumns)
        >>> reg.stage("drop")
    """

    def __init__(self) -> None:
        self._stages: dict[str, Callable[..., Any]] = {}
        self._models: dict[str, Callable[..., Any]] = {}
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
            kind: ``"stage"`` or ``"model"``.

        Raises:
            ConfigError: no such entry.
        """
        if (kind, name) not in self._origin:
            table = self._stages if kind == "stage" else self._models
            raise ConfigError(f"unknown {kind} {name!r}{did_you_mean(name, table)}")
        return self._origin[(kind, name)]

    @property
    def stages(self) -> list[str]:
        return sorted(self._stages)

    @property
    def models(self) -> list[str]:
        return sorted(self._models)
