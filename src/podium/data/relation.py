"""How the test rows relate to the training rows, measured: the question a CV must mimic.

With a time column (``cv.time``, or else a datetime feature such as a datetime id): is the
test after the training rows (``later``), the later part of every month, week or day
(``period_tail``, with the period and the test's share of it measured), or interleaved
(``mixed``)? With group-like columns (categoricals, or ``cv.groups``): are the test's
groups unseen in train? :func:`podium.cv.auto.choose_cv` turns the answer into a scheme;
which raw columns separate train from test is the adversarial check's
(:func:`podium.audit.adversarial.adversarial_validation`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from podium.config import PERIODS, CVSpec
from podium.data.datetimes import guess_format, parse_datetimes, period_keys, period_position
from podium.data.loader import CompetitionData

__all__ = ["GroupRelation", "Relation", "TimeRelation", "measure_relation", "time_relation"]

LATER = 0.9
"""Share of the test rows after the last training time above which the test is later."""
COVER = 0.8
"""Share of the test rows in periods that also hold training rows, for ``period_tail``."""
SEPARATED = 0.95
"""Share of those test rows after their period's last training time, for ``period_tail``."""
UNSEEN = 0.5
"""Share of the test rows whose group never occurs in train above which groups are unseen."""
MIN_GROUPS = 5


@dataclass(frozen=True)
class TimeRelation:
    """Test against train along one time column.

    Attributes:
        kind: ``later``, ``period_tail`` or ``mixed``.
        share_after: Share of the test rows after the last training time.
        gap: Training time steps (the median spacing of distinct training times) between
            the last training time and the first test time, minus one (0: test follows at
            once); 0 when they overlap.
        period, tail: For ``period_tail``: the period, and the test's median share of the
            rows of the periods it shares with train.
        separated: For ``period_tail``: share of the test rows (in shared periods) after
            their period's last training time.
    """

    column: str
    kind: str
    share_after: float
    gap: int = 0
    period: str | None = None
    tail: float | None = None
    separated: float | None = None
    n_times: int = 0
    """Distinct training times."""
    n_periods: int = 0
    """For ``period_tail``: periods holding training rows."""

    @property
    def message(self) -> str:
        if self.kind == "later":
            edge = "" if self.share_after >= 1.0 else f" ({1 - self.share_after:.0%} overlap)"
            return (
                f"time {self.column!r}: test is later than train{edge}, "
                f"{self.gap} time step(s) apart"
            )
        if self.kind == "period_tail":
            return (
                f"time {self.column!r}: test is the later part of each {self.period} "
                f"(about {self.tail:.0%} of its rows; {self.separated:.0%} of test rows after "
                f"their {self.period}'s last training time)"
            )
        return (
            f"time {self.column!r}: test and train are interleaved "
            f"({self.share_after:.0%} of test rows after the last training time)"
        )


@dataclass(frozen=True)
class GroupRelation:
    """A group-like column and the share of the test rows whose group is unseen in train."""

    column: str
    unseen: float
    n_groups: int

    @property
    def message(self) -> str:
        return (
            f"groups {self.column!r}: {self.unseen:.0%} of test rows have a group unseen in "
            f"train ({self.n_groups} groups)"
        )


@dataclass(frozen=True)
class Relation:
    """What the measurements say; ``kind`` is the one a CV should mimic first."""

    time: TimeRelation | None = None
    groups: GroupRelation | None = None

    @property
    def groups_unseen(self) -> bool:
        return self.groups is not None and self.groups.unseen >= UNSEEN

    @property
    def kind(self) -> str:
        """``later``, ``period_tail``, ``groups_unseen``, ``mixed`` (a time column, no order)
        or ``none`` (no time or group-like column to go by)."""
        if self.time is not None and self.time.kind != "mixed":
            return self.time.kind
        if self.groups_unseen:
            return "groups_unseen"
        return "mixed" if self.time is not None else "none"

    def lines(self) -> list[str]:
        """One line per measurement, for ``podium profile`` / ``validate`` and the run."""
        out = [f"test vs train: {self.kind}"]
        out += [r.message for r in (self.time, self.groups) if r is not None]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "time": None if self.time is None else asdict(self.time),
            "groups": None if self.groups is None else asdict(self.groups),
        }


def measure_relation(data: CompetitionData, cv: CVSpec | None = None) -> Relation:
    """Measure test against train on the columns ``cv`` names, else on the candidates.

    Time: ``cv.time`` if set, else every datetime feature (the most ordered answer wins:
    later, then period_tail, then mixed). Groups: ``cv.groups`` if set, else the
    categorical features with at least 5 values that are not unique per row (the one with
    the largest unseen share).
    """
    cv = cv or CVSpec()
    times: list[TimeRelation] = []
    if cv.time is not None:
        tr = data.cv_columns[cv.time]
        te = data.test_cv_columns[cv.time] if cv.time in data.test_cv_columns else None
        if te is not None:
            times.append(time_relation(cv.time, tr, te))
    else:
        for col in data.train.columns:
            if pd.api.types.is_datetime64_any_dtype(data.train[col].dtype):
                times.append(time_relation(col, data.train[col], data.test[col]))
    order = {"later": 0, "period_tail": 1, "mixed": 2}
    time = min(times, key=lambda r: order[r.kind]) if times else None
    return Relation(time=time, groups=_groups(data, cv))


def time_relation(column: str, train: pd.Series, test: pd.Series) -> TimeRelation:
    """Test against train along one column of dates (or of ordered numbers)."""
    tr, te = _as_time(train), _as_time(test)
    tr, te = tr[tr.notna()], te[te.notna()]
    if tr.empty or te.empty:
        return TimeRelation(column, "mixed", float("nan"))
    last = tr.max()
    share_after = float((te > last).mean())
    n_times = int(tr.nunique())
    if share_after >= LATER:
        gap = _gap(tr, te, share_after)
        return TimeRelation(column, "later", share_after, gap, n_times=n_times)
    if pd.api.types.is_datetime64_any_dtype(tr.dtype):
        for period in PERIODS:
            found = _period_tail(column, tr, te, period, share_after)
            if found is not None:
                return replace(found, n_times=n_times)
    return TimeRelation(column, "mixed", share_after, n_times=n_times)


def _as_time(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return s.reset_index(drop=True)
    fmt, _ = guess_format(s)
    if fmt is None:
        return pd.Series(pd.factorize(s, sort=True)[0], dtype="float64").where(s.notna())
    return parse_datetimes(s, fmt).reset_index(drop=True)


def _gap(tr: pd.Series, te: pd.Series, share_after: float) -> int:
    if share_after < 1.0:
        return 0
    uniq = np.unique(_numbers(tr))
    if len(uniq) < 2:
        return 0
    step = float(np.median(np.diff(uniq)))
    distance = float(_numbers(te).min() - uniq[-1])
    return max(0, int(round(distance / step)) - 1) if step > 0 else 0


def _numbers(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
    return s.to_numpy(dtype=np.float64)


def _period_tail(
    column: str, tr: pd.Series, te: pd.Series, period: str, share_after: float
) -> TimeRelation | None:
    ktr, kte = period_keys(tr, period), period_keys(te, period)
    shared = np.isin(kte, ktr)
    if shared.mean() < COVER:
        return None
    ptr, pte = period_position(tr, period), period_position(te, period)
    last = pd.Series(ptr).groupby(ktr).max()
    after = pte[shared] > last.reindex(kte[shared]).to_numpy()
    separated = float(after.mean())
    if separated < SEPARATED:
        return None
    n_tr = pd.Series(1, index=ktr).groupby(level=0).sum()
    n_te = pd.Series(1, index=kte[shared]).groupby(level=0).sum()
    share = (n_te / (n_te + n_tr.reindex(n_te.index))).to_numpy()
    tail = round(float(np.median(share)), 2)
    return TimeRelation(
        column, "period_tail", share_after, 0, period, tail, separated,
        n_periods=int(np.unique(ktr).size),
    )  # fmt: skip


def _groups(data: CompetitionData, cv: CVSpec) -> GroupRelation | None:
    prof = data.profile
    if cv.groups is not None:
        names = [cv.groups] if cv.groups in prof else []
    else:
        names = [
            c for c, kind in data.kinds.items()
            if kind == "categorical"
            and prof[c].n_distinct >= MIN_GROUPS
            and prof[c].per_row <= 0.5
        ]  # fmt: skip
    found = [
        GroupRelation(c, float(unseen), prof[c].n_distinct)
        for c in names
        if (unseen := prof[c].unseen) is not None
    ]
    return max(found, key=lambda g: g.unseen) if found else None
