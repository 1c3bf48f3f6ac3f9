"""The audit's ranking check: shipped CV against the test-mimicking CV, model by model."""

from __future__ import annotations

import sys
from pathlib import Path

from podium.audit.ranking import ranking_check
from podium.config import RunRequest
from podium.session import plan_run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cv"))
import synthetic  # noqa: E402  (tests/cv/synthetic.py)


def test_shuffled_kfold_on_a_month_tail_test_is_flagged(tmp_path: Path) -> None:
    synthetic.month_tail(tmp_path, cv={"scheme": "kfold", "n_splits": 4})
    res = ranking_check(plan_run(RunRequest("month_tail", root=tmp_path)))
    assert res.applicable and not res.agree and not res.rank_agree
    assert (res.shipped_scheme, res.mimic_scheme) == ("kfold", "period_tail")
    assert res.tau < 1.0
    rows = {r.name: r for r in res.rows}
    assert set(rows) == {"linear_day", "trees_day", "trees_noday"}
    assert rows["trees_day"].beyond_noise and rows["trees_day"].gap > 0  # k-fold too rosy
    assert "DISAGREE" in res.message and "cv: auto" in res.fix and "period_tail" in res.fix


def test_the_mimicking_cv_itself_is_not_compared(tmp_path: Path) -> None:
    synthetic.month_tail(tmp_path)  # cv left out: auto
    res = ranking_check(plan_run(RunRequest("month_tail", root=tmp_path)))
    assert not res.applicable and res.agree
    assert "test-mimicking" in res.reason


def test_no_relation_no_check(tmp_path: Path) -> None:
    synthetic.month_tail(tmp_path, cv={"scheme": "kfold", "n_splits": 4})
    plan = plan_run(RunRequest("month_tail", root=tmp_path, overrides=["data.drop=[date]"]))
    res = ranking_check(plan)
    assert not res.applicable and "no test relation" in res.reason


def test_permuted_target_with_cv_auto_keeps_the_folds_and_is_at_chance(tmp_path: Path) -> None:
    from podium.audit.permutation import permuted_target_cv

    synthetic.month_tail(tmp_path)
    plan = plan_run(RunRequest("month_tail", root=tmp_path))
    assert plan.folds.scheme == "period_tail"
    perm = permuted_target_cv(plan)
    assert perm.passed, perm.message
    assert perm.n_rows == int((plan.folds.fold >= 0).sum())  # the same tail rows validated


def test_the_audit_warns_and_reports_the_rankings(tmp_path: Path) -> None:
    import json

    from podium.audit import run_audit
    from podium.audit.report import render_html, summary_dict

    synthetic.month_tail(tmp_path, cv={"scheme": "kfold", "n_splits": 3}, per_day=2)
    res = run_audit(RunRequest("month_tail", root=tmp_path))
    warned = [f for f in res.findings if f.check == "ranking"]
    assert len(warned) == 1 and warned[0].severity == "warning"
    assert "DISAGREE" in warned[0].message and "period_tail" in warned[0].message
    assert not res.leak_found
    summary = json.loads(json.dumps(summary_dict(res), default=float))
    assert summary["ranking"]["mimic"] == "period_tail" and not summary["ranking"]["agree"]
    assert len(summary["ranking"]["models"]) == 3
    page = render_html(res, figures={"permutation.png": b"", "adversarial_importance.png": b"",
                                     "target_by_row_order.png": b""})  # fmt: skip
    assert 'id="ranking"' in page and "trees_day" in page
