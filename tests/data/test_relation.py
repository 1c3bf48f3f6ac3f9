"""How test relates to train, measured on one time column: later, period tail or mixed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from podium.data.relation import time_relation

HOURS = pd.Series(pd.date_range("2024-01-01", "2024-06-30 23:00", freq="h"))


def split(mask: np.ndarray) -> tuple[pd.Series, pd.Series]:
    return HOURS[~mask].reset_index(drop=True), HOURS[mask].reset_index(drop=True)


def test_later() -> None:
    tr, te = split((HOURS >= "2024-06-01").to_numpy())
    rel = time_relation("t", tr, te)
    assert (rel.kind, rel.gap, rel.share_after) == ("later", 0, 1.0)


def test_later_with_a_gap_in_time_steps() -> None:
    tr, te = split((HOURS >= "2024-06-01").to_numpy())
    te = te[te >= pd.Timestamp("2024-06-01 05:00")]
    assert time_relation("t", tr, te).gap == 5  # 5 hourly steps skipped


@pytest.mark.parametrize(
    ("period", "mask", "tail"),
    [
        ("month", HOURS.dt.day >= 21, 0.35),
        ("week", HOURS.dt.day_of_week >= 5, 0.29),  # the weekend of every week
        ("day", HOURS.dt.hour >= 18, 0.25),
    ],
)
def test_period_tail(period: str, mask: pd.Series, tail: float) -> None:
    tr, te = split(mask.to_numpy())
    rel = time_relation("t", tr, te)
    assert (rel.kind, rel.period) == ("period_tail", period)
    assert rel.tail == pytest.approx(tail, abs=0.02)
    assert rel.separated == 1.0
    assert period in rel.message and "later part" in rel.message


def test_random_test_rows_are_mixed() -> None:
    mask = np.random.default_rng(0).uniform(size=len(HOURS)) < 0.3
    rel = time_relation("t", *split(mask))
    assert rel.kind == "mixed" and 0.0 <= rel.share_after < 0.1


def test_numbers_and_text_dates_are_ordered_too() -> None:
    assert time_relation("t", pd.Series(np.arange(100)), pd.Series(np.arange(100, 120))).kind == (
        "later"
    )
    text = HOURS.dt.strftime("%d/%m/%Y %H:%M")  # not sortable as text
    mask = (HOURS >= "2024-06-01").to_numpy()
    rel = time_relation("t", text[~mask], text[mask])
    assert rel.kind == "later"
