"""Every registry model has a default space whose samples the model accepts."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest

from podium.config import PipelineConfig
from podium.engine import default_registry
from podium.models import MODEL_ADAPTERS, make_model
from podium.tuning import default_space
from podium.tuning.paths import check_paths

TASKS = {"ridge": "regression", "lasso": "regression"}
SMALL = {"lightgbm": {"n_estimators": 5}, "xgboost": {"n_estimators": 5},
         "catboost": {"iterations": 5}, "random_forest": {"n_estimators": 5},
         "extra_trees": {"n_estimators": 5}}  # fmt: skip


def test_every_registry_model_owns_a_default_space():
    assert all(cls.search_space for cls in MODEL_ADAPTERS.values())


def test_a_plugin_model_without_a_space_has_no_default():
    from podium.models.base import ModelAdapter

    class Bare(ModelAdapter):
        name = "bare"

    reg = default_registry()
    reg.add_model("bare", Bare)
    assert default_space("m", "bare", registry=reg) is None


@pytest.mark.parametrize("use", sorted(MODEL_ADAPTERS))
def test_default_space_names_real_parameters_and_its_samples_fit(use):
    task = TASKS.get(use, "binary")
    space = default_space("m", use, task=task)
    assert space is not None and len(space) >= 1
    pipe = PipelineConfig.model_validate({"models": {"m": {"use": use}}})
    check_paths(space.paths, pipe, default_registry(), task=task, source="default")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    y = (X["a"] + rng.normal(scale=0.5, size=120) > 0).astype(int).to_numpy()
    if task == "regression":
        y = X["a"].to_numpy() * 2.0
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(3):
        values = space.suggest(study.ask())
        params = {p.rsplit(".", 1)[1]: v for p, v in {**space.fixed, **values}.items()}
        model = make_model(use, task=task, params={**params, **SMALL.get(use, {})}, n_jobs=1)
        pred = model.fit(X, y).predict(X)
        assert np.isfinite(pred).all()


@pytest.mark.parametrize("use", ["linear", "sparse_linear"])
def test_task_aware_models_search_their_variant(use):
    assert "C" in default_space("m", use, task="binary").paths[0]
    paths = default_space("m", use, task="regression").paths
    assert any(p.endswith(".alpha") for p in paths) and not any(p.endswith(".C") for p in paths)
