"""What each column is: numeric, categorical, id, datetime, text, constant or train-only.

:func:`profile_columns` looks at a train and a test frame once (one ``value_counts`` per
column and file; datetime, number and word tests on a sample of rows) and gives every
column a kind with its evidence and a reason a person can check. Integer columns that
behave as codes (many repeats, a sparse spread over a wide range) are categorical;
measurements (dense ranges, binary flags, floats) stay numeric. ``data.kinds`` in
competition.yaml fixes a kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from podium.config import COLUMN_KINDS
from podium.data.datetimes import guess_format

__all__ = ["ColumnProfile", "Profile", "profile_columns"]

SAMPLE_ROWS = 2000
ID_MIN_ROWS = 20
CODE_DENSITY = 0.5  # integer codes fill less than this share of their central range
CODE_REPEATS = 3.0  # ... and hold at least this many rows per value (the mode aside)
NUMERIC_TEXT = 0.95
DATETIME_RATE = 0.9
TEXT_WORDS = 4
TEXT_DISTINCT = 0.2


@dataclass(frozen=True)
class ColumnProfile:
    """One column's kind and the evidence for it."""

    name: str
    kind: str
    dtype: str
    n_distinct: int
    n_distinct_test: int | None
    unseen: float | None
    """Share of the test rows (non-missing) whose value never occurs in train."""
    per_row: float
    """Distinct values per non-missing training row (1.0: unique per row)."""
    missing: float
    parse_rate: float | None
    """Share of sampled values that parse as dates (string columns only)."""
    reason: str
    datetime_format: str | None = None
    """The format the loader parses this column with (kind ``datetime``, strings)."""
    inferred: str | None = None
    """The kind inferred from the data, when ``data.kinds`` or train-only replaced it."""


@dataclass(frozen=True)
class Profile:
    """The profile of every column of a competition's train file (the target aside)."""

    entries: tuple[ColumnProfile, ...]
    test_name: str = "test"
    _by_name: dict[str, ColumnProfile] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {e.name: e for e in self.entries})

    def __getitem__(self, name: str) -> ColumnProfile:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def kinds(self) -> dict[str, str]:
        """Column -> kind, in train-file order."""
        return {e.name: e.kind for e in self.entries}

    def columns(self, kind: str, *more: str) -> list[str]:
        """The columns of one or more kinds, in train-file order."""
        wanted = {kind, *more}
        unknown = wanted - set(COLUMN_KINDS)
        if unknown:
            raise ValueError(f"unknown column kind(s) {sorted(unknown)}; kinds: {COLUMN_KINDS}")
        return [e.name for e in self.entries if e.kind in wanted]

    def counts(self) -> dict[str, int]:
        """Kind -> number of columns, for the kinds present, in :data:`COLUMN_KINDS` order."""
        have = Counter(e.kind for e in self.entries)
        return {k: have[k] for k in COLUMN_KINDS if have[k]}

    def summary(self) -> str:
        """``12 numeric, 3 categorical, 1 datetime``."""
        return ", ".join(f"{n} {kind}" for kind, n in self.counts().items())

    def to_frame(self) -> pd.DataFrame:
        """One row per column with the kind and its evidence (for logs and MLflow)."""
        rows = [
            {
                "column": e.name,
                "kind": e.kind,
                "inferred": e.inferred or e.kind,
                "dtype": e.dtype,
                "n_distinct": e.n_distinct,
                "n_distinct_test": e.n_distinct_test,
                "unseen_in_test": e.unseen,
                "distinct_per_row": e.per_row,
                "missing": e.missing,
                "parse_rate": e.parse_rate,
                "datetime_format": e.datetime_format,
                "reason": e.reason,
            }
            for e in self.entries
        ]
        return pd.DataFrame(rows, columns=list(rows[0]) if rows else ["column", "kind"])

    def table(self, title: str | None = None) -> Any:
        """A rich ``Table``: column, kind, dtype, distinct, unseen in test, reason."""
        from rich.table import Table

        table = Table(title=title)
        for name in ("column", "kind", "dtype", "distinct", f"unseen in {self.test_name}"):
            table.add_column(name)
        table.add_column("reason", overflow="fold")
        for e in self.entries:
            distinct = f"{e.n_distinct}" + (
                "" if e.n_distinct_test is None else f" / {e.n_distinct_test}"
            )
            unseen = "-" if e.unseen is None else f"{e.unseen:.0%}"
            table.add_row(e.name, e.kind, e.dtype, distinct, unseen, e.reason)
        return table


def profile_columns(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    kinds: Mapping[str, str] | None = None,
    test_name: str = "test",
    sample_rows: int = SAMPLE_ROWS,
    seed: int = 0,
) -> Profile:
    """Give every column of ``train`` a kind, with its evidence.

    Args:
        train, test: The frames as read (pass ``train`` without its target).
        kinds: Column -> kind that replaces the inferred one (``data.kinds``).
        test_name: How the test file is named in reasons (``"test.csv"``).
        sample_rows: Rows sampled per string column for the date, number and word tests.
        seed: Seed of that sample.
    """
    kinds = dict(kinds or {})
    entries = []
    for col in train.columns:
        entry = _profile_one(train[col], test[col] if col in test.columns else None,
                             sample_rows=sample_rows, seed=seed)  # fmt: skip
        if col not in test.columns:
            entry = _replace(entry, "train_only", f"absent from {test_name}; {entry.reason}")
        elif entry.n_distinct_test == 0 and entry.n_distinct > 0:  # nothing to predict from
            entry = _replace(entry, "train_only", f"all missing in {test_name}; {entry.reason}")
        elif col in kinds and kinds[col] != entry.kind:
            entry = _replace(entry, kinds[col], f"set by data.kinds; {entry.reason}", train[col],
                             sample_rows=sample_rows, seed=seed)  # fmt: skip
        entries.append(entry)
    return Profile(tuple(entries), test_name=test_name)


def _replace(
    entry: ColumnProfile, kind: str, reason: str, s: pd.Series | None = None, **sampling: int
) -> ColumnProfile:
    extra: dict[str, Any] = {}
    if kind == "datetime" and entry.datetime_format is None and s is not None:
        if not pd.api.types.is_datetime64_any_dtype(s.dtype):  # a format for the loader
            present = s.dropna()
            n = min(len(present), sampling["sample_rows"])
            fmt, rate = guess_format(present.sample(n, random_state=sampling["seed"]), 0.0)
            extra = {"datetime_format": fmt, "parse_rate": rate}
    return replace(entry, kind=kind, reason=reason, inferred=entry.kind, **extra)


def _profile_one(
    s: pd.Series, t: pd.Series | None, *, sample_rows: int, seed: int
) -> ColumnProfile:
    counts, t_present, t_distinct, t_unseen = _counts(s, t)
    n_present = int(counts.sum())
    evidence: dict[str, Any] = {
        "name": str(s.name),
        "dtype": str(s.dtype),
        "n_distinct": len(counts),
        "n_distinct_test": t_distinct,
        "unseen": t_unseen / t_present if t_present else None,
        "per_row": len(counts) / n_present if n_present else 0.0,
        "missing": 1.0 - n_present / len(s) if len(s) else 0.0,
        "parse_rate": None,
    }
    kind, reason, extra = _infer(s, counts, evidence, sample_rows=sample_rows, seed=seed)
    return ColumnProfile(kind=kind, reason=reason, **evidence, **extra)


def _counts(s: pd.Series, t: pd.Series | None) -> tuple[pd.Series, int, int | None, int]:
    """Train value counts (most frequent first), and of the test rows: how many are present,
    how many distinct values, how many rows hold a value absent from train.

    One hashing pass over train and test together (``value_counts`` of each and an
    ``isin`` cost three, and arrow strings' ``isin`` loops in Python).
    """
    both = s if t is None else pd.concat([s, t], ignore_index=True)
    try:
        codes, uniques = pd.factorize(both, use_na_sentinel=True)
    except TypeError:  # unhashable values (lists, dicts): compare them as text
        codes, uniques = pd.factorize(both.astype("str").where(both.notna()))
    n, k = len(s), len(uniques)
    c_train = np.bincount(codes[:n][codes[:n] >= 0], minlength=k)
    present = c_train > 0
    order = np.argsort(-c_train[present], kind="stable")
    counts = pd.Series(c_train[present][order], index=uniques[present][order], name="count")
    if t is None:
        return counts, 0, None, 0
    c_test = np.bincount(codes[n:][codes[n:] >= 0], minlength=k)
    return counts, int(c_test.sum()), int((c_test > 0).sum()), int(c_test[~present].sum())


def _infer(
    s: pd.Series, counts: pd.Series, ev: dict[str, Any], *, sample_rows: int, seed: int
) -> tuple[str, str, dict[str, Any]]:
    """``(kind, reason, extra fields)`` of one column."""
    d = len(counts)
    facts = _facts(ev)
    if d + (ev["missing"] > 0) <= 1:
        return "constant", f"a single value{'' if d else ' (all missing)'} -> constant", {}
    dtype = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime", f"{facts}, datetime dtype -> datetime", {}
    if pd.api.types.is_bool_dtype(dtype):
        return "numeric", "boolean -> numeric", {}
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical", f"{facts}, category dtype -> categorical", {}
    if pd.api.types.is_integer_dtype(dtype):
        return _integer(counts, ev, facts)
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric", f"{facts}, floats -> numeric", {}
    return _strings(s, counts, ev, facts, sample_rows=sample_rows, seed=seed)


def _facts(ev: dict[str, Any]) -> str:
    text = f"{ev['n_distinct']} values"
    if ev["unseen"] is not None:
        text += f", {ev['unseen']:.0%} of test values unseen in train"
    return text


def _unique(ev: dict[str, Any], n_rows: int) -> bool:
    return ev["missing"] == 0 and ev["per_row"] == 1.0 and n_rows >= ID_MIN_ROWS


def _integer(counts: pd.Series, ev: dict[str, Any], facts: str) -> tuple[str, str, dict[str, Any]]:
    d = len(counts)
    if _unique(ev, int(counts.sum())):
        return "id", f"{facts}, unique per row -> id", {}
    if d <= 2:
        return "numeric", f"{facts}, binary -> numeric", {}
    values = counts.index.to_numpy(dtype=np.float64)
    lo, hi = float(values.min()), float(values.max())
    span = f"over {lo:.0f}..{hi:.0f}"
    rest = counts.iloc[1:]  # most frequent first: the mode aside
    repeats = float(rest.sum() / len(rest))
    density = _central_density(rest)
    if density < CODE_DENSITY and repeats >= CODE_REPEATS:
        return (
            "categorical",
            f"{facts}, sparse {span}, {repeats:.1f} rows per value, integer codes -> categorical",
            {},
        )
    if density >= CODE_DENSITY:
        return "numeric", f"{facts}, dense {span} -> numeric", {}
    return "numeric", f"{facts}, {repeats:.1f} rows per value {span}, measurements -> numeric", {}


def _central_density(counts: pd.Series) -> float:
    """Share of the integers between the 10% and 90% weighted quantiles that occur."""
    order = np.argsort(counts.index.to_numpy(dtype=np.float64))
    values = counts.index.to_numpy(dtype=np.float64)[order]
    cum = np.cumsum(counts.to_numpy()[order]) / counts.sum()
    lo = values[min(np.searchsorted(cum, 0.1), len(values) - 1)]
    hi = values[min(np.searchsorted(cum, 0.9), len(values) - 1)]
    inside = int(((values >= lo) & (values <= hi)).sum())
    return inside / (hi - lo + 1.0)


def _strings(
    s: pd.Series,
    counts: pd.Series,
    ev: dict[str, Any],
    facts: str,
    *,
    sample_rows: int,
    seed: int,
) -> tuple[str, str, dict[str, Any]]:
    present = s.dropna()
    sample = present.sample(min(len(present), sample_rows), random_state=seed)
    text = sample.astype("str").str.strip()
    nonblank = text[text != ""]
    if len(nonblank):
        numbers = pd.to_numeric(nonblank, errors="coerce").notna().mean()
        if numbers >= NUMERIC_TEXT:
            return "numeric", f"{facts}, {numbers:.0%} numbers stored as text -> numeric", {}
    fmt, rate = guess_format(nonblank, DATETIME_RATE)
    ev["parse_rate"] = rate
    if fmt is not None:
        return (
            "datetime",
            f"{facts}, {rate:.0%} parse as dates ({fmt}) -> datetime",
            {"datetime_format": fmt},
        )
    words = float(nonblank.str.split().str.len().median()) if len(nonblank) else 0.0
    if words >= TEXT_WORDS and ev["per_row"] >= TEXT_DISTINCT:
        return "text", f"{facts}, {words:.0f} words per value -> text", {}
    if _unique(ev, int(counts.sum())):
        return "id", f"{facts}, unique per row -> id", {}
    return "categorical", f"{facts}, strings -> categorical", {}
