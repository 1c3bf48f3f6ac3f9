"""Feature-cache entries on disk: one folder per key, one parquet file per part.

An entry is ``<key>/`` holding ``train.parquet``, ``valid.parquet``, ``test.parquet``
(when the test rows were transformed) and ``meta.json``. It is written into a temporary
folder next to it and renamed into place, so a reader sees a whole entry or none; a file
that cannot be read makes the entry a miss, and it is written again.

Parquet keeps float bits, ``str``, nullable and datetime columns and the index; categorical
columns are stored as their codes with the categories in ``meta.json`` (parquet gives back
non-string dictionaries as plain values). Every entry is read back once before it is
renamed into place: frames that do not come back identical are not cached at all.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from podium.exceptions import one_line

__all__ = ["CacheUsage", "clear_cache", "read_entry", "remove_entry", "usage", "write_entry"]

logger = logging.getLogger(__name__)

FORMAT = 1
META = "meta.json"
_KEY = re.compile(r"[0-9a-f]{32}")
_READ_ERRORS = (OSError, ValueError, KeyError, TypeError, pa.ArrowException)


class NoRoundTrip(ValueError):
    """Frames that parquet would not give back identical (e.g. object columns)."""


def _write_frame(frame: pd.DataFrame, file: Path) -> dict[str, Any]:
    if not all(isinstance(c, str) for c in frame.columns) or frame.columns.has_duplicates:
        raise NoRoundTrip("column names must be unique strings")
    plain = frame.copy(deep=False)
    cats: dict[str, Any] = {}
    for c in frame.columns:
        dtype = frame[c].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            values = dtype.categories.tolist()
            cats[c] = {
                "values": values,
                "dtype": str(dtype.categories.dtype),
                "ordered": bool(dtype.ordered),
            }
            plain[c] = frame[c].cat.codes.to_numpy()
    try:
        json.dumps(cats, allow_nan=False)
        pq.write_table(pa.Table.from_pandas(plain, preserve_index=None), file)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise NoRoundTrip(one_line(exc)) from None
    return {"rows": len(frame), "categorical": cats}


def _read_frame(file: Path, meta: dict[str, Any]) -> pd.DataFrame:
    frame = pq.read_table(file).to_pandas()
    if len(frame) != meta["rows"]:
        raise ValueError(f"{file.name}: {len(frame)} rows, expected {meta['rows']}")
    for c, m in meta["categorical"].items():
        cats = pd.Index(m["values"], dtype=m["dtype"])
        codes = frame[c].to_numpy()
        frame[c] = pd.Categorical.from_codes(codes, categories=cats, ordered=m["ordered"])
    return frame


def _same_dtype(a: Any, b: Any) -> bool:
    if isinstance(a, pd.CategoricalDtype) or isinstance(b, pd.CategoricalDtype):
        return (
            isinstance(a, pd.CategoricalDtype)
            and isinstance(b, pd.CategoricalDtype)
            and a.ordered == b.ordered
            and a.categories.dtype == b.categories.dtype
            and a.categories.equals(b.categories)
        )
    return type(a) is type(b) and a == b


def same_frame(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Identical columns, dtypes (categories in order), index (type too) and values."""
    if a.shape != b.shape or list(a.columns) != list(b.columns):
        return False
    ia, ib = a.index, b.index
    if type(ia) is not type(ib) or ia.dtype != ib.dtype or not ia.equals(ib):
        return False
    if list(ia.names) != list(ib.names):
        return False
    if not all(_same_dtype(x, y) for x, y in zip(a.dtypes, b.dtypes, strict=True)):
        return False
    return bool(a.equals(b))


def write_entry(path: Path, frames: dict[str, pd.DataFrame], info: dict[str, Any]) -> bool:
    """Write ``frames`` as the entry at ``path``, atomically; ``True`` if an entry is there
    afterwards (ours, or an equal one another process renamed into place first).

    Raises:
        NoRoundTrip: the frames would not come back identical.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=path.parent))
    try:
        parts = {name: _write_frame(f, tmp / f"{name}.parquet") for name, f in frames.items()}
        (tmp / META).write_text(json.dumps({"format": FORMAT, **info, "parts": parts}))
        for name, frame in frames.items():
            if not same_frame(frame, _read_frame(tmp / f"{name}.parquet", parts[name])):
                raise NoRoundTrip(f"the {name} part does not come back identical from parquet")
        return _move_into_place(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _move_into_place(tmp: Path, path: Path) -> bool:
    try:
        os.rename(tmp, path)
        return True
    except OSError:  # an entry is there (another worker's, or one without test rows)
        pass
    remove_entry(path)
    try:
        os.rename(tmp, path)
    except OSError:  # another process put its (equal) entry there first
        return path.is_dir()
    return True


def read_entry(path: Path, parts: tuple[str, ...]) -> dict[str, pd.DataFrame] | None:
    """The entry's frames for ``parts``; ``None`` on a miss (absent, lacking a part, or
    unreadable: an unreadable entry is removed so that it is written again)."""
    meta_file = path / META
    if not meta_file.is_file():
        return None
    try:
        meta = json.loads(meta_file.read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT}")
        if any(p not in meta["parts"] for p in parts):
            return None
        return {p: _read_frame(path / f"{p}.parquet", meta["parts"][p]) for p in parts}
    except _READ_ERRORS as exc:
        logger.warning("feature cache: entry %s unreadable (%s); recomputing", path.name, exc)
        remove_entry(path)
        return None


def remove_entry(path: Path) -> None:
    """Remove an entry; renamed away first, so that no reader sees half of it."""
    trash = path.with_name(f".trash-{uuid.uuid4().hex}")
    try:
        os.rename(path, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


@dataclass(frozen=True)
class CacheUsage:
    """One competition's cache folder: entries and bytes on disk."""

    competition: str
    path: Path
    entries: int
    bytes: int


def _is_entry(d: Path) -> bool:
    """A folder podium wrote: a 32-hex key holding ``meta.json``, or one of our temporary
    (``.tmp-``) or trash (``.trash-``) folders. Nothing else is ever deleted."""
    if not d.is_dir() or d.is_symlink():
        return False
    if d.name.startswith((".tmp-", ".trash-")):
        return True
    return _KEY.fullmatch(d.name) is not None and (d / META).is_file()


def _entries(folder: Path) -> list[Path]:
    try:
        return [d for d in folder.iterdir() if _is_entry(d)]
    except OSError:
        return []


def _usage(folder: Path, entries: list[Path]) -> CacheUsage:
    size = sum(f.stat().st_size for d in entries for f in d.rglob("*") if f.is_file())
    n = sum(1 for d in entries if not d.name.startswith("."))
    return CacheUsage(folder.name, folder, n, size)


def usage(root: Path) -> list[CacheUsage]:
    """Every competition folder under the cache root that holds podium entries, by name
    (folders of anything else are not ours and are not listed)."""
    if not root.is_dir():
        return []
    found = []
    for d in sorted(root.iterdir()):
        if d.is_dir() and not d.is_symlink():
            entries = _entries(d)
            if entries:
                found.append(_usage(d, entries))
    return found


def clear_cache(root: Path, competition: str | None = None) -> list[CacheUsage]:
    """Delete podium's entries of one competition's cache folder, or of all of them;
    returns what was removed. Only entries podium wrote are removed (see
    :func:`_is_entry`); any other file or folder under the cache root stays, and a
    competition folder is removed only once it is empty."""
    found = usage(root)
    if competition is not None:
        found = [u for u in found if u.competition == competition]
    for u in found:
        for d in _entries(u.path):
            shutil.rmtree(d, ignore_errors=True)
        try:
            u.path.rmdir()  # only if nothing else is left in it
        except OSError:
            pass
    return found
