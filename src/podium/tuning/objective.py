"""The objective: one trial = the tuned model's CV score on the run's one fold assignment.

Each trial samples the space, builds the model and its stages from the config with the
sampled values as ``--set`` overrides, and cross-validates on the same folds as
``podium run``. After every fold the running mean is reported, so the pruner can stop a
trial that is already behind. Every trial is a nested tracking run (params, fold scores,
state). Trial user attributes hold what ``podium run --params best`` reuses.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from podium.engine import build_all
from podium.engine.cache import FeatureCache, feature_cache_dir, wants_cache
from podium.engine.experiment import cross_validate
from podium.engine.result import FoldResult
from podium.exceptions import one_line
from podium.lifeline import signals_let_in
from podium.tracking import keys
from podium.tracking.base import Tracker
from podium.tuning.trial_log import TrialLogger, TrialRecord

if TYPE_CHECKING:
    import optuna

    from podium.tuning.setup import TuneSetup

__all__ = ["Objective", "counted"]

_ALIVE = ("COMPLETE", "PRUNED", "RUNNING")


def counted(trials: list[optuna.trial.FrozenTrial]) -> list[optuna.trial.FrozenTrial]:
    """The trials that count towards ``n_trials``: all but surplus ones (pruned at once
    because the study already had its trials when they started)."""
    return [t for t in trials if not t.user_attrs.get("surplus")]


class Objective:
    """Callable for ``study.optimize``: returns the CV mean, or raises ``TrialPruned``.

    Args:
        setup: the checked session.
        tracker: where each trial's nested run goes (written by a background thread).
        n_trials: the study's target of complete + pruned trials; a trial beyond it (a
            rare race between workers) is pruned at once, marked ``surplus`` (it is not
            counted, and not a failure).
        parent_run_id: the session's run, when it is open in another process; ``None``
            nests under the run open in ``tracker``.
        worker: this process's worker index (a tag and a trial attribute).
        session: the session's run name (a trial attribute): the session fails the
            trials its workers left running when it stops.
    """

    def __init__(
        self,
        setup: TuneSetup,
        tracker: Tracker,
        *,
        n_trials: int,
        parent_run_id: str | None = None,
        worker: int = 0,
        session: str | None = None,
    ) -> None:
        self.setup = setup
        self.n_trials = n_trials
        self.worker = worker
        self.session = session
        self.log = TrialLogger(tracker, parent_run_id=parent_run_id)
        cfg = setup.cfg
        # Trials that only change model parameters read every fold's features from the
        # feature cache. A space over stage parameters gives every trial its own chain:
        # caching would only fill the disk, so ``auto`` leaves it off then.
        tunes_stages = any(p.startswith("stages.") or ".stages." in p for p in setup.space.paths)
        self.cache_mode = "off" if cfg.pipeline.cache == "auto" and tunes_stages else None
        self.cache = FeatureCache(feature_cache_dir(cfg), salt={"seed": cfg.competition.seed})

    def flush(self) -> None:
        """Wait until every finished trial is in the tracker (call before the session ends)."""
        self.log.flush()

    def __call__(self, trial: optuna.Trial) -> float:

        trial.set_user_attr("worker", self.worker)  # surplus trials too: who started it
        if self.session is not None:
            trial.set_user_attr("session", self.session)
        with signals_let_in():  # labelled: a signal may now end the trial (as FAIL)
            return self._run(trial)

    def _run(self, trial: optuna.Trial) -> float:
        import optuna

        self._check_quota(trial)
        setup = self.setup
        values = setup.space.suggest(trial)
        params = {**setup.fixed, **values}
        trial.set_user_attr("overrides", params)
        record = TrialRecord(
            name=f"trial-{trial.number}",
            start_time=time.time(),
            tags={
                "podium.study": trial.study.study_name,
                "podium.trial": str(trial.number),
                "podium.model": setup.model,
                "podium.worker": str(self.worker),
            },
            params={"pipeline": params},  # the keys of the run's params: pipeline.models.*
        )
        folds: list[FoldResult] = []
        start = time.perf_counter()
        try:
            self._cross_validate(trial, values, folds)
        except optuna.TrialPruned:
            metrics = self._record(trial, folds, start, pruned=True)
            self.log.submit(
                replace(record, name=f"{record.name}-pruned", state="pruned", metrics=metrics,
                        steps=self._steps(folds))
            )  # fmt: skip
            raise
        except Exception as exc:
            error = one_line(exc, typed=True)
            trial.set_user_attr("error", error)
            self.log.submit(replace(record, state="failed", error=error))
            raise
        self.log.submit(
            replace(record, metrics=self._record(trial, folds, start), steps=self._steps(folds))
        )
        return float(np.mean([f.score for f in folds]))

    def _check_quota(self, trial: optuna.Trial) -> None:
        import optuna
        from optuna.trial import TrialState

        states = tuple(TrialState[s] for s in _ALIVE)
        alive = counted(trial.study.get_trials(deepcopy=False, states=states))
        if len(alive) <= self.n_trials:
            return
        rank = sorted(t.number for t in alive).index(trial.number)
        if rank >= self.n_trials:
            trial.set_user_attr("surplus", True)
            raise optuna.TrialPruned(f"not needed: the study has its {self.n_trials} trials")

    def _cross_validate(
        self, trial: optuna.Trial, values: dict[str, Any], folds: list[FoldResult]
    ) -> None:
        import optuna

        setup = self.setup
        plan = setup.plan
        cfg = setup.trial_config(values)
        kinds = plan.data.kinds
        chain, model = build_all(cfg, setup.registry, n_rows=len(plan.data.train), kinds=kinds)[
            setup.model
        ]
        spec = cfg.pipeline.models[setup.model]
        mode = cfg.pipeline.cache

        n_folds = plan.n_folds  # of every repeat

        def on_fold(fr: FoldResult, _n: int) -> None:
            folds.append(fr)
            trial.report(float(np.mean([f.score for f in folds])), step=len(folds))
            if len(folds) < n_folds and trial.should_prune():
                raise optuna.TrialPruned(f"pruned after fold {len(folds)}/{n_folds}")

        cross_validate(  # every repeat's folds (cv.repeats), one objective
            plan,
            setup.model,
            chain,
            model,
            index=setup.model_index,
            spec=spec,
            with_test=False,
            # a trial's config is read again: "auto" resolves as the session's plan did
            target_transform=(
                plan.cfg.pipeline.target_transform
                if cfg.pipeline.target_transform == "auto"
                else cfg.pipeline.target_transform
            ),
            on_fold=on_fold,
            cache=self.cache if wants_cache(chain, self.cache_mode or mode) else None,
        )
        trial.set_user_attr("final_overrides", self._reuse_iterations(spec, model, folds))

    def _reuse_iterations(self, spec: Any, model: Any, folds: list[FoldResult]) -> dict[str, Any]:
        """Overrides that fix the iteration count at what early stopping found and turn
        early stopping off (``{}`` if the model did not stop early).

        The count is the folds' mean best iteration, scaled by the rows the final fit
        sees over the rows the early-stopped fit saw (the engine's refit rule).
        """
        es = spec.early_stopping
        param = getattr(model, "iteration_param", None)
        best = [f.best_iteration for f in folds]
        if es is None or param is None or not getattr(model, "supports_early_stopping", False):
            return {}
        if not best or any(b is None for b in best):
            return {}
        n_train = np.array([f.n_train for f in folds], dtype=float)
        n_fit = n_train - np.maximum(1, np.round(n_train * es.holdout))
        mean_best = float(np.mean([b for b in best if b is not None]))  # all are (above)
        count = max(1, int(round(mean_best * float(np.mean(n_train / n_fit)))))
        aliases = {param, *getattr(model, "aliases", {}).get(param, ())}
        key = next((k for k in (spec.params or {}) if k in aliases), param)
        prefix = f"models.{self.setup.model}"
        return {f"{prefix}.params.{key}": count, f"{prefix}.early_stopping": None}

    def _steps(self, folds: list[FoldResult]) -> dict[str, list[tuple[int, float]]]:
        """The fold scores as one metric ``fold_<metric>`` with step = fold (repeated CV:
        repeat r's fold k is step ``r * n_splits + k``)."""
        key = keys.fold_key(self.setup.plan.metric.name)
        k = self.setup.plan.folds.n_splits
        return {key: [(f.repeat * k + f.fold, float(f.score)) for f in folds]}

    def _record(
        self, trial: optuna.Trial, folds: list[FoldResult], start: float, *, pruned: bool = False
    ) -> dict[str, float]:
        """Store fold scores and timing as trial attributes; return the run's metrics.

        A pruned trial's mean over the folds it ran is ``cv_<metric>_partial``, not a CV."""
        seconds = time.perf_counter() - start
        scores = [float(f.score) for f in folds]
        iters = [f.best_iteration for f in folds]
        trial.set_user_attr("fold_scores", scores)
        trial.set_user_attr("best_iterations", iters)
        trial.set_user_attr("seconds", round(seconds, 3))
        metric = self.setup.plan.metric.name
        metrics = {"seconds": seconds}
        if iters and all(i is not None for i in iters):
            metrics["best_iteration"] = float(np.mean([float(i) for i in iters if i]))
        if pruned:
            metrics[f"{keys.cv_key(metric)}_partial"] = float(np.mean(scores))
        else:
            std = float(np.std(scores)) if len(scores) > 1 else None
            metrics.update(keys.cv_metrics(metric, float(np.mean(scores)), std))
        return metrics

