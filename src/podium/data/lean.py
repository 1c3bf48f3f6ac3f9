"""Smaller frames at load, losing nothing: category columns, narrower integers, samples.

* :func:`to_categories`: text features profiled as ``categorical`` become one ``category``
  dtype shared by train and test (sorted categories; codes instead of one string per
  row). Columns whose values read as numbers stay text, so ``to_numeric`` still sees them.
* :func:`downcast_integers`: int64 columns become int32 where every value fits. Not below
  int32: numpy computes ``log1p``/``sqrt`` of int8/int16 in float16/float32. Floats stay
  float64: a mean or a scale computed in float32 differs from float64's even where every
  value round-trips, and outputs must not change.
* :func:`sample_rows`: the fixed row subset of ``data.sample``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["downcast_integers", "sample_rows", "to_categories"]


def to_categories(train: pd.DataFrame, test: pd.DataFrame, columns: list[str]) -> list[str]:
    """Turn the text ``columns`` of ``train`` (and of ``test`` where present) into one shared
    ``category`` dtype, in place; returns the columns converted."""
    done = []
    for col in columns:
        s = train[col]
        if not isinstance(s.dtype, pd.StringDtype):
            continue
        t = test[col] if col in test.columns else None
        if t is not None and not isinstance(t.dtype, pd.StringDtype):
            continue
        uniques = pd.unique(s.dropna())
        if t is not None:
            uniques = pd.unique(np.concatenate([uniques, pd.unique(t.dropna())]))
        cats = pd.Index(uniques, dtype="str").sort_values()
        if pd.to_numeric(cats, errors="coerce").notna().any():
            continue  # numbers as text: the to_numeric stage decides
        dtype = pd.CategoricalDtype(cats)
        train[col] = s.astype(dtype)
        if t is not None:
            test[col] = t.astype(dtype)
        done.append(col)
    return done


def downcast_integers(*frames: pd.DataFrame) -> list[str]:
    """int64 columns to int32 where every value of every frame fits, in place; a column
    is narrowed in all frames or in none. Returns the columns narrowed."""
    first = frames[0]
    info = np.iinfo(np.int32)
    done = []
    for col in first.columns:
        parts = [f[col] for f in frames if col in f.columns]
        if not all(p.dtype == np.int64 for p in parts):
            continue
        if all(p.empty or (p.min() >= info.min and p.max() <= info.max) for p in parts):
            for f in frames:
                if col in f.columns:
                    f[col] = f[col].astype(np.int32)
            done.append(col)
    return done


def sample_rows(n: int, fraction: float, seed: int, y: pd.Series | None) -> np.ndarray:
    """Sorted positions of ``round(n * fraction)`` rows (at least 1), drawn with ``seed``;
    with ``y`` (classification), each class keeps its share (at least one row each)."""
    rng = np.random.default_rng(seed)
    if y is None:
        k = max(1, int(round(n * fraction)))
        return np.sort(rng.choice(n, size=k, replace=False))
    codes, _ = pd.factorize(y, sort=True)
    kept = []
    for c in range(codes.max() + 1):
        rows = np.flatnonzero(codes == c)
        k = max(1, int(round(len(rows) * fraction)))
        kept.append(rng.choice(rows, size=k, replace=False))
    return np.sort(np.concatenate(kept))
