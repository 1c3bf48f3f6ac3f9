"""The cross-fitted stages share one base: its stage_name names them in every message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from podium.exceptions import ConfigError, LeakageError
from podium.features import FEATURE_STAGES, CrossFitStage

CROSS_FITTED = {n: c for n, c in FEATURE_STAGES.items() if issubclass(c, CrossFitStage)}


def test_the_supervised_stages_are_cross_fitted_under_their_registry_name() -> None:
    assert set(CROSS_FITTED) == {"target_encoder", "knn_features"}
    for name, cls in FEATURE_STAGES.items():
        assert getattr(cls, "stage_name", name) == name


@pytest.mark.parametrize("name", sorted(CROSS_FITTED))
def test_base_checks_name_the_stage(name: str) -> None:
    X = pd.DataFrame({"x": np.arange(20.0)})
    y = np.arange(20) % 2
    stage = CROSS_FITTED[name](columns=["x"])
    with pytest.raises(ConfigError, match=rf"^stage '{name}' needs the target; "):
        stage.fit_transform(X, None)
    with pytest.raises(LeakageError, match=rf"^stage '{name}' needs the target, which"):
        stage.set_params(fit_on="train+test").fit(X, y)
    with pytest.raises(ConfigError, match=rf"^stage '{name}': n_splits must be an integer"):
        stage.set_params(fit_on="train", n_splits=True).fit_transform(X, y)
    out = stage.set_params(n_splits=4).fit_transform(X, y)
    assert len(out) == 20 and list(out.columns)[:1] == ["x"]
