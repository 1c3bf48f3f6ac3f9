"""``podium new --data-dir``: the competition.yaml fields the data files tell.

The sample submission names the id and target columns (its first and second columns, or
one column per class); the target's training values tell the task; each task has a default
metric. Every guess is a line of the yaml the user can read and change.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from podium.data.profile import Profile

__all__ = ["guess_fields"]

_METRIC = {"binary": "roc_auc", "multiclass": "logloss", "regression": "rmse"}


def guess_fields(data_dir: Path, test_name: str, profile: Profile) -> dict[str, str] | None:
    """The template lines to replace (old -> new), or None when there is no sample file."""
    samples = sorted(p for p in Path(data_dir).glob("*.csv") if "submission" in p.name.lower())
    if not samples:
        return None
    sample = pd.read_csv(samples[0], nrows=50)
    header = [str(c) for c in sample.columns]
    candidates = profile.columns("train_only")
    target = header[1] if len(header) == 2 and header[1] in candidates else None
    if target is None and len(candidates) == 1:
        target = candidates[0]
    if target is None or len(header) < 2:
        return None
    y = pd.read_csv(Path(data_dir) / "train.csv", usecols=[target])[target].dropna()
    task = _task(y)
    test_cols = pd.read_csv(Path(data_dir) / test_name, nrows=0).columns
    same = [str(c) for c in test_cols if str(c).lower() == header[0].lower()]
    data_id = header[0] if header[0] in test_cols else (same[0] if same else None)
    metric = _METRIC[task]
    if task == "multiclass" and len(header) > 2:
        sub = f"{{id: {_q(header[0])}, kind: probability}}"
    else:
        values = sample[header[1]]
        kind = {"regression": "value"}.get(task, "probability")
        if task != "regression" and not pd.api.types.is_numeric_dtype(values.dtype):
            kind, metric = "label", "accuracy"  # class names to submit
        sub = f"{{id: {_q(header[0])}, target: {_q(header[1])}, kind: {kind}}}"
    return {
        "  sample_submission: sample_submission.csv\n": (
            f"  sample_submission: {_q(samples[0].name)}\n"
        ),
        "  id: id ": f"  id: {'null' if data_id is None else _q(data_id)} ",
        "  target: target\n": f"  target: {_q(target)}\n",
        "task: binary         ": f"task: {task:<13}",
        "metric: roc_auc      ": f"metric: {metric:<13}",
        "submission: {id: id, target: target, kind: probability}\n": f"submission: {sub}\n",
    }


def _task(y: pd.Series) -> str:
    if y.nunique() == 2:
        return "binary"
    if pd.api.types.is_numeric_dtype(y.dtype):
        whole = bool((y == y.round()).all())
        if not whole or y.nunique() > 12:  # more whole numbers than digits: counts
            return "regression"
    return "multiclass"


def _q(name: str) -> str:
    """A YAML scalar for a column or file name (quoted unless plain)."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name) else json.dumps(name)
