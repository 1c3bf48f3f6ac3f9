"""Competition plug-ins: a Python file that adds stages and models to a registry.

A competition names its plug-in in ``competition.yaml`` (``plugins: features.py``, relative
to the competition folder). The file defines a function ``register(registry)``; nothing is
registered when the file is imported, and a competition that does not name the file never
imports it.

Example:
    >>> registry = default_registry()  # doctest: +SKIP
    >>> load_plugins(Path("competitions/store-sales/features.py"), registry)  # doctest: +SKIP
    >>> registry.origin("stage", "payday_flags")  # doctest: +SKIP
    'competitions/store-sales/features.py'
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType

from podium.exceptions import ConfigError, one_line
from podium.registry import Registry

__all__ = ["load_plugins", "module_name", "plugin_error", "plugin_file"]

_PREFIX = "podium_plugin_"


def module_name(path: str | Path) -> str:
    """The module name a plug-in file is imported under: the same path, the same name.

    The name is stable across processes, so pickled plug-in objects refer to the same
    module wherever the file is loaded again.
    """
    resolved = Path(path).resolve()
    slug = re.sub(r"\W", "_", f"{resolved.parent.name}_{resolved.stem}")
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:10]
    return f"{_PREFIX}{slug}_{digest}"


def load_plugins(path: str | Path, registry: Registry) -> ModuleType:
    """Import the plug-in file at ``path`` and call its ``register(registry)``.

    Entries added by ``register`` are credited to ``path`` (``registry.origin(kind, name)``),
    so a name registered twice names the file. The module is imported under
    :func:`module_name` and its classes are pickled by value, so parallel fold workers can
    unpickle plug-in stages without importing the file. Loading the same unchanged file
    again reuses the module.

    Args:
        path: The plug-in file.
        registry: Receives the plug-in's stages and models.

    Returns:
        The imported module.

    Raises:
        ConfigError: one line naming the file: it is missing, fails to import (or calls
            ``sys.exit``), has no ``register`` function, ``register`` raises, or registers a
            name twice.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: plug-in file not found")
    module = _import(path)
    register = getattr(module, "register", None)
    if not callable(register):
        raise ConfigError(f"{path}: plug-in has no register(registry) function")
    try:
        with registry.origin_scope(str(path)):
            register(registry)
    except ConfigError as exc:
        if str(path) in str(exc):
            raise
        raise ConfigError(f"{path}: register(registry) failed: {one_line(exc)}") from None
    except SystemExit as exc:
        raise ConfigError(
            f"{path}{_line_in(exc, path)}: register(registry) called sys.exit({exc.code!r})"
        ) from None
    except Exception as exc:
        where = _line_in(exc, path)
        raise ConfigError(
            f"{path}{where}: register(registry) failed: {one_line(exc, typed=True)}"
        ) from None
    return module


def _import(path: Path) -> ModuleType:
    name = module_name(path)
    stamp = hashlib.sha1(path.read_bytes()).hexdigest()
    cached = sys.modules.get(name)
    if cached is not None and getattr(cached, "__podium_stamp__", None) == stamp:
        return cached
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as ``import`` does: dataclasses and pickle look it up
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise ConfigError(
            f"{path}:{exc.lineno}: plug-in failed to import: SyntaxError: {exc.msg}"
        ) from None
    except SystemExit as exc:  # sys.exit() in a plug-in would end podium silently
        sys.modules.pop(name, None)
        raise ConfigError(
            f"{path}{_line_in(exc, path)}: plug-in called sys.exit({exc.code!r}) at import; "
            "a plug-in may only define stages and models"
        ) from None
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ConfigError(
            f"{path}{_line_in(exc, path)}: plug-in failed to import: "
            f"{one_line(exc, typed=True)}"
        ) from None
    module.__podium_stamp__ = stamp  # type: ignore[attr-defined]
    _pickle_by_value(module)
    return module


def plugin_file(obj: object) -> str | None:
    """The plug-in file that defines ``obj``'s class; None for podium's and libraries'.

    Works in fold workers too, which get plug-in classes by value (not the module).
    """
    cls = type(obj)
    if not cls.__module__.startswith(_PREFIX):
        return None
    file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    for value in vars(cls).values():
        if file is not None:
            break
        code = getattr(value, "__code__", None)
        file = getattr(code, "co_filename", None)
    return file or cls.__module__


def plugin_error(obj: object, action: str, exc: Exception) -> ConfigError | None:
    """A one-line ConfigError for ``exc``, raised by plug-in object ``obj`` while doing
    ``action`` (``"fit"``), naming the plug-in file and line; None when ``obj`` is not a
    plug-in's (the error is then podium's or a library's, and stays as it is)."""
    file = plugin_file(obj)
    if file is None:
        return None
    target = str(Path(file).resolve())
    inside = [
        f for f in traceback.extract_tb(exc.__traceback__)
        if f.filename and str(Path(f.filename).resolve()) == target
    ]  # fmt: skip
    line = f":{inside[-1].lineno}" if inside else ""
    method = inside[-1].name if inside else action
    return ConfigError(
        f"plug-in {file}{line}: {type(obj).__name__}.{method} raised "
        f"{one_line(exc, typed=True)} (in {action})"
    )


def _pickle_by_value(module: ModuleType) -> None:
    """Let loky (joblib's process pool) ship plug-in classes by value to fold workers."""
    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - joblib's loky depends on it
        return
    cloudpickle.register_pickle_by_value(module)


def _line_in(exc: BaseException, path: Path) -> str:
    """``:N`` for the deepest traceback line inside ``path`` (empty when none)."""
    target = str(path.resolve())
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and str(Path(frame.filename).resolve()) == target:
            line = frame.lineno
    return f":{line}" if line else ""
