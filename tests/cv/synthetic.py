"""Synthetic competitions whose test relates to train in a known way (built by the tests).

* :func:`month_tail`: test = days 21+ of each month, with a trend within months;
* :func:`later`: test = the weeks after the training weeks;
* :func:`unseen_groups`: test = stores that train never shows.

Each writes ``competitions/<name>/`` under ``root`` (data, competition.yaml without ``cv``
unless given) and returns the test's true target, for the holdout error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

TREND = 6.0

# Three models ranked differently by shuffled k-fold and by the test: the linear model
# extrapolates the within-month trend, trees on the day of month cannot, and trees without
# it see the trend as noise.
MODELS: dict[str, Any] = {
    "linear_day": {
        "use": "ridge",
        "params": {"alpha": 0.1},
        "stages": [{"name": "day", "use": "datetime", "params": {"parts": ["day"]}}],
    },
    "trees_day": {
        "use": "lightgbm",
        "params": {"n_estimators": 80, "learning_rate": 0.1, "num_leaves": 15},
        "stages": [{"name": "day", "use": "datetime", "params": {"parts": ["day"]}}],
    },
    "trees_noday": {
        "use": "lightgbm",
        "params": {"n_estimators": 80, "learning_rate": 0.1, "num_leaves": 15},
        "stages": [{"name": "nodate", "use": "drop", "params": {"columns": ["date"]}}],
    },
}
PIPELINE = {"description": "three models, three answers to the trend", "models": MODELS}


def _write(
    root: Path, name: str, train: pd.DataFrame, test: pd.DataFrame, cv: Any, extra: dict[str, Any]
) -> Path:
    comp = root / "competitions" / name
    data = comp / "data"
    data.mkdir(parents=True, exist_ok=True)
    train.to_csv(data / "train.csv", index=False)
    test.drop(columns=["y"]).to_csv(data / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "y": 0.0}).to_csv(data / "sample_submission.csv", index=False)
    pipes = root / "pipelines"
    pipes.mkdir(parents=True, exist_ok=True)
    (pipes / "three.yaml").write_text(yaml.safe_dump(PIPELINE, sort_keys=False))
    cfg: dict[str, Any] = {
        "name": name,
        "data": {"id": "id", "target": "y"},
        "task": "regression",
        "metric": "rmse",
        "seed": 3,
        "pipeline": "three",
        "submission": {"id": "id", "target": "y", "kind": "value"},
        **extra,
    }
    if cv is not None:
        cfg["cv"] = cv
    (comp / "competition.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return comp


def month_tail(root: Path, *, cv: Any = None, seed: int = 0, per_day: int = 4) -> np.ndarray:
    """12 months; train days 1-20, test days 21 to the month's end; y trends within months."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-01", "2023-12-31", freq="D")
    t = np.repeat(days.to_numpy(), per_day) + rng.integers(0, 86400, len(days) * per_day) * np.timedelta64(1, "s")
    t = pd.Series(np.sort(t))
    n = len(t)
    x1, x2 = rng.uniform(size=n), rng.uniform(size=n)
    dom = t.dt.day.to_numpy()
    y = 2 * np.sin(4 * x1) + x2 + TREND * dom / 31 + rng.normal(scale=0.3, size=n)
    frame = pd.DataFrame({
        "id": np.arange(n), "date": t.dt.strftime("%Y-%m-%d %H:%M:%S"), "x1": x1, "x2": x2, "y": y,
    })  # fmt: skip
    is_test = dom >= 21
    _write(root, "month_tail", frame[~is_test], frame[is_test], cv, {})
    return y[is_test]


def later(root: Path, *, cv: Any = None, seed: int = 0) -> np.ndarray:
    """120 days, 8 rows a day; train the first 90 days, test the 30 after; y drifts."""
    rng = np.random.default_rng(seed)
    t = pd.Series(np.repeat(pd.date_range("2023-01-01", periods=120, freq="D"), 8))
    n = len(t)
    x1, x2 = rng.uniform(size=n), rng.uniform(size=n)
    elapsed = np.arange(n) / n
    y = 2 * np.sin(4 * x1) + x2 + 3 * elapsed + rng.normal(scale=0.3, size=n)
    frame = pd.DataFrame({
        "id": np.arange(n), "date": t.dt.strftime("%Y-%m-%d"), "x1": x1, "x2": x2, "y": y,
    })  # fmt: skip
    is_test = np.arange(n) >= 90 * 8
    _write(root, "later", frame[~is_test], frame[is_test], cv, {})
    return y[is_test]


def unseen_groups(root: Path, *, cv: Any = None, seed: int = 0) -> np.ndarray:
    """40 stores with their own level; train stores s0-s29, test stores s30-s39."""
    rng = np.random.default_rng(seed)
    store = np.repeat(np.arange(40), 30)
    n = len(store)
    level = rng.normal(scale=1.0, size=40)[store]
    x1, x2 = rng.uniform(size=n), rng.uniform(size=n)
    y = 2 * np.sin(4 * x1) + x2 + level + rng.normal(scale=0.3, size=n)
    frame = pd.DataFrame({
        "id": np.arange(n), "store": [f"s{s}" for s in store], "x1": x1, "x2": x2, "y": y,
    })  # fmt: skip
    is_test = store >= 30
    _write(root, "unseen_groups", frame[~is_test], frame[is_test], cv, {})
    return y[is_test]
