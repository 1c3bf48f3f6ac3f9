"""Category codes shared by the encoders: keys, their codes and their combinations.

:class:`KeyCodes` turns a key - one column, or 2+ columns taken together - into integer
codes ``1..K`` with ``0`` for missing or unseen values, factorizing each column once.
Combinations are coded as ``a * K_b + b`` and re-factorized, so a pair never costs more
than one extra hash pass.

:func:`expand_keys` adds combinations for ``pairs: all`` / ``interactions: k``: every
combination of 2..k of the selected single columns, then only the informative ones,
judged on the fitting rows (a fold's training part):

- a combination that is near-unique (more distinct values than ``NEAR_UNIQUE`` of the
  rows where all its columns are present) only memorises rows, and is skipped;
- a combination with no more distinct values than its largest member (one column
  determines the others: ``role_code`` x ``role_title``) repeats that member, and is
  skipped;
- of the rest, at most ``max_pairs`` are kept: those with the fewest distinct values (the
  most rows per value, so the most reliable statistics), in the order they were generated.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import combinations
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from podium._validate import Integral, Interval
from podium.exceptions import ConfigError
from podium.stages.base import check_columns

__all__ = [
    "MAX_PAIRS",
    "NEAR_UNIQUE",
    "KeyCodes",
    "KeyedStage",
    "expand_keys",
    "interaction_order",
    "key_name",
    "parse_keys",
]


def parse_keys(columns: Any, stage: str, param: str = "columns") -> list[tuple[Hashable, ...]]:
    """Normalise ``["a", ["b", "c"]]`` to ``[("a",), ("b", "c")]``; ConfigError if malformed."""
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise ConfigError(
            f"stage {stage!r}: {param} must be a list of column names (an item may be a list "
            f"of 2+ columns), got {columns!r}"
        )
    keys = []
    for item in columns:
        if isinstance(item, list | tuple):
            if not item or any(isinstance(c, list | tuple) for c in item):
                raise ConfigError(
                    f"stage {stage!r}: {param} item {item!r} must be a column or a flat list "
                    "of columns"
                )
            keys.append(tuple(item))
        else:
            keys.append((item,))
    return keys


def key_name(key: tuple[Hashable, ...]) -> str:
    """``a`` or ``a__b`` for a combination."""
    return "__".join(str(c) for c in key)


def _factorize(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes 1..K (0 = missing) and the K distinct values of one column."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64)
        levels = pd.Index(s.cat.categories)
    else:
        codes, uniques = pd.factorize(s.array)
        levels = pd.Index(uniques)
    codes += 1
    return codes, levels


def _lookup(levels: pd.Index, s: pd.Series) -> np.ndarray:
    """Codes 1..K of new values against fitted ``levels``; 0 for missing or unseen."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        lut = np.concatenate([[0], levels.get_indexer(s.cat.categories) + 1])
        return lut[s.cat.codes.to_numpy().astype(np.int64) + 1]
    try:
        codes = levels.get_indexer(s.array)
    except (TypeError, ValueError):
        codes = levels.get_indexer(s.astype(object).array)
    codes = codes.astype(np.int64, copy=False) + 1
    codes[np.asarray(s.isna())] = 0
    return codes


def _combine(a: np.ndarray, b: np.ndarray, k_b: int) -> tuple[np.ndarray, np.ndarray]:
    """Combined raw code ``(a-1) * K_b + (b-1)`` (-1 where either is missing) and validity."""
    valid = (a > 0) & (b > 0)
    comb = (a - 1) * k_b + (b - 1)
    comb[~valid] = -1
    return comb, valid


class KeyCodes:
    """Codes ``1..K`` for one key (a column or 2+ columns together); 0 = missing/unseen.

    Attributes:
        columns: the key's columns.
        levels: per column, the distinct values seen when fitting.
        combos: per combining step, the distinct combined raw codes seen when fitting.
    """

    def __init__(self, columns: tuple[Hashable, ...]) -> None:
        self.columns = columns
        self.levels: list[pd.Index] = []
        self.combos: list[pd.Index] = []

    @property
    def n_codes(self) -> int:
        """K, the number of distinct key values seen when fitting."""
        return len(self.combos[-1]) if self.combos else len(self.levels[0])

    def fit_codes(self, X: pd.DataFrame) -> np.ndarray:
        """Learn the key's values from ``X``; return their codes (int64, 0 = missing)."""
        self.levels, self.combos = [], []
        codes: np.ndarray | None = None
        for col in self.columns:
            c, levels = _factorize(X[col])
            self.levels.append(levels)
            if codes is None:
                codes = c
                continue
            comb, valid = _combine(codes, c, len(levels))
            new, uniques = pd.factorize(comb)
            new += 1
            new[~valid] = 0
            self.combos.append(pd.Index(uniques))
            codes = new
        assert codes is not None
        return codes

    def codes(self, X: pd.DataFrame) -> np.ndarray:
        """Codes of new rows against the fitted values; 0 for missing or unseen."""
        codes: np.ndarray | None = None
        for i, col in enumerate(self.columns):
            c = _lookup(self.levels[i], X[col])
            if codes is None:
                codes = c
                continue
            comb, valid = _combine(codes, c, len(self.levels[i]))
            new = self.combos[i - 1].get_indexer(comb).astype(np.int64, copy=False) + 1
            new[~valid] = 0
            codes = new
        assert codes is not None
        return codes


MAX_PAIRS = 64
NEAR_UNIQUE = 0.9  # distinct values / present rows above which a combination is skipped


def interaction_order(pairs: Any, interactions: Any, max_pairs: Any, stage: str) -> int:
    """The largest combination size asked for (1: none); ConfigError for bad values."""
    if pairs not in (None, "all"):
        raise ConfigError(f"stage {stage!r}: pairs must be 'all' or null, got {pairs!r}")
    if interactions is not None and not _is_int(interactions, 1):
        raise ConfigError(
            f"stage {stage!r}: interactions must be an integer >= 1 (2 = pairs), "
            f"got {interactions!r}"
        )
    if not _is_int(max_pairs, 0):
        raise ConfigError(f"stage {stage!r}: max_pairs must be an integer >= 0, got {max_pairs!r}")
    order = 2 if pairs == "all" else 1
    if interactions is not None:
        if pairs == "all" and interactions != 2:
            raise ConfigError(
                f"stage {stage!r}: pairs: all means interactions: 2, got interactions: "
                f"{interactions!r} too - give one of them"
            )
        order = int(interactions)
    return order


def _is_int(value: Any, low: int) -> bool:
    return Interval(Integral, low).is_satisfied_by(value)


def expand_keys(
    X: pd.DataFrame,
    keys: list[tuple[Hashable, ...]],
    order: int,
    max_pairs: int,
    min_values: int = 0,
) -> list[tuple[Hashable, ...]]:
    """``keys`` plus the informative combinations of 2..``order`` of its single columns.

    Args:
        X: the fitting rows (distinct counts are measured on them).
        keys: the encoder's keys (single columns and any combinations written by hand).
        order: the largest combination size (below 2: ``keys`` unchanged).
        max_pairs: the most combinations added.
        min_values: single columns with fewer distinct values in ``X`` are not encoded
            alone (a tree reads a few-valued column as it is), and a combination needs a
            member with at least that many (``Sex`` x ``Breed``, not ``Sex`` x ``Type``).
    """
    singles = list(dict.fromkeys(k[0] for k in keys if len(k) == 1))
    size = {c: _n_distinct(KeyCodes((c,)).fit_codes(X)) for c in singles}
    if min_values > 1:
        keys = [k for k in keys if len(k) > 1 or size[k[0]] >= min_values]
    if order < 2 or max_pairs == 0:
        return keys
    have = {frozenset(k) for k in keys}
    found: list[tuple[int, int, tuple[Hashable, ...]]] = []
    for r in range(2, min(order, len(singles)) + 1):
        for combo in combinations(singles, r):
            if frozenset(combo) in have or max(size[c] for c in combo) < min_values:
                continue
            book = KeyCodes(combo)
            codes = book.fit_codes(X)
            n_distinct = book.n_codes
            present = int(np.count_nonzero(codes))
            if n_distinct <= max(size[c] for c in combo):
                continue  # one member determines the others
            if n_distinct > NEAR_UNIQUE * present:
                continue  # (nearly) a distinct value per row
            found.append((n_distinct, len(found), combo))
    kept = sorted(found)[:max_pairs]
    return keys + [combo for _, _, combo in sorted(kept, key=lambda t: t[1])]


def _n_distinct(codes: np.ndarray) -> int:
    """Distinct values present among codes ``1..K`` (0 = missing; unused categories of a
    category dtype have codes too, so ``K`` alone can overcount)."""
    return int(np.count_nonzero(np.bincount(codes)[1:]))


class KeyedStage:
    """What the encoders of keys (``count_encoder``, ``target_encoder``) share: their
    parameters ``columns``, ``pairs``, ``interactions``, ``max_pairs`` and ``min_values``
    (declared by each stage, with its docs) and how they become the keys to encode."""

    stage_name: ClassVar[str]
    columns: list[Any] | None
    pairs: str | None
    interactions: int | None
    max_pairs: int
    min_values: int

    def _parse_keys(self, X: pd.DataFrame) -> tuple[list[tuple[Hashable, ...]], list[Hashable]]:
        """The keys ``columns`` names (every column when None) and their columns, each
        checked to be in ``X``."""
        keys = parse_keys(list(X.columns) if self.columns is None else self.columns,
                          self.stage_name)  # fmt: skip
        cols = list(dict.fromkeys(c for key in keys for c in key))
        check_columns(X, cols, self.stage_name, "columns")
        return keys, cols

    def _expand_keys(
        self, rows: pd.DataFrame, keys: list[tuple[Hashable, ...]]
    ) -> list[tuple[Hashable, ...]]:
        """``keys`` and the combinations ``pairs``/``interactions`` add, judged on ``rows``."""
        order = interaction_order(self.pairs, self.interactions, self.max_pairs, self.stage_name)
        return expand_keys(rows, keys, order, self.max_pairs, self.min_values)
