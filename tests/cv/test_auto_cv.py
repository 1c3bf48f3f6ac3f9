"""``cv: auto`` on synthetic competitions whose test relates to train in a known way.

The month-tail competition (test = days 21+ of each month, a trend within months) is the
case shuffled k-fold gets wrong: it ranks trees on the day of month first, which cannot
extrapolate the trend the test needs. Period-tail folds rank the models as the test does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau

from podium.config import RunRequest
from podium.engine import run_models
from podium.session import plan_run

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402  (tests/cv/synthetic.py)


def _holdout(plan, y_test: np.ndarray) -> dict[str, float]:  # noqa: ANN001
    """Each model's test RMSE, from fold models trained on all training months."""
    res = run_models(plan)
    return {n: float(np.sqrt(np.mean((r.test - y_test) ** 2))) for n, r in res.results.items()}


def test_month_tail_auto_picks_period_tail_and_ranks_as_the_test(tmp_path: Path) -> None:
    y_test = synthetic.month_tail(tmp_path)
    auto = plan_run(RunRequest("month_tail", root=tmp_path))
    cv = auto.cfg.competition.cv
    assert (cv.scheme, cv.period, cv.time) == ("period_tail", "month", "date")
    assert 0.3 <= cv.tail <= 0.4  # test holds days 21-31: about 35% of each month
    assert cv.chosen.startswith("cv: auto -> period_tail")
    assert "date" in auto.data.train.columns  # the time column stays a feature
    validated = auto.data.train["date"][auto.folds.fold >= 0].dt.day
    assert validated.min() >= 12 and validated.max() <= 20

    shuffled = plan_run(RunRequest("month_tail", root=tmp_path, overrides=["cv.scheme=kfold"]))
    truth = _holdout(shuffled, y_test)  # the "leaderboard"
    names = sorted(truth, key=truth.get)
    assert names == ["linear_day", "trees_day", "trees_noday"]

    by_tail = {n: r.cv_mean for n, r in run_models(auto).results.items()}
    by_kfold = {n: r.cv_mean for n, r in run_models(shuffled).results.items()}
    # period-tail: the same order as the test, and the best model's CV within 10%
    assert sorted(by_tail, key=by_tail.get) == names
    assert kendalltau([truth[n] for n in names], [by_tail[n] for n in names]).statistic == 1.0
    best = names[0]
    assert abs(by_tail[best] - truth[best]) <= 0.1 * truth[best]
    # shuffled k-fold: another order (trees on the day of month look best)
    assert sorted(by_kfold, key=by_kfold.get) != names
    assert kendalltau([truth[n] for n in names], [by_kfold[n] for n in names]).statistic < 1.0
    assert abs(by_kfold["trees_day"] - truth["trees_day"]) > 0.5 * truth["trees_day"]


def test_later_test_picks_time_folds(tmp_path: Path) -> None:
    synthetic.later(tmp_path)
    plan = plan_run(RunRequest("later", root=tmp_path))
    cv = plan.cfg.competition.cv
    assert (cv.scheme, cv.time, cv.gap) == ("time", "date", 0)
    assert plan.relation is not None and plan.relation.kind == "later"
    t = plan.data.train["date"]
    for train, valid in plan.folds.split():
        assert t.iloc[train].max() < t.iloc[valid].min()  # past only


def test_later_test_with_a_gap_keeps_the_gap(tmp_path: Path) -> None:
    synthetic.later(tmp_path)
    comp = tmp_path / "competitions" / "later" / "data"
    test = pd.read_csv(comp / "test.csv")
    keep = pd.to_datetime(test["date"]) >= pd.Timestamp("2023-04-05")  # 4 days after train
    test[keep].to_csv(comp / "test.csv", index=False)
    sample = pd.read_csv(comp / "sample_submission.csv")
    sample[keep.to_numpy()].to_csv(comp / "sample_submission.csv", index=False)
    cv = plan_run(RunRequest("later", root=tmp_path)).cfg.competition.cv
    assert (cv.scheme, cv.gap) == ("time", 4)


def test_unseen_groups_picks_group_folds(tmp_path: Path) -> None:
    synthetic.unseen_groups(tmp_path)
    plan = plan_run(RunRequest("unseen_groups", root=tmp_path))
    cv = plan.cfg.competition.cv
    assert (cv.scheme, cv.groups) == ("group_kfold", "store")
    assert "unseen" in cv.chosen
    store = plan.data.train["store"]
    for train, valid in plan.folds.split():
        assert not set(store.iloc[train]) & set(store.iloc[valid])


def test_explicit_cv_is_kept_and_the_relation_still_measured(tmp_path: Path) -> None:
    synthetic.month_tail(tmp_path, cv={"scheme": "kfold", "n_splits": 3})
    plan = plan_run(RunRequest("month_tail", root=tmp_path))
    assert plan.cfg.competition.cv.scheme == "kfold" and plan.cfg.competition.cv.chosen is None
    assert plan.relation is not None and plan.relation.kind == "period_tail"


@pytest.mark.parametrize("past_only", [False, True])
def test_period_tail_can_be_named_explicitly(tmp_path: Path, past_only: bool) -> None:
    cv = {"scheme": "period_tail", "time": "date", "period": "month", "tail": 0.3,
          "n_splits": 4, "past_only": past_only}  # fmt: skip
    synthetic.month_tail(tmp_path, cv=cv)
    plan = plan_run(RunRequest("month_tail", root=tmp_path))
    folds = plan.folds
    assert folds.scheme == "period_tail" and folds.n_splits == 4
    assert "date" not in plan.data.train.columns  # a cv column the user named: not a feature
    t = plan.data.cv_columns["date"]
    for k, (train, valid) in enumerate(folds.split()):
        assert not np.isin(train, np.flatnonzero(folds.fold >= 0)).any()  # never on a tail
        if past_only:
            assert t.iloc[train].max() < t.iloc[valid].min(), k


def test_profile_and_validate_print_the_relation_and_the_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from podium.cli import commands  # noqa: F401  (registers the commands)
    from podium.cli.app import app

    synthetic.month_tail(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    prof = runner.invoke(app, ["profile", "month_tail"], env={"COLUMNS": "250"})
    assert prof.exit_code == 0, prof.output
    assert "test vs train: period_tail" in prof.output
    assert "cv: auto -> period_tail" in prof.output
    assert "adversarial ROC-AUC" in prof.output and "date__day" in prof.output
    val = runner.invoke(app, ["validate", "month_tail"], env={"COLUMNS": "250"})
    assert val.exit_code == 0, val.output
    assert "cv: auto -> period_tail" in val.output and "folds: period_tail" in val.output


def test_time_ordered_folds_predict_the_test_with_a_refit(tmp_path: Path) -> None:
    """period_tail fold models never train on any month's tail: with the default
    ``test_predictions: auto`` the test comes from one model fit on every training row;
    shuffled folds keep the fold mean, and an explicit choice is kept."""
    synthetic.month_tail(tmp_path)
    tail = run_models(plan_run(RunRequest("month_tail", root=tmp_path)))
    assert {r.test_strategy for r in tail.results.values()} == {"refit"}
    request = RunRequest("month_tail", root=tmp_path, overrides=["cv.scheme=kfold"])
    shuffled = run_models(plan_run(request))
    assert {r.test_strategy for r in shuffled.results.values()} == {"fold_mean"}
    kept = run_models(
        plan_run(RunRequest("month_tail", root=tmp_path, overrides=["test_predictions=fold_mean"]))
    )
    assert {r.test_strategy for r in kept.results.values()} == {"fold_mean"}


def _mixed_date_formats(train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame) -> None:
    n, m = len(train), len(test)
    d = pd.date_range("2020-01-01", periods=n + m, freq="6h")
    alt = np.random.default_rng(5).random(n + m) < 0.5  # half day-first, misread as months
    when = np.where(alt, d.strftime("%Y-%m-%d %H:%M"), d.strftime("%d/%m/%Y"))
    train["when"], test["when"] = when[:n], when[n:]


def test_auto_falls_back_when_its_scheme_cannot_be_built(make_competition) -> None:
    """Dates in two formats make test look like each month's tail, but some fold gets no
    tail rows: auto falls back to stratified k-fold and says why (was: exit 2, 'fold 3
    has no tail rows', on a competition.yaml that never named period_tail)."""
    comp = make_competition(
        n_train=1500, n_test=400, edit=_mixed_date_formats,
        config={"cv": {"scheme": "auto", "n_splits": 4}},
    )  # fmt: skip
    plan = plan_run(RunRequest(comp, root=comp.parent.parent))
    assert plan.relation is not None and plan.relation.kind == "period_tail"
    assert plan.folds.scheme == "stratified_kfold" and plan.folds.n_splits == 4
    assert plan.cv_note.startswith(
        "cv: auto -> stratified_kfold: period_tail was chosen but cannot be built ("
    )
    assert "no tail rows" in plan.cv_note
