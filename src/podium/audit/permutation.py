"""Permuted-target CV: the whole pipeline (stages, models, ensemble) on a shuffled target.

With the target shuffled no feature can predict it, so the out-of-fold score must sit at
chance. A score beyond chance means information about the validation rows' targets reaches
their predictions: a stage, the folds, early stopping or the ensemble leaks.

The target is permuted in the files, not only in memory: the data folder is mirrored to a
temporary folder (every file linked, the train file rewritten with its target column
permuted) and the run is planned again from there. A plug-in stage that reads the train
file itself (through ``split_context.data_dir``) then sees the permuted target too.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from podium.audit._stats import auc_tolerance
from podium.data import load_data
from podium.engine import ExperimentResult, Plan, prepare, run_models
from podium.ensemble.apply import apply_ensemble
from podium.exceptions import ConfigError
from podium.metrics import Metric
from podium.registry import Registry
from podium.session import competition_registry

__all__ = ["PermutationResult", "permuted_target_cv", "chance_score", "write_permuted_copy"]


@dataclass(frozen=True, eq=False)
class PermutationResult:
    """The out-of-fold result of the pipeline on a permuted target.

    Attributes:
        metric: The competition metric's name; ``score`` its value on the permuted target
            and ``metric_chance`` its value for a prediction without information.
        statistic: What is tested: ``"roc_auc"`` (classification; chance 0.5) or
            ``"score/chance"`` (regression: permuted score over the score of predicting
            each fold's training mean; chance 1.0).
        value, expected, tolerance: The statistic, its chance level and the distance from
            chance it may show by luck; ``passed`` is false beyond it.
        chosen: The model or ensemble whose predictions were scored.
    """

    metric: str
    score: float
    metric_chance: float
    statistic: str
    value: float
    expected: float
    tolerance: float
    passed: bool
    chosen: str
    seed: int
    n_rows: int
    seconds: float
    oof: np.ndarray = field(repr=False)
    y_permuted: np.ndarray = field(repr=False)

    @property
    def message(self) -> str:
        """One line: the statistic against its chance band."""
        lo, hi = self.expected - self.tolerance, self.expected + self.tolerance
        if self.statistic == "score/chance":
            band = f"chance {self.expected:.2f}, leak below {lo:.3f}"
        else:
            band = f"chance {self.expected:.2f} ± {self.tolerance:.3f} [{lo:.3f}, {hi:.3f}]"
        verdict = "at chance" if self.passed else "BEYOND CHANCE (leak)"
        return (
            f"permuted-target {self.statistic} = {self.value:.4f} ({band}): {verdict}; "
            f"{self.metric} {self.score:.5f} vs chance {self.metric_chance:.5f}"
        )


def permuted_target_cv(
    plan: Plan, *, seed: int | None = None, registry: Registry | None = None
) -> PermutationResult:
    """Run the plan's stages, models and ensemble from files whose target is permuted.

    The train file is copied with its target column permuted (see
    :func:`write_permuted_copy`); the run is planned again from that copy with the same
    resolved config (pipeline and overrides included) and the competition's plug-in, and
    run in full. Folds are built from the config as for any run, so a stratified scheme
    stratifies on the permuted target (group, time and fold-column schemes give the same
    folds as the plan's).

    Args:
        plan: A prepared run (its config and data folder are used).
        seed: Permutation seed (default: the competition seed).
        registry: Stages and models (default: built-ins plus the competition's plug-in).
    """
    started = time.perf_counter()
    seed = plan.cfg.competition.seed if seed is None else seed
    registry = registry or competition_registry(plan.cfg)
    with tempfile.TemporaryDirectory(prefix="podium-permuted-") as tmp:
        data_dir = write_permuted_copy(plan, Path(tmp) / "data", seed=seed)
        permuted = prepare(plan.cfg, load_data(plan.cfg.competition, data_dir), registry)
        # Features of a permuted copy are never reused: cache them with the copy, if at all.
        exp = apply_ensemble(
            permuted, run_models(permuted, cache_dir=Path(tmp) / "cache"), registry
        )
    rows = np.flatnonzero(permuted.folds.fold >= 0)
    return _judge(permuted, exp, permuted.y, rows, seed, time.perf_counter() - started)


def write_permuted_copy(plan: Plan, dst: Path, *, seed: int) -> Path:
    """Mirror the plan's data folder into ``dst`` with the train file's target permuted.

    Every other file is linked (copied where links are not possible). The train file is
    rewritten cell for cell as text except its target column, whose values are permuted
    among the rows ``data.train_filter`` keeps, by ``np.random.default_rng(seed)``: the
    re-read target is ``plan.y[rng.permutation(len(plan.y))]`` as before files were used.

    Raises:
        ConfigError: ``data.train`` lies outside the data folder.
    """
    comp = plan.cfg.competition
    src = Path(plan.data.data_dir)
    train = src / comp.data.train
    try:
        rel = train.resolve().relative_to(src.resolve())
    except ValueError:
        raise ConfigError(
            f"{plan.cfg.source_of('data.train')}: data.train {comp.data.train!r} is outside "
            f"the data folder {src}; the audit cannot permute its target"
        ) from None
    _mirror(src, dst, rel)
    raw = pd.read_csv(train, dtype=str, keep_default_na=False, low_memory=False)
    kept = np.arange(len(raw))
    if comp.data.train_filter:
        typed = pd.read_csv(train, low_memory=False)
        kept = typed.query(comp.data.train_filter, engine="python").index.to_numpy()
    order = np.random.default_rng(seed).permutation(len(kept))
    target = raw[comp.data.target].to_numpy(copy=True)
    target[kept] = target[kept][order]
    raw[comp.data.target] = target
    out = dst / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out, index=False)
    return dst


def _mirror(src: Path, dst: Path, skip: Path) -> None:
    """Link every entry of ``src`` into ``dst`` except ``skip`` (relative; its folders are
    made real so the rewritten file can be placed)."""
    dst.mkdir(parents=True, exist_ok=True)
    head, rest = skip.parts[0], skip.parts[1:]
    for entry in src.iterdir():
        if entry.name == head:
            if rest:
                _mirror(entry, dst / head, Path(*rest))
            continue
        link = dst / entry.name
        try:
            link.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
        except OSError:
            if entry.is_dir():
                shutil.copytree(entry, link)
            else:
                shutil.copy2(entry, link)


def _judge(
    plan: Plan,
    exp: ExperimentResult,
    y: np.ndarray,
    rows: np.ndarray,
    seed: int,
    seconds: float,
) -> PermutationResult:
    task = plan.cfg.competition.task
    oof, yv = np.asarray(exp.oof)[rows], y[rows]
    metric = plan.metric
    score = metric(yv, oof)
    chance = chance_score(metric, y, plan.folds.fold, task)[0]
    if task == "regression":
        value = score / chance if chance > 0 else float("nan")
        tol = max(0.02, 2.0 / math.sqrt(len(rows)))
        passed = not value < 1.0 - tol
        stat, expected = "score/chance", 1.0
    else:
        value = _auc(yv, oof, task)
        counts = np.bincount(yv.astype(int))
        smallest = int(counts[counts > 0].min())
        tol = auc_tolerance(smallest, len(yv) - smallest)
        passed = abs(value - 0.5) <= tol
        stat, expected = "roc_auc", 0.5
    return PermutationResult(
        metric=metric.name, score=score, metric_chance=chance, statistic=stat, value=value,
        expected=expected, tolerance=tol, passed=bool(passed), chosen=exp.chosen, seed=seed,
        n_rows=len(rows), seconds=seconds, oof=oof, y_permuted=yv,
    )  # fmt: skip


def _auc(y: np.ndarray, p: np.ndarray, task: str) -> float:
    if task == "binary" or p.ndim == 1:
        return float(roc_auc_score(y, p))
    return float(roc_auc_score(y, p, multi_class="ovr", labels=np.arange(p.shape[1])))


def chance_score(
    metric: Metric, y: np.ndarray, fold: np.ndarray, task: str
) -> tuple[float, np.ndarray]:
    """The metric of an informationless prediction and that prediction (validated rows).

    The prediction is the metric's own :attr:`~podium.metrics.Metric.chance` rule (by
    default the training folds' class frequencies or target mean; ROC-AUC 0.5, the
    majority class for binary accuracy and F1, the median for MAE, the log-mean for RMSLE).
    """
    rows = np.flatnonzero(fold >= 0)
    pred = np.asarray(metric.chance(y, fold, task))[rows]
    return metric(y[rows], pred), pred
