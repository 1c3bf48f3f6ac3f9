"""Trial runs written in the background: order, states, parent, and errors surface."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from podium.exceptions import TrackingError
from podium.tuning.trial_log import PARENT_TAG, TrialLogger, TrialRecord


class Recorder:
    """A tracker that records calls (runs as (name, nested, tags, status))."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.runs: list[dict] = []
        self.fail_on = fail_on

    @contextmanager
    def run(self, name, *, nested=False, tags=None, start_time=None, end_time=None, batch=False):
        run = {"name": name, "nested": nested, "tags": dict(tags or {}), "start": start_time,
               "end": end_time}  # fmt: skip
        self.runs.append(run)
        try:
            yield name
        except BaseException:
            run["status"] = "FAILED"
            raise
        run["status"] = "FINISHED"

    def log_params(self, params):
        if self.fail_on == "params":
            raise TrackingError("MLflow could not log params (sqlite:///x): disk full")
        self.runs[-1]["params"] = dict(params)

    def log_metrics(self, metrics, *, step=None):
        self.runs[-1]["metrics"] = dict(metrics)


def _record(i: int, **kw) -> TrialRecord:
    return TrialRecord(name=f"trial-{i}", start_time=100.0 + i, tags={"podium.trial": str(i)},
                       params={"models.m.params.a": i}, **kw)  # fmt: skip


def test_records_become_runs_in_order_with_their_state():
    rec = Recorder()
    log = TrialLogger(rec)
    log.submit(_record(0, metrics={"cv_mean": 0.8, "seconds": 2.5}))
    log.submit(_record(1, state="pruned", metrics={"cv_mean": 0.6}))
    log.submit(_record(2, state="failed", error="ValueError: bad"))
    log.flush()
    assert [r["name"] for r in rec.runs] == ["trial-0", "trial-1", "trial-2"]
    assert [r["tags"]["podium.trial_state"] for r in rec.runs] == ["complete", "pruned", "failed"]
    assert [r["status"] for r in rec.runs] == ["FINISHED", "FINISHED", "FAILED"]
    assert rec.runs[0]["start"] == 100.0 and rec.runs[0]["nested"] is True
    assert rec.runs[0]["end"] == 102.5 and rec.runs[1]["end"] is None  # start + seconds
    assert rec.runs[1]["metrics"] == {"cv_mean": 0.6}


def test_runs_of_another_process_carry_the_parent_run_id():
    rec = Recorder()
    log = TrialLogger(rec, parent_run_id="abc123")
    log.submit(_record(0))
    log.flush()
    assert rec.runs[0]["nested"] is False
    assert rec.runs[0]["tags"][PARENT_TAG] == "abc123"


def test_a_write_error_is_raised_in_the_caller():
    log = TrialLogger(Recorder(fail_on="params"))
    log.submit(_record(0))
    with pytest.raises(TrackingError, match="disk full"):
        log.flush()
    log.flush()  # reported once
