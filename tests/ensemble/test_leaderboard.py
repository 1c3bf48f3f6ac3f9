"""The end-of-run leaderboard: models best first, the ensemble's line, and a remark when
the ensemble does not beat the best single model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from podium.engine import ExperimentResult
from podium.engine.result import CVResult, FoldResult
from podium.ensemble.leaderboard import build_leaderboard
from podium.metrics import get_metric

AUC = get_metric("roc_auc", "binary")
RMSE = get_metric("rmse", "regression")


def _model(name: str, score: float, seconds: float = 1.0) -> CVResult:
    folds = tuple(FoldResult(k, score, 90, 30, None, seconds / 3, 0.0) for k in range(3))
    return CVResult(
        name=name, metric="roc_auc", oof=np.zeros(120), test=np.zeros(40), folds=folds,
        cv_mean=score, cv_std=0.01, importances=pd.Series(dtype=float),
        test_strategy="fold_mean", seconds=seconds,
    )  # fmt: skip


def _result(chosen: str, cv: float, **kw) -> ExperimentResult:
    results = {"linear": _model("linear", 0.70, 0.4), "lgb": _model("lgb", 0.80, 12.5)}
    return ExperimentResult(
        results=results, chosen=chosen, oof=np.zeros(120), test=np.zeros(40), cv_mean=cv,
        cv_std=0.02, fold_scores=[cv] * 3, **kw,
    )  # fmt: skip


def test_models_best_first_with_weights_and_a_remark_when_the_blend_is_no_better() -> None:
    res = _result("weights", 0.79, naive_score=0.81, weights={"lgb": 0.9, "linear": 0.1})
    board = build_leaderboard(AUC, res)
    assert [r.name for r in board.rows] == ["lgb", "linear", "ensemble (weights)"]
    assert [r.share for r in board.rows] == [0.9, 0.1, 1.0]
    lines = board.lines()
    assert lines[0].split() == ["model", "CV", "roc_auc", "time", "weight"]
    assert lines[2].split() == ["1", "lgb", "0.80000", "±", "0.01000", "12.5s", "0.900"]
    assert lines[3].split()[:2] == ["2", "linear"]
    assert lines[5].split()[:3] == ["=", "ensemble", "(weights)"]
    assert board.remark == (
        "note: the ensemble (weights, CV 0.79000) is not better than the best single model "
        "lgb (CV 0.80000)"
    )
    assert lines[-1] == board.remark
    frame = board.to_frame()
    assert list(frame.columns) == ["name", "kind", "cv_roc_auc", "cv_std", "seconds", "weight"]


def test_a_better_ensemble_has_no_remark_and_lower_is_better_sorts_up() -> None:
    better = build_leaderboard(AUC, _result("weights", 0.82, naive_score=0.83, weights={}))
    assert better.remark is None
    worse = build_leaderboard(RMSE, _result("mean", 0.75, naive_score=0.7))
    assert [r.name for r in worse.rows][:2] == ["linear", "lgb"]  # 0.70 < 0.80: best
    assert worse.remark is not None and "best single model linear" in worse.remark


def test_stack_shows_its_coefficient_shares_per_member() -> None:
    details = {"members": ["lgb", "linear"], "importance": {"lgb_0": 1.5, "lgb_1": 1.5,
                                                            "linear_0": -1.0, "linear_1": 0.0}}
    board = build_leaderboard(AUC, _result("stack", 0.85, naive_score=0.9, details=details))
    assert board.share_label == "stack coef"
    shares = {r.name: r.share for r in board.rows}
    assert shares["lgb"] == 0.75 and shares["linear"] == 0.25
    assert "stack coef" in board.lines()[0]


def test_best_single_model_run_names_the_chosen_model() -> None:
    board = build_leaderboard(AUC, _result("lgb", 0.80))
    assert board.rows[-1].name == "submission: lgb (best)" and board.remark is None
    assert board.share_label is None and "weight" not in board.lines()[0]
