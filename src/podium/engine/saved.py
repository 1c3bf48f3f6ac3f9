"""Saved models: a run's fitted fold chains + models, read back to predict new rows.

``run_cv(save_to=...)`` writes each fold's fitted chain and model (and the refit's) as it
fits them, from the fold worker (see :data:`~podium.engine.fold_predict.FOLD_FILE`);
:func:`predict_saved` reads them and predicts through the same functions the run used
(:func:`~podium.engine.fold_predict.predict_fold`, :func:`~podium.engine.fold_predict.fold_mean`,
:func:`~podium.engine.experiment.seed_mean`), so the predictions on the run's own test
file are the run's, bit for bit.

A model set carries a manifest (:data:`MANIFEST`) recording the library versions it was
fitted with; :func:`check_manifest` refuses a model set read under other versions (pickled
models are only safe to load with the versions that wrote them) unless told otherwise.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from podium.engine.experiment import model_dir, seed_mean
from podium.engine.fold_predict import FOLD_FILE, REFIT_FILE, fold_mean, load_fold, predict_fold
from podium.engine.targets import TargetRange
from podium.exceptions import ConfigError

__all__ = [
    "FORMAT",
    "LIBRARIES",
    "MANIFEST",
    "SavedModel",
    "check_manifest",
    "library_versions",
    "predict_saved",
    "write_manifest",
]

FORMAT = 1
MANIFEST = "manifest.json"
LIBRARIES = (
    "podium",
    "python",
    "numpy",
    "pandas",
    "scikit-learn",
    "lightgbm",
    "xgboost",
    "catboost",
)
"""The libraries whose versions a saved model set records and checks on load."""


def library_versions() -> dict[str, str]:
    """The installed version of each of :data:`LIBRARIES` (``absent``: not installed)."""
    found = {}
    dists: Mapping[str, list[str]] | None = None
    for name in LIBRARIES:
        if name == "python":
            found[name] = platform.python_version()
            continue
        try:
            found[name] = metadata.version(name)
            continue
        except metadata.PackageNotFoundError:
            pass
        # installed under another distribution name (xgboost as xgboost-cpu)
        dists = metadata.packages_distributions() if dists is None else dists
        other = (dists or {}).get(_MODULES.get(name, name), [])
        found[name] = metadata.version(other[0]) if other else "absent"
    return found


_MODULES = {"scikit-learn": "sklearn"}


@dataclass(frozen=True)
class SavedModel:
    """Where one model's fitted folds are and how its test predictions combine them.

    ``test_strategy``: ``fold_mean`` (every fold's model, averaged over ``n_splits``) or
    ``refit`` (one model fit on all rows); ``seeds`` are averaged, then the ``repeats``
    fold assignments of a repeated CV.
    """

    name: str
    seeds: int
    test_strategy: str
    n_splits: int
    repeats: int = 1


def _load(file: Path) -> tuple[Any, Any]:
    if not file.is_file():
        raise ConfigError(f"{file}: saved model file missing; the model set is incomplete")
    return load_fold(file)


def predict_saved(
    folder: Path,
    model: SavedModel,
    X: pd.DataFrame,
    *,
    target_transform: str,
    target_range: TargetRange,
) -> np.ndarray:
    """``model``'s test predictions for the rows ``X``, from the folds saved under ``folder``
    (as :func:`~podium.engine.experiment.run_models` laid them out)."""

    def one(file: Path) -> np.ndarray:
        chain, fitted = _load(file)
        return predict_fold(
            fitted,
            chain.transform(X),
            target_transform=target_transform,
            target_range=target_range,
        )

    by_repeat = []
    for rep in range(model.repeats):
        tests = []
        for r in range(model.seeds):
            where = model_dir(folder, model.name, r, rep)
            if model.test_strategy == "refit":
                tests.append(one(where / REFIT_FILE))
            else:
                preds = [one(where / FOLD_FILE.format(k=k)) for k in range(model.n_splits)]
                tests.append(fold_mean(preds, model.n_splits))
        by_repeat.append(tests[0] if len(tests) == 1 else seed_mean(tests))
    # as podium.engine.repeats.combine_repeats averages the repeats' test predictions
    return by_repeat[0] if len(by_repeat) == 1 else np.mean(by_repeat, axis=0)


def write_manifest(folder: Path, info: dict[str, Any]) -> Path:
    """Write the model set's manifest (``info`` plus the format and library versions);
    written last, so a model set without one is incomplete."""
    data = {"format": FORMAT, "versions": library_versions(), **info}
    path = Path(folder) / MANIFEST
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def check_manifest(
    folder: Path, *, run: str, allow_version_mismatch: bool = False
) -> dict[str, Any]:
    """Read the manifest of the model set in ``folder`` (saved by ``run``) and check it.

    Raises:
        ConfigError: no manifest (the run kept no models, or they are incomplete), an
            unknown format, or a library whose version differs from the one that saved
            the models (one line naming the library, both versions and the run) unless
            ``allow_version_mismatch``.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ConfigError(f"run {run}: no saved models (no {MANIFEST}); re-run it to keep them")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"run {run}: {MANIFEST} is unreadable: {exc}") from None
    if data.get("format") != FORMAT:
        raise ConfigError(
            f"run {run}: saved models have format {data.get('format')!r}; "
            f"this podium reads {FORMAT}"
        )
    if not allow_version_mismatch:
        now = library_versions()
        for name, saved in (data.get("versions") or {}).items():
            here = now.get(name)
            if here is None or here == saved or saved == "absent":  # (absent: none used it)
                continue
            found = ", not installed" if here == "absent" else f" but {name} {here} is installed"
            raise ConfigError(
                f"run {run}: its models were saved with {name} {saved}{found}; "
                f"install {name}=={saved} or pass --allow-version-mismatch"
            )
    return data
