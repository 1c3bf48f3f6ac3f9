"""``podium audit`` on synthetic competitions: clean ones pass, planted leaks are flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from podium.audit import adversarial_folds, run_audit
from podium.audit.duplicates import duplicates_and_ids
from podium.audit.permutation import _judge, chance_score
from podium.cli import commands  # noqa: F401  (registers the commands, audit included)
from podium.cli.app import app
from podium.config import RunRequest
from podium.engine import ExperimentResult
from podium.metrics import get_metric


def plant_leaks(train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame) -> None:
    """Two leaks as they reach a CSV in practice.

    * ``customer_no``: an integer id assigned after sorting customers by outcome (noisy).
    * ``shop_te``: the mean target of ``shop`` (40 levels) computed on ALL training rows,
      each row's own target included, and written into the files; test rows get the same
      per-shop means. It is precomputed (not a pipeline stage) because that is how such a
      column usually arrives: someone else's feature table.
    """
    rng = np.random.default_rng(1)
    n, m = len(train), len(test)
    noisy = train["target"] + rng.normal(scale=0.6, size=n)
    train["customer_no"] = 5000 + np.argsort(np.argsort(noisy.to_numpy()))
    test["customer_no"] = 5000 + n + rng.permutation(m)
    train["shop"] = rng.integers(0, 40, size=n).astype(str)
    test["shop"] = rng.integers(0, 40, size=m).astype(str)
    means = train.groupby("shop")["target"].mean()
    train["shop_te"] = train["shop"].map(means)
    test["shop_te"] = test["shop"].map(means).fillna(train["target"].mean())


def _audit(comp: Path):  # noqa: ANN202
    return run_audit(RunRequest(comp.name, root=comp.parent.parent))


def test_clean_competition_is_not_flagged(make_competition) -> None:
    res = _audit(make_competition("clean"))
    assert not res.leak_found, [f.message for f in res.findings if f.severity == "leak"]
    assert res.permutation.passed
    assert abs(res.permutation.value - 0.5) <= res.permutation.tolerance
    assert res.adversarial.level == "none"
    assert not res.holdout.applicable


def test_planted_leaks_are_flagged(make_competition) -> None:
    res = _audit(make_competition("leaky", edit=plant_leaks))
    leaks = [f.message for f in res.findings if f.severity == "leak"]
    assert res.leak_found
    assert any("customer_no" in m and "id-like" in m for m in leaks), leaks
    assert any("shop_te" in m and "target statistic" in m for m in leaks), leaks
    # The permutation test does not see leaks fixed in the files: shuffling y breaks them.
    assert res.permutation.passed


def test_cli_exit_codes_report_and_fold_column(make_competition, monkeypatch, tmp_path) -> None:
    leaky = make_competition("leaky", edit=plant_leaks)
    clean = make_competition("clean")
    monkeypatch.setenv("PODIUM_ROOT", str(tmp_path))
    runner = CliRunner()
    report, folds_csv = tmp_path / "out" / "leaky.html", tmp_path / "out" / "folds.csv"
    r = runner.invoke(
        app,
        [
            "audit",
            "leaky",
            "-o",
            str(report),
            "--write-fold-column",
            str(folds_csv),
            "--no-tracking",
        ],
    )
    assert r.exit_code == 1, r.output
    assert "LEAK FOUND" in r.output and "customer_no" in r.output
    page = report.read_text()
    assert "Permuted-target" in page and "Adversarial ROC-AUC" in page
    assert "http://" not in page and "https://" not in page  # self-contained
    assert page.count("data:image/png;base64,") >= 3
    folds = pd.read_csv(folds_csv)
    assert list(folds.columns) == ["row", "adversarial_p", "fold"]
    assert len(folds) == 240 and set(folds["fold"]) == {0, 1, 2, 3, 4}
    r = runner.invoke(app, ["audit", "clean", "--no-tracking"])
    assert r.exit_code == 0, r.output
    assert (clean / "audit.html").is_file()
    assert leaky.is_dir()


BROKEN_TE_PLUGIN = '''
from typing import Any

import pandas as pd

from podium.stages import BaseStage


class AllRowsTargetMean(BaseStage):
    """DELIBERATELY BROKEN: the mean target per ``col`` over ALL rows of the train file.

    **Leakage:** total. It reads the train file itself (``split_context.data_dir``), so
    every row's own target, validation rows included, is in its feature.
    """

    def __init__(self, col: str = "shop") -> None:
        self.col = col

    def _fit(self, X: pd.DataFrame, y: Any, **fit_params: Any) -> None:
        train = pd.read_csv(fit_params["split_context"].data_dir / "train.csv")
        self.means_ = train.groupby(self.col)["target"].mean()

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        out[f"{self.col}_te"] = X[self.col].map(self.means_)
        return out


def register(registry):
    registry.add_stage("all_rows_te", AllRowsTargetMean)
'''


def add_shop(train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame) -> None:
    """A harmless categorical column: 80 shops assigned at random (3 rows each on average)."""
    rng = np.random.default_rng(2)
    train["shop"] = rng.integers(0, 80, size=len(train))
    test["shop"] = rng.integers(0, 80, size=len(test))


def test_broken_plugin_reading_the_train_file_is_flagged(
    make_competition, monkeypatch, tmp_path
) -> None:
    """The permuted-target check permutes the files, so a plug-in that target-encodes on
    all rows of the train file sees the permuted target and is caught; without the plug-in
    the same competition passes."""
    pipe = {
        "stages": [
            {"name": "shop_te", "use": "all_rows_te", "params": {"col": "shop"}},
            {"name": "numeric", "use": "to_numeric"},
        ],
        "models": {"lgb": {"use": "lightgbm", "params": {
            "n_estimators": 60, "learning_rate": 0.1, "num_leaves": 7, "min_child_samples": 5,
        }}},
    }  # fmt: skip
    broken = make_competition(
        "broken", edit=add_shop, pipeline=pipe,
        config={"pipeline": "custom", "plugins": "features.py"},
    )  # fmt: skip
    (broken / "features.py").write_text(BROKEN_TE_PLUGIN)
    make_competition("plain", edit=add_shop)
    monkeypatch.setenv("PODIUM_ROOT", str(tmp_path))
    runner = CliRunner()
    report = tmp_path / "out" / "broken.html"
    r = runner.invoke(app, ["audit", "broken", "-o", str(report), "--no-tracking"])
    assert r.exit_code == 1, r.output
    assert "LEAK FOUND" in r.output
    page = report.read_text()
    assert "BEYOND CHANCE" in page
    r = runner.invoke(app, ["audit", "plain", "--no-tracking"])
    assert r.exit_code == 0, r.output


def test_permuted_copy_permutes_only_the_target_of_kept_rows(make_competition, tmp_path) -> None:
    from podium.audit.permutation import write_permuted_copy
    from podium.data import load_data
    from podium.session import plan_run

    comp = make_competition(
        "filtered", task="regression", config={"data.train_filter": "x1 < 1.0"}
    )
    (comp / "data" / "extra.csv").write_text("a\n1\n")
    plan = plan_run(RunRequest("filtered", root=tmp_path))
    out = write_permuted_copy(plan, tmp_path / "copy", seed=3)
    assert (out / "extra.csv").is_symlink() and (out / "test.csv").is_symlink()
    orig, new = pd.read_csv(comp / "data" / "train.csv"), pd.read_csv(out / "train.csv")
    pd.testing.assert_frame_equal(orig.drop(columns="target"), new.drop(columns="target"))
    dropped = ~orig.eval("x1 < 1.0")
    assert dropped.any() and (orig.loc[dropped, "target"] == new.loc[dropped, "target"]).all()
    permuted = load_data(plan.cfg.competition, out).y.to_numpy()
    order = np.random.default_rng(3).permutation(len(plan.y))
    np.testing.assert_array_equal(permuted, plan.y[order])
    assert not np.array_equal(permuted, plan.y)


def test_cli_bad_competition_is_one_line_exit_2(make_competition, monkeypatch, tmp_path) -> None:
    make_competition("toy")
    monkeypatch.setenv("PODIUM_ROOT", str(tmp_path))
    r = CliRunner().invoke(app, ["audit", "nope"])
    assert r.exit_code == 2


def test_audit_is_logged_as_tagged_run(make_competition, monkeypatch, tmp_path) -> None:
    make_competition("toy")
    monkeypatch.setenv("PODIUM_ROOT", str(tmp_path))
    r = CliRunner().invoke(app, ["audit", "toy"])
    assert r.exit_code == 0, r.output
    from podium.config import load_config
    from podium.session import make_tracker

    cfg = load_config("toy", root=tmp_path)
    runs = make_tracker(cfg, tmp_path).list_runs(max_results=5)  # type: ignore[attr-defined]
    audit = [s for s in runs if s.name.startswith("audit-")]
    assert audit and audit[0].tags["podium.audit"] == "1"


def test_permutation_judge_flags_a_leaking_pipeline() -> None:
    """A pipeline whose OOF predictions track the (permuted) target is beyond chance."""
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=400)
    fold = np.arange(400) % 4
    plan = SimpleNamespace(
        cfg=SimpleNamespace(competition=SimpleNamespace(task="binary")),
        metric=get_metric("roc_auc"),
        folds=SimpleNamespace(fold=fold),
    )
    leaky = ExperimentResult({}, "lgb", y + rng.normal(scale=0.8, size=400), y, 0, 0, [])
    res = _judge(plan, leaky, y, np.arange(400), 0, 0.0)  # type: ignore[arg-type]
    assert not res.passed and res.value > 0.5 + res.tolerance
    fair = ExperimentResult({}, "lgb", rng.random(400), y, 0, 0, [])
    assert _judge(plan, fair, y, np.arange(400), 0, 0.0).passed  # type: ignore[arg-type]


def test_regression_chance_is_the_training_mean() -> None:
    y = np.arange(1.0, 101.0)
    fold = np.arange(100) % 5
    score, pred = chance_score(get_metric("rmse"), y, fold, "regression")
    assert pred[0] == pytest.approx(np.mean(y[fold != 0]))
    assert score == pytest.approx(np.sqrt(np.mean((y - pred) ** 2)))


def test_adversarial_finds_a_shifted_feature_and_orders_folds(make_competition) -> None:
    def shift(train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame) -> None:
        test["x1"] = test["x1"] + 2.5

    res = _audit(make_competition("shifted", edit=shift))
    adv = res.adversarial
    assert adv.level == "strong" and adv.importance.index[0] == "x1"
    folds = adversarial_folds(adv.train_proba)
    by_fold = folds.groupby("fold")["adversarial_p"].mean()
    assert by_fold.is_monotonic_decreasing


def test_duplicates_and_conflicting_targets() -> None:
    train = pd.DataFrame({"a": [1.0, 1.0, 2.0, 3.0, 4.0] * 4, "b": list("xxyzw") * 4})
    train["b"] = train["b"].astype("category")
    y = np.array([0, 1, 0, 1, 0] * 4)
    test = train.iloc[:3].reset_index(drop=True)
    res = duplicates_and_ids(train, y, test, task="binary")
    assert res.test_in_train == 3
    assert res.conflicting_groups == 1 and res.conflicting_rows == 8


def test_cv_vs_holdout_on_a_time_split(make_competition) -> None:
    comp = make_competition(
        "timed",
        config={"data.drop": ["grp"], "cv.scheme": "time", "cv.time": "day"},
    )
    res = _audit(comp)
    assert res.holdout.applicable and res.holdout.kind == "last-20%-by-time"
    assert 0.5 < res.holdout.holdout <= 1.0
    assert "holdout" in res.holdout.message
