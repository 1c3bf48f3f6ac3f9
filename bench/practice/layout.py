"""Where a practice competition's files go, and writing them.

One competition under ``ROOT/NAME/``::

    competition/competition.yaml   what the competitor is given (no data paths inside)
    data/train.csv test.csv sample_submission.csv
    test_labels.csv                the answers, outside data/: only the grader reads them
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

__all__ = ["Competition", "practice_config", "write_competition", "load_competition"]


@dataclass(frozen=True)
class Competition:
    """A written competition: its folders, its config and the labels file."""

    name: str
    comp_dir: Path
    data_dir: Path
    labels: Path

    @property
    def config(self) -> dict[str, Any]:
        return yaml.safe_load((self.comp_dir / "competition.yaml").read_text())

    @property
    def train_only(self) -> list[str]:
        """Columns of the train file that the test file lacks (besides the target)."""
        cfg = self.config
        data = cfg["data"]
        train = pd.read_csv(self.data_dir / data.get("train", "train.csv"), nrows=0)
        test = pd.read_csv(self.data_dir / data.get("test", "test.csv"), nrows=0)
        return [c for c in train.columns if c not in test.columns and c != data["target"]]


def practice_config(
    name: str,
    description: str,
    *,
    task: str,
    metric: str,
    id: str,
    target: str,
    cv: str = "stratified_kfold",
    submission_target: str | None = None,
    kind: str = "probability",
) -> dict[str, Any]:
    """competition.yaml of a practice competition: train.csv, test.csv and
    sample_submission.csv; 5 shuffled folds of ``cv``, seed 42; a submission of ``id`` and
    ``submission_target`` (default: ``target``); an MLflow experiment named ``name``."""
    return {
        "name": name,
        "description": description,
        "data": {"train": "train.csv", "test": "test.csv",
                 "sample_submission": "sample_submission.csv", "id": id, "target": target},
        "task": task,
        "metric": metric,
        "cv": {"scheme": cv, "n_splits": 5, "shuffle": True},
        "seed": 42,
        "submission": {"id": id, "target": submission_target or target, "kind": kind},
        "tracking": {"experiment": name},
    }  # fmt: skip


def _paths(root: Path, name: str) -> Competition:
    base = Path(root) / name
    return Competition(name, base / "competition", base / "data", base / "test_labels.csv")


def write_competition(
    root: Path,
    name: str,
    config: dict[str, Any],
    *,
    train: pd.DataFrame,
    test: pd.DataFrame,
    sample: pd.DataFrame,
    labels: pd.DataFrame,
    header: str = "",
) -> Competition:
    """Write the four files and competition.yaml of one competition; return where they are."""
    comp = _paths(root, name)
    comp.comp_dir.mkdir(parents=True, exist_ok=True)
    comp.data_dir.mkdir(parents=True, exist_ok=True)
    data = config["data"]
    train.to_csv(comp.data_dir / data.get("train", "train.csv"), index=False)
    test.to_csv(comp.data_dir / data.get("test", "test.csv"), index=False)
    sample.to_csv(comp.data_dir / data.get("sample_submission", "sample_submission.csv"),
                  index=False)
    labels.to_csv(comp.labels, index=False)
    text = yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=99)
    prefix = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    (comp.comp_dir / "competition.yaml").write_text(prefix + text)
    return comp


def load_competition(root: Path, name: str) -> Competition:
    """The competition ``name`` written under ``root`` earlier."""
    comp = _paths(root, name)
    if not (comp.comp_dir / "competition.yaml").is_file():
        raise FileNotFoundError(f"{comp.comp_dir / 'competition.yaml'} does not exist")
    return comp
