"""Category codes shared by the encoders, and the count (frequency) encoder.

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
from numbers import Integral
from typing import Any, Self

import numpy as np
import pandas as pd

from podium.exceptions import ConfigError
from podium.stages.base import BaseStage, as_frame, check_columns

__all__ = [
    "MAX_PAIRS",
    "CountEncoder",
    "KeyCodes",
    "check_fit_on",
    "expand_keys",
    "interaction_order",
    "fitting_rows",
    "join_new",
    "key_name",
    "parse_keys",
]

FIT_ON = ("train", "train+test")


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


def check_fit_on(fit_on: Any, X_test: Any, stage: str) -> None:
    """ConfigError for an unknown ``fit_on`` or ``train+test`` without test rows."""
    if fit_on not in FIT_ON:
        raise ConfigError(
            f"stage {stage!r}: fit_on must be 'train' or 'train+test', got {fit_on!r}"
        )
    if fit_on == "train+test" and X_test is None:
        raise ConfigError(
            f"stage {stage!r}: fit_on='train+test' needs the test rows - pass them as the fit "
            "parameter X_test= (the engine does), or use fit_on='train'"
        )


def fitting_rows(X: pd.DataFrame, X_test: Any, fit_on: str, cols: list[Hashable]) -> pd.DataFrame:
    """The key/value columns of the rows statistics are learned on (train, or train+test)."""
    part = X[cols]
    if fit_on != "train+test":
        return part
    test = as_frame(X_test)
    return pd.concat([part, test[cols]], axis=0, ignore_index=True)


def join_new(X: pd.DataFrame, new: dict[str, np.ndarray], stage: str) -> pd.DataFrame:
    """``X`` with the new columns appended (no copy); ConfigError if a name is taken."""
    clash = [c for c in new if c in X.columns]
    if clash:
        raise ConfigError(
            f"stage {stage!r}: output column {clash[0]!r} already exists in the data"
        )
    return pd.concat([X, pd.DataFrame(new, index=X.index, copy=False)], axis=1)


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
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= low


def expand_keys(
    X: pd.DataFrame,
    keys: list[tuple[Hashable, ...]],
    order: int,
    max_pairs: int,
) -> list[tuple[Hashable, ...]]:
    """``keys`` plus the informative combinations of 2..``order`` of its single columns.

    Args:
        X: the fitting rows (distinct counts are measured on them).
        keys: the encoder's keys (single columns and any combinations written by hand).
        order: the largest combination size (below 2: ``keys`` unchanged).
        max_pairs: the most combinations added.
    """
    if order < 2 or max_pairs == 0:
        return keys
    singles = list(dict.fromkeys(k[0] for k in keys if len(k) == 1))
    have = {frozenset(k) for k in keys}
    size = {c: _n_distinct(KeyCodes((c,)).fit_codes(X)) for c in singles}
    found: list[tuple[int, int, tuple[Hashable, ...]]] = []
    for r in range(2, min(order, len(singles)) + 1):
        for combo in combinations(singles, r):
            if frozenset(combo) in have:
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


class CountEncoder(BaseStage):
    """How often each value of a column (or combination) occurs: ``count_<col>``.

    Counts, or frequencies with ``normalize=True``, are learned on the fitting rows;
    values unseen there, and missing values, get 0.

    **Leakage:** no target is used. With ``fit_on='train'`` (default) the counts come
    from the fold's training rows only. ``fit_on='train+test'`` is an explicit,
    transductive choice: the stage also counts the test rows, given as the fit parameter
    ``X_test=`` (``fit(X, y, X_test=...)`` / ``fit_transform``); validation rows are only
    transformed. The choice is recorded as ``fit_on_`` (and ``n_fit_rows_``). Wiring:
    the engine passes the competition's test features to each fold's chain,
    ``chain.fit_transform(X_tr, y_tr, split_context=..., X_test=X_test)``; ``StageChain``
    forwards ``X_test`` only to stages whose ``fit_transform`` declares it, and with
    ``fit_on='train'`` it is ignored.

    Args:
        columns: columns to encode; an item may be a list of 2+ columns counted jointly;
            None means every column.
        normalize: frequencies (count / number of fitting rows) instead of counts.
        fit_on: ``train`` or ``train+test``.
        prefix: output name prefix; None gives ``count_`` (``freq_`` when normalized).
        pairs: ``all`` also counts every informative pair of the single columns (see
            :mod:`podium.features.pairs`; chosen on the fitting rows).
        interactions: ``k`` also counts combinations of 2..k columns (2 = ``pairs: all``).
        max_pairs: the most combinations added by ``pairs``/``interactions``.
    """

    def __init__(
        self,
        columns: list[Any] | None = None,
        normalize: bool = False,
        fit_on: str = "train",
        prefix: str | None = None,
        pairs: str | None = None,
        interactions: int | None = None,
        max_pairs: int = MAX_PAIRS,
    ) -> None:
        self.columns = columns
        self.normalize = normalize
        self.fit_on = fit_on
        self.prefix = prefix
        self.pairs = pairs
        self.interactions = interactions
        self.max_pairs = max_pairs

    def fit(self, X: Any, y: Any = None, X_test: Any = None, **fit_params: Any) -> Self:
        return super().fit(X, y, X_test=X_test)

    def fit_transform(self, X: Any, y: Any = None, X_test: Any = None) -> pd.DataFrame:
        """Fit on ``X`` (plus ``X_test`` with ``fit_on='train+test'``), then transform ``X``."""
        return self.fit(X, y, X_test=X_test).transform(X)

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, X_test: Any = None, **_: Any) -> None:
        stage = "count_encoder"
        check_fit_on(self.fit_on, X_test, stage)
        order = interaction_order(self.pairs, self.interactions, self.max_pairs, stage)
        keys = parse_keys(list(X.columns) if self.columns is None else self.columns, stage)
        cols = list(dict.fromkeys(c for key in keys for c in key))
        check_columns(X, cols, stage, "columns")
        if self.fit_on == "train+test":
            check_columns(as_frame(X_test), cols, stage, "columns (in X_test)")
        rows = fitting_rows(X, X_test, self.fit_on, cols)
        keys = expand_keys(rows, keys, order, self.max_pairs)
        prefix = (
            self.prefix if self.prefix is not None else ("freq_" if self.normalize else "count_")
        )
        self.keys_, self.counts_, self.names_ = [], [], []
        for key in keys:
            book = KeyCodes(key)
            codes = book.fit_codes(rows)
            counts = np.bincount(codes, minlength=book.n_codes + 1).astype(np.float64)
            counts[0] = 0.0
            if self.normalize:
                counts /= max(len(rows), 1)
            self.keys_.append(book)
            self.counts_.append(counts)
            self.names_.append(f"{prefix}{key_name(key)}")
        self.fit_on_ = self.fit_on
        self.n_fit_rows_ = len(rows)

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for book, counts, name in zip(self.keys_, self.counts_, self.names_, strict=True):
            values = counts[book.codes(X)]
            out[name] = values if self.normalize else values.astype(np.int64)
        return join_new(X, out, "count_encoder")
