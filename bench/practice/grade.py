"""Scoring a submission file against a competition's held-out labels, with podium's metrics.

The same function scores every competitor's file, so podium and AutoGluon are graded
alike: rows are matched on the submission id (as text), classes are the sorted target
values of the train file (binary: the probability of the second one; multiclass: one
column per class, each row rescaled to sum to 1 as Kaggle does), and the metric is
``podium.metrics.get_metric(config.metric)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from podium.metrics import Metric, get_metric

from .layout import Competition

__all__ = ["grade", "metric_of"]


def metric_of(comp: Competition) -> Metric:
    cfg = comp.config
    return get_metric(cfg["metric"], cfg["task"])


def grade(comp: Competition, submission: Path) -> float:
    """The competition metric of ``submission`` on the held-out labels.

    Raises:
        ValueError: the submission misses rows or columns of the labels.
    """
    cfg = comp.config
    data, sub_spec, task = cfg["data"], cfg["submission"], cfg["task"]
    target = data["target"]
    labels = pd.read_csv(comp.labels)
    sub = pd.read_csv(submission)
    key = sub_spec["id"]
    if key not in sub.columns:
        raise ValueError(f"{submission}: no id column {key!r}")
    sub = sub.set_index(sub[key].astype(str))
    want = labels[key].astype(str)
    missing = ~want.isin(sub.index)
    if missing.any():
        raise ValueError(f"{submission}: {int(missing.sum())} test ids have no prediction")
    sub = sub.loc[want.to_numpy()]
    y = labels[target]
    if task == "regression":
        return metric_of(comp)(y.to_numpy(dtype=float), sub[sub_spec["target"]].to_numpy(float))
    train_y = pd.read_csv(comp.data_dir / data.get("train", "train.csv"), usecols=[target])
    classes = np.sort(train_y[target].unique())
    codes = pd.Series(np.arange(len(classes)), index=classes.astype(str))
    y_enc = codes.reindex(y.astype(str).to_numpy()).to_numpy()
    if np.isnan(y_enc.astype(float)).any():
        raise ValueError(f"{comp.labels}: labels that are not classes of the train target")
    if task == "binary":
        pred = sub[sub_spec["target"]].to_numpy(dtype=float)
    else:
        cols = [str(c) for c in classes]
        absent = [c for c in cols if c not in sub.columns]
        if absent:
            raise ValueError(f"{submission}: no column for class(es) {absent}")
        pred = sub[cols].to_numpy(dtype=float)
        pred = pred / pred.sum(axis=1, keepdims=True)  # rows as Kaggle scores them
    return metric_of(comp)(y_enc.astype(int), pred)
