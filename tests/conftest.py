"""Shared fixtures: small synthetic competitions written to tmp folders by the tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

FAST_LGB = {"n_estimators": 60, "learning_rate": 0.1, "num_leaves": 7, "min_child_samples": 5}


def fast_pipeline(
    *stages: dict[str, Any], early_stopping: bool = True, **params: Any
) -> dict[str, Any]:
    """The tests' small pipeline: ``stages``, then numbers stored as text to floats and
    native categoricals; one LightGBM ``lgb`` with FAST_LGB updated by ``params`` and
    (unless ``early_stopping=False``) early stopping on an inner 20% holdout. A new dict
    each call."""
    lgb: dict[str, Any] = {"use": "lightgbm", "params": {**FAST_LGB, **params}}
    if early_stopping:
        lgb["early_stopping"] = {"rounds": 10, "holdout": 0.2}
    return {
        "stages": [
            *stages,
            {"name": "numeric", "use": "to_numeric"},
            {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
        ],
        "models": {"lgb": lgb},
    }


FAST_PIPELINE = {"description": "tiny and fast, for tests", **fast_pipeline()}


@pytest.fixture(name="fast_pipeline")
def _fast_pipeline() -> Callable[..., dict[str, Any]]:
    """``fast_pipeline(*stages, early_stopping=True, **lgb_params)``: the tests' small
    pipeline, to vary (see the function)."""
    return fast_pipeline


def make_frames(
    n_train: int = 240, n_test: int = 80, *, task: str = "binary", seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Learnable synthetic train/test/sample frames with numeric, text and number-as-text."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    signal = 1.5 * x1 - x2 + (color == "red") * 1.0
    spent = np.round(np.abs(rng.normal(100, 30, size=n)), 2).astype(str)
    spent[rng.random(n) < 0.05] = " "
    frame = pd.DataFrame(
        {
            "id": np.arange(1000, 1000 + n),
            "x1": x1,
            "x2": x2,
            "color": color,
            "spent": spent,
            "grp": rng.integers(0, 30, size=n),
            "day": np.repeat(np.arange(n // 8 + 1), 8)[:n],
        }
    )
    if task == "binary":
        frame["target"] = (signal + rng.normal(scale=0.8, size=n) > 0).astype(int)
    elif task == "multiclass":
        frame["target"] = np.digitize(signal + rng.normal(scale=0.5, size=n), [-1, 1])
        frame["target"] = frame["target"].map({0: "low", 1: "mid", 2: "high"})
    else:
        frame["target"] = np.exp(3 + 0.3 * signal + rng.normal(scale=0.1, size=n))
    train = frame.iloc[:n_train].reset_index(drop=True)
    test = frame.iloc[n_train:].drop(columns="target").reset_index(drop=True)
    sample = pd.DataFrame({"id": test["id"], "target": 0.5})
    return train, test, sample


@pytest.fixture
def make_competition(tmp_path: Path) -> Callable[..., Path]:
    """Write a synthetic competition under ``tmp_path/competitions/<name>``; return its folder.

    ``tmp_path`` gets ``pipelines/`` (the repo's pipelines plus ``fast.yaml``), so it can be
    used as the project root.
    """
    return competition_maker(tmp_path)


@pytest.fixture(scope="session")
def competition_writer() -> Callable[[Path], Callable[..., Path]]:
    """``make_competition`` for fixtures of a wider scope: ``competition_writer(root)(...)``
    writes the competition under ``root`` (e.g. a ``tmp_path_factory`` folder)."""
    return competition_maker


def competition_maker(tmp_path: Path) -> Callable[..., Path]:
    """The ``make_competition`` function writing under ``tmp_path``."""

    def make(
        name: str = "toy",
        *,
        task: str = "binary",
        n_train: int = 240,
        n_test: int = 80,
        config: dict[str, Any] | None = None,
        pipeline: dict[str, Any] | None = None,
        edit: Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame], None] | None = None,
        seed: int = 0,
    ) -> Path:
        comp = tmp_path / "competitions" / name
        data = comp / "data"
        data.mkdir(parents=True, exist_ok=True)
        pipes = tmp_path / "pipelines"
        if not pipes.exists():
            shutil.copytree(REPO / "pipelines", pipes)
            (pipes / "fast.yaml").write_text(yaml.safe_dump(FAST_PIPELINE, sort_keys=False))
        if pipeline is not None:
            (pipes / "custom.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
        train, test, sample = make_frames(n_train, n_test, task=task, seed=seed)
        if edit is not None:
            edited = edit(train, test, sample)
            if edited is not None:
                train, test, sample = edited
        train.to_csv(data / "train.csv", index=False)
        test.to_csv(data / "test.csv", index=False)
        sample.to_csv(data / "sample_submission.csv", index=False)
        metric = {"binary": "roc_auc", "multiclass": "logloss", "regression": "rmsle"}[task]
        cfg: dict[str, Any] = {
            "name": name,
            "data": {"id": "id", "target": "target", "drop": ["grp", "day"]},
            "task": task,
            "metric": metric,
            "cv": {
                "scheme": "kfold" if task == "regression" else "stratified_kfold",
                "n_splits": 4,
            },
            "seed": 7,
            "pipeline": "fast",
            "submission": {
                "id": "id",
                "target": "target",
                "kind": "value" if task == "regression" else "probability",
            },
            "tracking": {"experiment": name},
        }
        if task == "multiclass":
            cfg["submission"]["kind"] = "label"
        for key, value in (config or {}).items():
            node = cfg
            *parents, last = key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            if value is _DELETE:
                node.pop(last, None)
            else:
                node[last] = value
        (comp / "competition.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        return comp

    return make


_DELETE = object()


@pytest.fixture
def delete() -> object:
    """Marker value: remove a key from the generated competition config."""
    return _DELETE


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Runs tracked by tests go to a tmp MLflow store, never the project's mlruns/, and
    cached features to a tmp folder, never the project's cache/."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlruns/mlflow.db")
    monkeypatch.setenv("PODIUM_CACHE_DIR", str(tmp_path / "feature-cache"))
    monkeypatch.delenv("PODIUM_DATA_DIR", raising=False)
    monkeypatch.delenv("PODIUM_ROOT", raising=False)
