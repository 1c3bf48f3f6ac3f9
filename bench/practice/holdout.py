"""Holdout competitions from real data whose test labels are unknown.

A seeded 20% of the train file (stratified for classification; only rows that pass the
competition's train_filter) becomes the test file,
without the target and with only the columns the real test file has; the rest is the new
train file. The competitor sees a competition like the real one; the grader keeps the
held-out labels.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.model_selection import train_test_split

from .layout import Competition, practice_config, write_competition

__all__ = ["HoldoutSpec", "HOLDOUTS", "write_holdout"]

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class HoldoutSpec:
    """How to cut one real competition.

    ``config`` is the competition.yaml to start from (a path in the repo, or a dict);
    ``rename`` renames train columns (e.g. the train file's id column to the test's).
    """

    name: str
    config: str | dict[str, Any]
    real_test: str = "test.csv"
    rename: dict[str, str] = field(default_factory=dict)


# A twin of competitions/shelter_animal/competition.yaml, kept because this bench's sample
# writer, AutoGluon wrapper and grader read submission.target (podium itself no longer needs
# it for a one-column-per-class sample; a named class column still works).
SHELTER = practice_config(
    "shelter_animal",
    "Outcome of an animal leaving the Austin shelter (5 classes).",
    task="multiclass",
    metric="logloss",
    id="ID",
    target="OutcomeType",
    submission_target="Adoption",
)

HOLDOUTS = {
    "telecom_churn": HoldoutSpec("telecom_churn", "competitions/telecom_churn/competition.yaml"),
    "house_prices": HoldoutSpec("house_prices", "competitions/house_prices/competition.yaml"),
    "shelter_animal": HoldoutSpec("shelter_animal", SHELTER, rename={"AnimalID": "ID"}),
}


def _config(spec: HoldoutSpec) -> dict[str, Any]:
    if isinstance(spec.config, dict):
        cfg = copy.deepcopy(spec.config)
    else:
        path = REPO / spec.config
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist")
        cfg = yaml.safe_load(path.read_text())
    cfg.pop("pipeline", None)  # `podium run` with no pipeline named: podium's own default
    cfg["name"] = f"{spec.name}_holdout"
    cfg.setdefault("tracking", {})["experiment"] = cfg["name"]
    return cfg


def _sample(cfg: dict[str, Any], ids: pd.Series, classes: np.ndarray) -> pd.DataFrame:
    sub = cfg["submission"]
    sample = pd.DataFrame({sub["id"]: ids.to_numpy()})
    if cfg["task"] == "multiclass" and sub.get("kind", "probability") == "probability":
        for c in classes:
            sample[str(c)] = 1.0 / len(classes)
    else:
        sample[sub["target"]] = 0.5 if cfg["task"] == "binary" else 0.0
    return sample


def write_holdout(
    root: Path,
    spec: HoldoutSpec,
    source: Path,
    *,
    seed: int = 0,
    frac: float = 0.2,
    max_rows: int | None = None,
) -> Competition:
    """Cut ``source/<train>`` into train and a labelled test; write under ``root/<name>``.

    ``max_rows`` first keeps a seeded sample of that many train rows (small versions).
    """
    cfg = _config(spec)
    data = cfg["data"]
    full = pd.read_csv(Path(source) / data.get("train", "train.csv")).rename(columns=spec.rename)
    if max_rows is not None and len(full) > max_rows:
        full = full.sample(n=max_rows, random_state=seed).reset_index(drop=True)
    real_test = pd.read_csv(Path(source) / spec.real_test, nrows=0).columns
    target, id_col = data["target"], data.get("id")
    # Rows the competition's train_filter drops (house prices' partial sales of huge houses)
    # stay in train, where podium drops them: one of them in the test would decide the score.
    kept = full.query(data["train_filter"]) if data.get("train_filter") else full
    strat = kept[target] if cfg["task"] in ("binary", "multiclass") else None
    _, held = train_test_split(kept, test_size=frac, random_state=seed, stratify=strat)
    train = full.drop(index=held.index).reset_index(drop=True)
    held = held.reset_index(drop=True)
    test = held[[c for c in full.columns if c in real_test]]
    sub_id = cfg["submission"]["id"]
    ids = held[id_col] if id_col else pd.Series(np.arange(len(held)), name=sub_id)
    labels = pd.DataFrame({sub_id: ids.to_numpy(), target: held[target].to_numpy()})
    classes = np.sort(full[target].unique())
    header = (f"Holdout of {spec.name}: {frac:.0%} of its train file (seed {seed}) is the "
              "test file; its labels are in test_labels.csv beside this folder.")
    return write_competition(root, cfg["name"], cfg, train=train, test=test,
                             sample=_sample(cfg, ids, classes), labels=labels, header=header)
