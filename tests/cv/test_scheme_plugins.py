"""A plug-in adds a CV scheme, or a metric with its own chance rule, in one file."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from podium.audit.permutation import chance_score
from podium.config import RunRequest
from podium.engine import default_registry, run_models
from podium.exceptions import ConfigError
from podium.session import plan_run

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402  (tests/cv/synthetic.py)

SCHEME = '''
import numpy as np


class EveryKth:
    """Row i is validated in fold i % n_splits, shifted by cv.params.offset."""

    def build(self, request):
        offset = int(request.params.get("offset", 0))
        return (np.arange(request.n_rows) + offset) % request.n_splits


def register(registry):
    registry.add_scheme("every_kth", EveryKth())
'''

METRIC = '''
import numpy as np

from podium.metrics import Metric, fold_prior


def _mape(y, p):
    return float(np.mean(np.abs(p - y) / np.abs(y)))


def _chance(y, fold, task):  # the best constant for a relative error: a low quantile
    return fold_prior(y, fold, task, lambda v: float(np.quantile(v, 0.25)))


def register(registry):
    registry.add_metric(Metric("mape", _mape, False, frozenset({"regression"}), chance=_chance))
'''


def _with_plugin(root: Path, name: str, source: str, **cfg: object) -> None:
    comp = root / "competitions" / "month_tail"
    (comp / name).write_text(source)
    path = comp / "competition.yaml"
    data = yaml.safe_load(path.read_text())
    data.update({"plugins": name, **cfg})
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_plugin_scheme_builds_the_folds(tmp_path: Path) -> None:
    synthetic.month_tail(tmp_path)
    cv = {"scheme": "every_kth", "n_splits": 3, "params": {"offset": 1}}
    _with_plugin(tmp_path, "scheme.py", SCHEME, cv=cv)
    plan = plan_run(RunRequest("month_tail", root=tmp_path))
    np.testing.assert_array_equal(plan.folds.fold, (np.arange(plan.folds.n_rows) + 1) % 3)
    assert plan.folds.scheme == "fold_column"  # a custom assignment
    res = run_models(plan)
    assert np.isfinite(res.cv_mean) and len(res.fold_scores) == 3


def test_an_unknown_scheme_names_the_close_one(tmp_path: Path) -> None:
    synthetic.month_tail(tmp_path)
    _with_plugin(tmp_path, "scheme.py", SCHEME, cv={"scheme": "every_kht"})
    with pytest.raises(ConfigError, match="unknown cv scheme 'every_kht' - did you mean 'every_kth'"):
        plan_run(RunRequest("month_tail", root=tmp_path))


def test_without_a_plugin_an_unknown_scheme_fails_at_load(tmp_path: Path) -> None:
    synthetic.month_tail(tmp_path, cv={"scheme": "every_kth"})
    with pytest.raises(ConfigError, match=r"cv.scheme: unknown cv scheme 'every_kth'"):
        plan_run(RunRequest("month_tail", root=tmp_path))


def test_a_plugin_metric_scores_the_run_and_sets_chance(tmp_path: Path) -> None:
    synthetic.month_tail(tmp_path, cv={"scheme": "kfold", "n_splits": 3})
    _with_plugin(tmp_path, "metric.py", METRIC, metric="mape")
    plan = plan_run(RunRequest("month_tail", root=tmp_path))
    assert plan.metric.name == "mape" and not plan.metric.greater_is_better
    res = run_models(plan)
    va = plan.folds.fold >= 0
    chosen = res.results[res.chosen]
    assert chosen.cv_mean == pytest.approx(
        np.mean([plan.metric(plan.y[v], chosen.oof[v]) for _, v in plan.folds.split()])
    )
    score, pred = chance_score(plan.metric, plan.y, plan.folds.fold, "regression")
    for k in range(3):  # the plug-in's rule: each fold's training 25% quantile
        rows = plan.folds.fold[va] == k
        assert np.allclose(pred[rows], np.quantile(plan.y[plan.folds.fold != k], 0.25))
    assert score == pytest.approx(plan.metric(plan.y[va], pred))


def test_builtin_metric_chance_rules_are_on_the_metrics() -> None:
    reg = default_registry()
    y = np.array([1.0, 2.0, 3.0, 10.0, 1.0, 2.0, 3.0, 10.0])
    fold = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert np.allclose(reg.metric("mae").chance(y, fold, "regression"), 2.5)  # the median
    assert np.allclose(reg.metric("rmse").chance(y, fold, "regression"), 4.0)  # the mean
    yb = np.array([0, 0, 0, 1, 0, 1, 1, 0])
    assert np.allclose(reg.metric("roc_auc").chance(yb, fold, "binary"), 0.5)
    assert np.allclose(reg.metric("accuracy").chance(yb, fold, "binary"), 0.0)  # majority
    assert reg.origin("metric", "rmse") == "built-in" and "period_tail" in reg.schemes


MODEL = '''
import numpy as np
from podium.models.base import ModelAdapter


class TrainingMedian(ModelAdapter):
    """Predicts the training rows' median (regression)."""

    name = "training_median"
    tasks = frozenset({"regression"})

    def _fit_model(self, X, y, eval_set, early_stopping_rounds):
        self.model_ = float(np.median(y))

    def _predict_model(self, X):
        return np.full(len(X), self.model_)

    def _importances(self):
        return np.zeros(self.n_features_in_)
'''


def test_one_plugin_file_adds_a_metric_a_scheme_and_a_model(tmp_path: Path) -> None:
    """Each is one definition plus one registry line; a run uses all three, and the
    plug-in model is blended with a built-in one."""
    synthetic.month_tail(tmp_path)
    source = "\n".join([
        SCHEME.split("def register")[0], METRIC.split("def register")[0], MODEL,
        "def register(registry):",
        '    registry.add_scheme("every_kth", EveryKth())',
        '    registry.add_metric(Metric("mape", _mape, False, frozenset({"regression"}),'
        " chance=_chance))",
        '    registry.add_model("training_median", TrainingMedian)',
    ])  # fmt: skip
    pipe = {"models": {"median": {"use": "training_median"},
                       "ridge": {"use": "ridge", "params": {"alpha": 1.0}}},
            "ensemble": {"method": "weights"}}  # fmt: skip
    (tmp_path / "pipelines" / "plugged.yaml").write_text(yaml.safe_dump(pipe))
    cv = {"scheme": "every_kth", "n_splits": 3}
    _with_plugin(tmp_path, "all.py", source, cv=cv, metric="mape", pipeline="plugged")
    plan = plan_run(RunRequest("month_tail", root=tmp_path))
    assert plan.metric.name == "mape"
    np.testing.assert_array_equal(plan.folds.fold, np.arange(plan.folds.n_rows) % 3)
    res = run_models(plan)
    median = res.results["median"]
    for k, (tr, va) in enumerate(plan.folds.split()):
        assert np.allclose(median.oof[va], np.median(plan.y[tr])), k
    from podium.ensemble import apply_ensemble

    blended = apply_ensemble(plan, res)
    assert set(blended.weights or {}) == {"median", "ridge"}


def test_runs_scored_by_a_plugin_metric_blend(tmp_path: Path, monkeypatch) -> None:
    """`podium blend` reads the metric (and a stack's level-2 model) from the competition's
    registry: a plug-in metric blends as a built-in one does."""
    from podium.cross_run import blend_runs
    from podium.runner import run_competition

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    synthetic.month_tail(tmp_path, cv={"scheme": "kfold", "n_splits": 3})
    _with_plugin(tmp_path, "metric.py", METRIC, metric="mape")
    ids = []
    for alpha in ("0.1", "10"):
        out = run_competition(RunRequest("month_tail", root=tmp_path, overrides=[
            "models.trees_day.params.n_estimators=20", f"models.linear_day.params.alpha={alpha}"]))  # fmt: skip
        ids.append(out.run_id)
    outcome = blend_runs("month_tail", root=tmp_path, runs=",".join(ids), method="weights")
    assert outcome.result.method == "weights" and np.isfinite(outcome.result.cv_mean)
    assert outcome.submission.is_file()
