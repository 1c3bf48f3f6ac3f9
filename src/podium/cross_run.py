"""``podium blend``: ensembles of finished runs, pulled from MLflow.

Runs can only be blended when they share one fold assignment (same fold fingerprint) and
the same data (same data fingerprint): their out-of-fold predictions are then comparable
row by row, and the blend's nested CV is honest.

The runs are read and the blend is logged through a tracking child (as ``podium run``
does), so a killed blend leaves no run RUNNING; its submission is published only once
its run has ended FINISHED.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from podium.config import load_config
from podium.cv import Folds
from podium.data import load_data, resolve_data_dir
from podium.engine import encode_target
from podium.ensemble import EnsembleResult, blend, stack
from podium.exceptions import ConfigError
from podium.outputs import check_output, staged, unique_run_name
from podium.session import (
    competition_metric,
    competition_registry,
    git_commit,
    open_tracker,
    run_inputs,
)
from podium.submission import build_submission, validate_submission, write_submission
from podium.tracking import keys
from podium.tracking.base import RunSummary
from podium.tracking.lookup import find_runs, rank_runs, same_run

__all__ = ["BlendOutcome", "blend_runs", "select_runs"]

METHODS = ("mean", "weights", "rank", "power", "hill", "stack")


@dataclass(frozen=True, eq=False)
class BlendOutcome:
    run_id: str
    run_name: str
    submission: Path
    members: list[RunSummary]
    result: EnsembleResult


def select_runs(
    summaries: list[RunSummary], spec: str, *, greater_is_better: bool
) -> list[RunSummary]:
    """``top:N`` (best N distinct finished runs sharing the best run's folds) or
    ``RUN,RUN,...`` (names, ids or unique id prefixes, see :func:`find_run`).

    ``top:N`` skips a run identical to a better one (:func:`same_run`); a list naming one
    run twice, or two identical runs, is refused.

    Raises:
        ConfigError: unknown, ambiguous or repeated runs, fewer than 2 runs, or runs on
            different folds (named).
    """
    done = [s for s in summaries if s.status == "FINISHED" and s.cv_mean is not None]
    done = [s for s in done if "podium.fold_fingerprint" in s.tags and s.kind == "run"]
    if spec.startswith("top:"):
        try:
            n = int(spec[4:])
        except ValueError:
            raise ConfigError(f"--runs {spec!r}: expected top:N with a whole number N") from None
        ranked = rank_runs(done, sort="cv", kinds=("run",), greater_is_better=greater_is_better)
        if not ranked:
            raise ConfigError("no finished runs to blend")
        folds = ranked[0].tags["podium.fold_fingerprint"]
        chosen: list[RunSummary] = []
        for s in ranked:
            if s.tags["podium.fold_fingerprint"] != folds or len(chosen) == n:
                continue
            if not any(same_run(c, s) for c in chosen):
                chosen.append(s)
    else:
        refs = [i.strip() for i in spec.split(",") if i.strip()]
        chosen = find_runs(summaries, refs, option="--runs")
        unfinished = [s for s in chosen if s not in done]
        if unfinished:
            s = unfinished[0]
            raise ConfigError(
                f"--runs: {s.name} ({s.short_id}) is not a finished podium run "
                f"({s.kind}, {s.status})"
            )
    if len(chosen) < 2:
        raise ConfigError(f"--runs {spec!r}: a blend needs at least 2 runs, found {len(chosen)}")
    _refuse_samples(chosen)
    first = chosen[0].tags["podium.fold_fingerprint"]
    for s in chosen[1:]:
        other = s.tags["podium.fold_fingerprint"]
        if other != first:
            raise ConfigError(
                f"run {s.run_id} ({s.name}) was cross-validated on other folds "
                f"(fingerprint {other}, not {first} of run {chosen[0].run_id}); "
                "blending it would leak: re-run it with the same cv and seed"
            )
    data = {s.tags.get("podium.data_fingerprint") for s in chosen}
    if len(data) > 1:
        files = sorted(data, key=str)
        raise ConfigError(f"--runs: the runs were made on different data files ({files})")
    return chosen


def _sample_of(run: RunSummary) -> str:
    """``data.sample`` of a run, from its data fingerprint (``<files>-sample0.1-seed42``)."""
    _, sep, rest = run.tags.get("podium.data_fingerprint", "").partition("-sample")
    return rest.split("-seed")[0] if sep else "all rows"


def _refuse_samples(chosen: list[RunSummary]) -> None:
    """A run on a ``data.sample`` subset blends only with runs on the same subset."""
    first = _sample_of(chosen[0])
    for s in chosen[1:]:
        other = _sample_of(s)
        if other != first:
            raise ConfigError(
                f"run {s.run_id} ({s.name}) was trained on data.sample {other}, run "
                f"{chosen[0].run_id} on {first}: a sampled run never blends with another; "
                "re-run one of them with the other's data.sample"
            )


def _pred(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    if prefix in frame.columns:
        return frame[prefix].to_numpy()
    cols = [c for c in frame.columns if c.startswith(prefix + "_")]
    return frame[cols].to_numpy()


def blend_runs(
    competition: str | Path,
    *,
    root: Path,
    runs: str,
    method: str = "weights",
    data_dir: Path | None = None,
    output: Path | None = None,
) -> BlendOutcome:
    """Blend the final predictions of finished runs; log a new run; write a submission."""
    if method not in METHODS:
        from podium.exceptions import did_you_mean

        raise ConfigError(f"--method: unknown method {method!r}{did_you_mean(method, METHODS)}")
    cfg = load_config(competition, root=root)
    with open_tracker(cfg, root) as tracker:
        return _blend(cfg, tracker, root=root, runs=runs, method=method, data_dir=data_dir,
                      output=output)  # fmt: skip


def _blend(
    cfg: Any,
    tracker: Any,
    *,
    root: Path,
    runs: str,
    method: str,
    data_dir: Path | None,
    output: Path | None,
) -> BlendOutcome:
    comp = cfg.competition
    registry = competition_registry(cfg)  # a plug-in's metric and models blend too
    metric = competition_metric(cfg)
    members = select_runs(
        tracker.list_runs(max_results=1000),
        runs,
        greater_is_better=metric.greater_is_better,
    )
    data = load_data(comp, resolve_data_dir(comp, cfg.competition_dir, data_dir))
    if output is not None:
        check_output(Path(output), **run_inputs(cfg, data.data_dir))
    y, classes = encode_target(data.y, comp.task)
    oofs: dict[str, np.ndarray] = {}
    tests: dict[str, np.ndarray] = {}
    folds: Folds | None = None
    repeats: tuple[Folds, ...] = ()  # repeated CV: every repeat's folds (see _repeat_folds)
    for s in members:
        oof = tracker.load_frame(s.run_id, "oof.parquet")
        test = tracker.load_frame(s.run_id, "test.parquet")
        if len(oof) != len(y) or not np.array_equal(oof["target"].to_numpy(), y):
            raise ConfigError(f"run {s.run_id}: its targets differ from the data's")
        if folds is None:
            fold = oof["fold"].to_numpy()
            folds = Folds(fold, int(fold.max()) + 1, "fold_column")
            repeats = _repeat_folds(oof, s, folds, method)
        key = f"{s.name}"
        oofs[key], tests[key] = _pred(oof, "oof"), _pred(test, "test")
    assert folds is not None
    started = time.time()
    if method == "stack":
        name = "logistic_regression" if comp.task != "regression" else "ridge"
        model = registry.model(name)(task=comp.task, params={}, seed=comp.seed)
        level2 = {name: (None, model)}
        res = stack(oofs, tests, y, folds, metric, level2=level2, seed=comp.seed)
    else:
        res = blend(oofs, tests, y, repeats, metric, method=method)
    frame = build_submission(
        data.sample, data.test_ids, res.test, spec=comp.submission, task=comp.task,
        classes=classes,
    )  # fmt: skip
    validate_submission(frame, data.sample, spec=comp.submission, classes=classes)
    run_name = unique_run_name(f"blend-{method}", started)
    target = Path(output) if output else cfg.competition_dir / "submissions" / f"{run_name}.csv"
    tags = {
        "podium.competition": comp.name,
        "podium.pipeline": f"blend:{method}",
        "podium.blend": "1",
        "podium.members": ",".join(s.run_id for s in members),
        "podium.models": ",".join(oofs),
        "podium.metric": metric.name,
        "podium.fold_fingerprint": members[0].tags["podium.fold_fingerprint"],
        "podium.data_fingerprint": data.fingerprint,
        "podium.git_commit": git_commit(root),
    }
    with staged(target) as draft, tracker.run(run_name, tags=tags, start_time=started) as run_id:
        params: dict[str, Any] = {"method": method, "members": [s.run_id for s in members]}
        tracker.log_params(params)
        metrics = {
            keys.nested_key(metric.name): res.cv_mean,
            keys.insample_key(metric.name): res.naive_score,
        }
        for member, v in (res.weights or {}).items():
            metrics[f"weight.{member}"] = v
        tracker.log_metrics(metrics)
        for k, sc in enumerate(res.fold_scores):
            tracker.log_metrics({keys.fold_key(metric.name): sc}, step=k)
        oof_frame = pd.DataFrame({"target": y, "fold": folds.fold})
        oof_frame = pd.concat([oof_frame, _frame(res.oof, "oof")], axis=1)
        tracker.log_frame(oof_frame, "oof.parquet")
        tracker.log_frame(_frame(res.test, "test"), "test.parquet")
        write_submission(frame, draft)  # renamed onto target once the run is recorded
        tracker.log_artifact(draft, artifact_path="submission")
        tracker.set_tags({"podium.submission": str(target.resolve())})
        tracker.log_metrics(keys.cv_metrics(metric.name, res.cv_mean, res.cv_std))  # last
    return BlendOutcome(run_id, run_name, target, members, res)


def _repeat_folds(oof: pd.DataFrame, run: Any, folds: Folds, method: str) -> tuple[Folds, ...]:
    """Repeated CV (tag ``podium.cv_repeats``): every repeat's folds, from the run's OOF
    columns ``fold`` and ``fold_repeat<r>``; else ``(folds,)``."""
    n = int(run.tags.get("podium.cv_repeats", "1"))
    if n > 1 and method == "stack":
        raise ConfigError(
            f"run {run.run_id} used cv.repeats: {n} and logs OOF averaged over repeats, which "
            "a level-2 model cannot be cross-validated on; use a blend method, or "
            "ensemble: {method: stack} in the pipeline"
        )
    extra = [oof[f"fold_repeat{r}"].to_numpy() for r in range(1, n)]
    return (folds, *(Folds(f, folds.n_splits, "fold_column") for f in extra))


def _frame(pred: np.ndarray, prefix: str) -> pd.DataFrame:
    arr = np.asarray(pred)
    if arr.ndim == 1:
        return pd.DataFrame({prefix: arr})
    return pd.DataFrame({f"{prefix}_{j}": arr[:, j] for j in range(arr.shape[1])})
