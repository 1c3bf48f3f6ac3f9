"""The count (frequency) encoder, and the ``fit_on`` helpers of the unsupervised stages.

Keys and their codes come from :mod:`podium.features.keys` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Self

import numpy as np
import pandas as pd

from podium.exceptions import ConfigError
from podium.features.keys import (
    MAX_PAIRS,
    KeyCodes,
    KeyedStage,
    expand_keys,
    interaction_order,
    key_name,
    parse_keys,
)
from podium.stages.base import BaseStage, as_frame, check_columns, stage_params

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


@stage_params
class CountEncoder(KeyedStage, BaseStage):
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
            :func:`podium.features.keys.expand_keys`; chosen on the fitting rows).
        interactions: ``k`` also counts combinations of 2..k columns (2 = ``pairs: all``).
        max_pairs: the most combinations added by ``pairs``/``interactions``.
        min_values: single columns with fewer distinct values on the fitting rows are
            not encoded alone, and a combination needs a member with that many.
    """

    stage_name = "count_encoder"

    columns: list[Any] | None = None
    normalize: bool = False
    fit_on: str = "train"
    prefix: str | None = None
    pairs: str | None = None
    interactions: int | None = None
    max_pairs: int = MAX_PAIRS
    min_values: int = 0

    def fit(self, X: Any, y: Any = None, X_test: Any = None, **fit_params: Any) -> Self:
        return super().fit(X, y, X_test=X_test)

    def fit_transform(self, X: Any, y: Any = None, X_test: Any = None) -> pd.DataFrame:
        """Fit on ``X`` (plus ``X_test`` with ``fit_on='train+test'``), then transform ``X``."""
        return self.fit(X, y, X_test=X_test).transform(X)

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, X_test: Any = None, **_: Any) -> None:
        stage = self.stage_name
        check_fit_on(self.fit_on, X_test, stage)
        keys, cols = self._parse_keys(X)
        if self.fit_on == "train+test":
            check_columns(as_frame(X_test), cols, stage, "columns (in X_test)")
        rows = fitting_rows(X, X_test, self.fit_on, cols)
        keys = self._expand_keys(rows, keys)
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
        return join_new(X, out, self.stage_name)
