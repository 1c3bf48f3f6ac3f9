"""The run's choice lines: each picked column, its kind and evidence, and the stages."""

from __future__ import annotations

import pandas as pd

from podium.config import RunRequest
from podium.engine.explain import explain_choices
from podium.session import plan_run


def _stamps(train, test, sample):
    n, m = len(train), len(test)
    stamps = pd.date_range("2012-01-01", periods=n + m, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    train["when"], test["when"] = stamps[:n], stamps[n:]


def test_choices_name_kind_evidence_and_stages(make_competition) -> None:
    comp = make_competition(edit=_stamps)
    plan = plan_run(RunRequest(comp, root=comp.parent.parent, pipeline="auto"))
    lines = explain_choices(plan)
    color = next(ln for ln in lines if ln.startswith("color:"))
    assert color.startswith("color: categorical (") and "lgb: parts, te, counts" in color
    assert "catboost: parts, cats" in color and "linear: parts, cats" in color
    when = next(ln for ln in lines if ln.startswith("when:"))
    assert when.startswith("when: datetime (") and "catboost: dates" in when
    assert lines[-1].startswith("3 numeric column(s) -> every model as numbers: x1, x2, spent")
