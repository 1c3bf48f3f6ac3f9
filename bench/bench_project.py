"""What the benchmarks that run podium on a throwaway project share.

- ``binary_config`` and ``write_project``: a project on disk (the competition.yaml of a
  binary competition on train.csv / test.csv / sample.csv, and its pipeline file);
  cache.py, overhead.py, scale.py;
- ``hand_script``: the hand-written 5-fold LightGBM loop that overhead.py and scale.py time
  against ``podium run`` (``podium_run``), and ``same_folds``: its fold ids equal the
  folds.csv of podium's latest run.

Imported by the scripts beside it (``uv run python bench/X.py`` puts bench/ on the path).
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import yaml


def binary_config(
    name: str,
    pipeline: str,
    *,
    id: str | None = "id",
    target: str = "target",
    submission: dict[str, str] | None = None,
) -> dict[str, Any]:
    """competition.yaml of a binary competition scored by ROC-AUC: train.csv, test.csv and
    sample.csv; 5 stratified shuffled folds, seed 42; the submission (default: columns
    ``id`` and ``target``)."""
    return {
        "name": name,
        "data": {
            "train": "train.csv",
            "test": "test.csv",
            "sample_submission": "sample.csv",
            "id": id,
            "target": target,
        },
        "task": "binary",
        "metric": "roc_auc",
        "cv": {"scheme": "stratified_kfold", "n_splits": 5, "shuffle": True},
        "seed": 42,
        "pipeline": pipeline,
        "submission": submission or {"id": "id", "target": "target"},
    }


def write_project(root: Path, config: dict[str, Any], pipeline: dict[str, Any]) -> Path:
    """Write ``root/competitions/<name>/competition.yaml`` and the pipeline it names
    (``root/pipelines/<pipeline>.yaml``); return the competition folder."""
    comp = root / "competitions" / config["name"]
    comp.mkdir(parents=True, exist_ok=True)
    (root / "pipelines").mkdir(exist_ok=True)
    (comp / "competition.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    pipe = root / "pipelines" / f"{config['pipeline']}.yaml"
    pipe.write_text(yaml.safe_dump(pipeline, sort_keys=False))
    return comp


# After ``prepare``: the text columns become categoricals of the train values; 5 folds
# as podium draws them for binary_config (StratifiedKFold(5, shuffle, seed 42)); LightGBM
# deterministic and row-wise.
HAND_CV = """\
for c in [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]:
    dtype = pd.CategoricalDtype(sorted(train[c].dropna().unique()))
    train[c] = train[c].astype(dtype); test[c] = test[c].astype(dtype)
oof = np.zeros(len(train)); pred = np.zeros(len(test)); fold = np.zeros(len(train), int)
skf = StratifiedKFold(5, shuffle=True, random_state=42)
for k, (tr, va) in enumerate(skf.split(np.zeros(len(y)), y)):
    m = lgb.LGBMClassifier(**params, verbosity=-1, n_jobs=int(n_jobs), random_state=42,
                           deterministic=True, force_row_wise=True)
    m.fit(train.iloc[tr], y[tr])
    oof[va] = m.predict_proba(train.iloc[va])[:, 1]
    pred += m.predict_proba(test)[:, 1] / 5
    fold[va] = k
    del m
np.save(folds_out, fold)
"""


def hand_script(prepare: str, write: str, params: dict[str, Any]) -> str:
    """The hand loop as a script: ``prepare`` (reads ``sys.argv``; sets ``train``, ``test``
    (features only), ``y``, ``n_jobs`` and ``folds_out``), HAND_CV with ``params`` (the
    test predictions in ``pred``, the fold ids saved to ``folds_out``), then ``write``
    (writes the submission)."""
    head = (
        "import sys, numpy as np, pandas as pd, lightgbm as lgb\n"
        "from sklearn.model_selection import StratifiedKFold\n"
        f"params = {params!r}\n"
    )
    return head + textwrap.dedent(prepare) + HAND_CV + textwrap.dedent(write)


def podium_run(name: str, data: Path, output: Path) -> list[str]:
    """The `podium run` command line of competition ``name`` on the data folder ``data``."""
    podium = str(Path(sys.executable).parent / "podium")
    return [podium, "run", name, "--data-dir", str(data), "--output", str(output)]


def same_folds(root: Path, hand_folds: Path) -> bool:
    """Whether the fold ids the hand loop saved equal the folds.csv of podium's latest run
    (logged to MLflow under ``root/mlruns``)."""
    from podium.cv import Folds

    csvs = sorted((root / "mlruns").rglob("folds.csv"), key=os.path.getmtime)
    return bool(np.array_equal(Folds.from_csv(csvs[-1]).fold, np.load(hand_folds)))
