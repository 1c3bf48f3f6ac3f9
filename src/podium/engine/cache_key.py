"""Keys of the feature cache: what a fold's chain outputs depend on, hashed.

A fold's features are a function of the chain (stage classes and parameters, and the code
of those classes), the rows it is fit on and transforms (training frame, target, test
frame, groups, split context) and the fold's rows. Everything here hashes one of those;
anything that cannot be hashed reproducibly raises :class:`Unkeyable`, and the chain is
then not cached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Unkeyable",
    "array_digest",
    "chain_description",
    "code_fingerprint",
    "digest",
    "frame_digest",
    "value_digest",
]

# podium packages whose code decides what a chain outputs (hashed as a whole).
_FEATURE_PACKAGES = ("stages", "features", "cv")
_LIBRARIES = ("numpy", "pandas", "scikit-learn", "scipy", "pyarrow")


class Unkeyable(ValueError):
    """A parameter or input that has no reproducible hash (e.g. an object without a
    stable ``repr``, or a stage class without a source file)."""


def digest(*parts: str | bytes) -> str:
    """sha256 (first 32 hex) over the parts, each length-prefixed."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode() if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()[:32]


def array_digest(a: Any) -> str:
    """Hash of an array's dtype, shape and values (object/str arrays by value)."""
    arr = np.asarray(a)
    if arr.dtype.kind in "biufcmM":
        return digest(arr.dtype.str, str(arr.shape), np.ascontiguousarray(arr).tobytes())
    try:
        hashed = pd.util.hash_pandas_object(pd.Series(arr.ravel()), index=False)
    except TypeError as exc:
        raise Unkeyable(f"array of {arr.dtype} cannot be hashed: {exc}") from None
    return digest(str(arr.dtype), str(arr.shape), hashed.to_numpy().tobytes())


def _dtype_token(dtype: Any) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        return f"category[{cats.dtype}:{dtype.ordered}:{array_digest(cats.to_numpy())}]"
    return repr(dtype)


def frame_digest(df: pd.DataFrame) -> str:
    """Hash of a frame: column names, dtypes (categories included), index and values."""
    try:
        hashed = pd.util.hash_pandas_object(df, index=True).to_numpy()
    except TypeError as exc:
        raise Unkeyable(f"frame cannot be hashed: {exc}") from None
    return digest(
        repr([str(c) for c in df.columns]),
        repr([type(c).__name__ for c in df.columns]),
        repr([_dtype_token(t) for t in df.dtypes]),
        f"{type(df.index).__name__}:{df.index.dtype}:{len(df)}",
        hashed.tobytes(),
    )


def value_digest(value: Any) -> str:
    """Hash of an input that is an array, a frame, a dataclass of those, or None."""
    if value is None:
        return "none"
    if isinstance(value, pd.DataFrame):
        return frame_digest(value)
    if isinstance(value, pd.Series):
        return frame_digest(value.to_frame())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: value_digest(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return digest(type(value).__qualname__, json.dumps(fields, sort_keys=True))
    if isinstance(value, np.ndarray | list | tuple):
        return array_digest(value)
    return digest(json.dumps(_describe(value, set()), sort_keys=True))


def _qualname(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _describe(obj: Any, classes: set[type]) -> Any:
    """A JSON-able, canonical description of a stage parameter value."""
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"float": repr(obj)}
    if isinstance(obj, np.generic):
        return {"np": obj.dtype.str, "v": _describe(obj.item(), classes)}
    if isinstance(obj, Path):
        return {"path": str(obj)}
    if isinstance(obj, type):
        classes.add(obj)
        return {"class": _qualname(obj)}
    if hasattr(obj, "get_params") and callable(obj.get_params):
        classes.add(type(obj))
        params = obj.get_params(deep=False)
        return {
            "class": _qualname(type(obj)),
            "params": {str(k): _describe(v, classes) for k, v in sorted(params.items())},
        }
    if isinstance(obj, list):
        return [_describe(v, classes) for v in obj]
    if isinstance(obj, tuple):
        return {"tuple": [_describe(v, classes) for v in obj]}
    if isinstance(obj, dict):
        items = [[_describe(k, classes), _describe(v, classes)] for k, v in obj.items()]
        return {"dict": sorted(items, key=lambda kv: json.dumps(kv[0], sort_keys=True))}
    if isinstance(obj, set | frozenset):
        return {"set": sorted(json.dumps(_describe(v, classes), sort_keys=True) for v in obj)}
    if isinstance(obj, np.ndarray | pd.Series | pd.Index):
        return {"array": array_digest(np.asarray(obj))}
    if isinstance(obj, pd.DataFrame):
        return {"frame": frame_digest(obj)}
    if callable(obj) and hasattr(obj, "__qualname__") and hasattr(obj, "__module__"):
        return {"callable": _qualname(obj), "source": _source_digest(obj)}
    raise Unkeyable(f"parameter value {obj!r} of type {type(obj).__name__} has no stable key")


def chain_description(chain: Any) -> tuple[Any, list[type]]:
    """The chain's canonical description and every class it uses (stages, nested bases).

    Raises:
        Unkeyable: a parameter value that cannot be described reproducibly.
    """
    classes: set[type] = set()
    desc = _describe(chain, classes)
    return desc, sorted(classes, key=_qualname)


def _is_podium(cls: type) -> bool:
    return cls.__module__ == "podium" or cls.__module__.startswith("podium.")


def _source_digest(obj: Any) -> str:
    """Hash of the source file that defines ``obj`` (plug-ins: editing them invalidates)."""
    if isinstance(obj, type) and _is_podium(obj):
        return "podium"
    try:
        path = inspect.getsourcefile(obj)
    except TypeError:
        path = None
    if path is None or not Path(path).is_file():
        raise Unkeyable(f"{_qualname(obj)} has no source file to fingerprint")
    stat = Path(path).stat()
    return _file_digest(path, stat.st_mtime_ns, stat.st_size)


@cache
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    """Remembered per (path, mtime, size): an edited file is read again."""
    return digest(Path(path).read_bytes())


@cache
def _podium_code() -> str:
    """Hash of podium's version and the source of the packages that compute features."""
    import podium

    root = Path(podium.__file__).parent
    parts: list[str | bytes] = [podium.__version__]
    for pkg in _FEATURE_PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            parts += [path.relative_to(root).as_posix(), path.read_bytes()]
    return digest(*parts)


@cache
def _library_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in _LIBRARIES:
        try:
            out.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name}==none")
    return ",".join(out)


def code_fingerprint(classes: list[type]) -> str:
    """Hash of the code behind ``classes``: podium's feature packages and the library
    versions, plus the source file of every class defined outside podium (plug-ins).

    Raises:
        Unkeyable: a class outside podium without a readable source file.
    """
    plugins = [f"{_qualname(c)}={_source_digest(c)}" for c in classes if not _is_podium(c)]
    return digest(_podium_code(), _library_versions(), *plugins)
