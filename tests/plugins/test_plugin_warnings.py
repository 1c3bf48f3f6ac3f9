"""A plug-in's own warnings reach the user, once each: not hidden by podium's filters (a
FutureWarning or DeprecationWarning too) and not repeated per fold or per fold worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

PLUGIN = '''
import warnings
from typing import Any

import pandas as pd

from podium.stages import BaseStage


class Noisy(BaseStage):
    """Passes columns through and warns when fitted. **Leakage:** none (learns nothing)."""

    def _fit(self, X: pd.DataFrame, y: Any, **fit_params: Any) -> None:
        warnings.warn("noisy: a plug-in user warning", UserWarning)
        warnings.warn("noisy: a plug-in future warning", FutureWarning)
        warnings.warn("noisy: a plug-in deprecation", DeprecationWarning)

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X


def register(registry):
    registry.add_stage("noisy", Noisy)
'''


def _project(root: Path, n_workers: int) -> None:
    comp = root / "competitions" / "toy"
    (comp / "data").mkdir(parents=True)
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({"id": np.arange(n), "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["target"] = (frame.x1 - frame.x2 + rng.normal(size=n) > 0).astype(int)
    frame.iloc[:150].to_csv(comp / "data" / "train.csv", index=False)
    test = frame.iloc[150:].drop(columns="target")
    test.to_csv(comp / "data" / "test.csv", index=False)
    sample = pd.DataFrame({"id": test["id"], "target": 0.5})
    sample.to_csv(comp / "data" / "sample_submission.csv", index=False)
    (comp / "features.py").write_text(PLUGIN)
    (comp / "competition.yaml").write_text(yaml.safe_dump({
        "name": "toy", "data": {"id": "id", "target": "target"}, "task": "binary",
        "metric": "roc_auc", "cv": {"scheme": "stratified_kfold", "n_splits": 4}, "seed": 1,
        "pipeline": "noisy", "plugins": "features.py",
        "submission": {"id": "id", "target": "target", "kind": "probability"},
    }))  # fmt: skip
    (root / "pipelines").mkdir()
    (root / "pipelines" / "noisy.yaml").write_text(yaml.safe_dump({
        "stages": [{"name": "noisy", "use": "noisy"}],
        "models": {
            "lgb": {"use": "lightgbm", "params": {"n_estimators": 10, "num_leaves": 4}},
            "lin": {"use": "logistic_regression"},
        },
        "n_workers": n_workers, "cache": "off",
    }, sort_keys=False))  # fmt: skip


@pytest.mark.parametrize("n_workers", [1, 2])
def test_plugin_warnings_show_once_each(tmp_path: Path, n_workers: int) -> None:
    _project(tmp_path, n_workers)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONWARNINGS", "MLFLOW"))}
    env["PODIUM_ROOT"] = str(tmp_path)
    exe = Path(sys.executable).parent / "podium"
    proc = subprocess.run(
        [str(exe), "run", "toy"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    stderr = proc.stderr
    for kind, text in [("UserWarning", "a plug-in user warning"),
                       ("FutureWarning", "a plug-in future warning"),
                       ("DeprecationWarning", "a plug-in deprecation")]:  # fmt: skip
        assert stderr.count(f"{kind}: noisy: {text}") == 1, stderr
    shown = [line for line in stderr.splitlines() if "Warning: " in line]
    assert len(shown) == 3, shown  # nothing but the plug-in's: no third-party noise


def test_lokys_retired_worker_note_is_not_shown() -> None:
    import warnings

    from podium.logging import show_warnings

    with warnings.catch_warnings(record=True) as seen:
        show_warnings()
        warnings.warn("A worker stopped while some jobs were given to the executor.", UserWarning,
                      stacklevel=1)
        warnings.warn("a user warning podium shows", UserWarning, stacklevel=1)
    assert [str(w.message) for w in seen] == ["a user warning podium shows"]
