"""Tuning benchmarks: worker throughput, MLflow overhead per trial, tuned vs untuned score.

    .venv/bin/python bench/tuning.py throughput --trials 24 --repeats 2
    .venv/bin/python bench/tuning.py overhead --trials 15 --repeats 2
    .venv/bin/python bench/tuning.py quality --model lgb --trials 60 --workers 2

Data: ``../shared/data/telecom_churn`` (override with ``--data-dir``). Studies and MLflow
runs go to a temporary folder, never to the project's ``mlruns/`` or ``optuna.db``.
Results are printed as markdown and saved to ``bench/results/tuning-<kind>.json``.

throughput: the same objective (LightGBM, one thread, fixed learning rate so trials cost
about the same, no pruning) with 1 worker and with 2 workers, alternating, ``repeats``
times. Rate = complete trials per minute of the whole session (process start-up
included) and between the first trial's start and the last trial's end. ``cpu_share``
is the CPU the session got over ``workers`` cores; ``others_cores`` the cores other
processes on the machine kept busy meanwhile (``/proc/stat``), to tell contention apart.

overhead: the same trials (same sampler seed, deterministic models, so the same
parameters) with a NullTracker and with an MlflowTracker, alternating; per-trial time is
Optuna's trial duration. Tracker calls are also timed directly (wall and CPU): trial runs
are written by a background thread, so their wall time overlaps training.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "telecom_churn"
RESULTS = ROOT / "bench" / "results"

BENCH_PIPELINE = {
    "description": "bench: LightGBM with a fixed learning rate (trials of similar cost)",
    "stages": [
        {"name": "numeric", "use": "to_numeric"},
        {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
    ],
    "models": {
        "lgb": {
            "use": "lightgbm",
            "params": {"learning_rate": 0.08, "n_estimators": 400, "subsample_freq": 1},
            "early_stopping": {"rounds": 50, "holdout": 0.1},
        }
    },
    "search_space": {
        "models.lgb.params.num_leaves": {"int": [4, 32], "log": True},
        "models.lgb.params.min_child_samples": {"int": [10, 60]},
        "models.lgb.params.colsample_bytree": {"float": [0.5, 1.0]},
        "models.lgb.params.subsample": {"float": [0.6, 1.0]},
        "models.lgb.params.reg_lambda": {"float": [0.1, 10.0], "log": True},
    },
}


def _machine() -> str:
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    cpu = platform.processor() or platform.machine()
    py = platform.python_version()
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {py}, load average {load}"


class TimedTracker:
    """Wraps a tracker; adds up wall seconds and CPU seconds (of the calling thread) spent
    in its calls. Trial runs are written by a background thread, so the wall time is
    hidden behind training; the CPU time is what tracking takes from the cores."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    @contextmanager
    def _timed(self) -> Iterator[None]:
        w0, c0 = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - w0
            self.cpu_seconds += time.thread_time() - c0

    @contextmanager
    def run(self, name: str, **kwargs: Any) -> Iterator[str]:
        cm = self.inner.run(name, **kwargs)
        with self._timed():
            run_id = cm.__enter__()
        try:
            yield run_id
        except BaseException:
            with self._timed():
                if not cm.__exit__(*sys.exc_info()):
                    raise
        else:
            with self._timed():
                cm.__exit__(None, None, None)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self._timed():
                return attr(*args, **kwargs)

        return timed


def _session(
    tmp: Path, *, study: str, trials: int, workers: int, tracker: Any, pipeline: str | None,
    model: str | None = None, pruner: str = "none", data_dir: Path = DATA,
) -> dict[str, Any]:  # fmt: skip
    import optuna
    from optuna.trial import TrialState

    from podium.config import RunRequest
    from podium.tuning import tune

    storage = f"sqlite:///{tmp / 'bench.db'}"
    cpu0, busy0 = _cpu_seconds(), _machine_busy_seconds()
    t0 = time.perf_counter()
    res = tune(
        RunRequest("telecom_churn", root=ROOT, pipeline=pipeline, data_dir=data_dir),
        n_trials=trials, workers=workers, storage=storage, study=study, model=model,
        pruner=pruner, tracker=tracker,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    others = _machine_busy_seconds() - busy0 - cpu
    st = optuna.load_study(study_name=study, storage=storage)
    done = st.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    first = min(t.datetime_start for t in done)
    last = max(t.datetime_complete for t in done)
    steady = (last - first).total_seconds()
    return {
        "study": study,
        "workers": workers,
        "trials": len(done),
        "wall_s": round(wall, 2),
        "steady_s": round(steady, 2),
        "per_min_wall": round(len(done) / wall * 60, 2),
        "per_min_steady": round(len(done) / steady * 60, 2),
        "mean_trial_s": round(statistics.mean(t.duration.total_seconds() for t in done), 3),
        "cpu_s": round(cpu, 1),
        "cpu_share": round(cpu / (wall * workers), 2),
        "others_cores": round(others / wall, 2),
        "durations": {t.number: t.duration.total_seconds() for t in done},
        "values": {t.number: t.value for t in done},
        "best": res.best.value if res.best else None,
        "counts": vars(res.counts),
        "failed": {
            t.number: t.user_attrs.get("error")
            or ("surplus" if t.user_attrs.get("surplus") else "?")
            for t in st.get_trials(states=(TrialState.FAIL,))
        },
    }


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (worker processes)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _machine_busy_seconds() -> float:
    """CPU seconds all processes on the machine used so far (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _pipeline_file(tmp: Path) -> str:
    path = tmp / "bench_tuning.yaml"
    path.write_text(yaml.safe_dump(BENCH_PIPELINE, sort_keys=False))
    return str(path)


def throughput(args: argparse.Namespace) -> dict[str, Any]:
    from podium.tracking.base import NullTracker

    runs = []
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as d:
        tmp = Path(d)
        pipe = _pipeline_file(tmp)
        for r in range(args.repeats):
            for w in (1, 2):
                n = args.trials * w // 2 if w == 1 else args.trials
                out = _session(
                    tmp, study=f"tp-{r}-{w}", trials=n, workers=w, tracker=NullTracker,
                    pipeline=pipe, data_dir=args.data_dir,
                )  # fmt: skip
                out.pop("durations"), out.pop("values")
                print(json.dumps(out), flush=True)
                runs.append(out)
    summary = {}
    for key in ("per_min_wall", "per_min_steady", "mean_trial_s", "cpu_share", "others_cores"):
        one = statistics.mean(r[key] for r in runs if r["workers"] == 1)
        two = statistics.mean(r[key] for r in runs if r["workers"] == 2)
        summary[key] = {"1 worker": one, "2 workers": two, "ratio": round(two / one, 2)}
    return {"runs": runs, "summary": summary}


def overhead(args: argparse.Namespace) -> dict[str, Any]:
    """The same trials with a NullTracker and an MlflowTracker, interleaved trial by trial.

    Two studies with the same sampler seed (deterministic models: the same parameters
    trial for trial); trial k of one, then trial k of the other (the order alternates),
    so load changes on the shared machine hit both alike.
    """
    import optuna

    from podium.config import RunRequest
    from podium.tracking.base import NullTracker
    from podium.tracking.mlflow_tracker import MlflowTracker
    from podium.tuning import Objective, TuneArgs, prepare_tuning
    from podium.tuning.study import make_pruner, make_sampler, open_storage, open_study
    from podium.tuning.workers import run_trials

    with tempfile.TemporaryDirectory(prefix="podium-bench-") as d:
        tmp = Path(d)
        setup = prepare_tuning(
            TuneArgs(RunRequest(
                "telecom_churn", root=ROOT, pipeline=_pipeline_file(tmp), data_dir=args.data_dir
            ))  # fmt: skip
        )
        storage = open_storage(f"sqlite:///{tmp / 'bench.db'}")
        mlflow = MlflowTracker(uri=f"sqlite:///{tmp / 'mlruns.db'}", experiment="bench")
        trackers = {"null": TimedTracker(NullTracker()), "mlflow": TimedTracker(mlflow)}
        studies, objectives = {}, {}
        for kind, tracker in trackers.items():
            st = open_study(storage, f"oh-{kind}", attrs=setup.attrs, direction=setup.direction)
            st.sampler, st.pruner = make_sampler(42), make_pruner("none", 5)
            studies[kind] = st
            objectives[kind] = Objective(setup, tracker, n_trials=args.trials)
        with mlflow.run("bench-overhead"):
            for k in range(1, args.trials + 1):
                for kind in ("null", "mlflow") if k % 2 else ("mlflow", "null"):
                    run_trials(studies[kind], objectives[kind], n_trials=k)
            objectives["mlflow"].flush()
        trials = {
            kind: {t.number: t for t in st.get_trials(deepcopy=False)}
            for kind, st in studies.items()
        }
        pairs = [
            (trials["null"][n].duration.total_seconds(), t.duration.total_seconds())
            for n, t in trials["mlflow"].items()
            if n in trials["null"] and trials["null"][n].params == t.params
        ]
    null_s = sum(p[0] for p in pairs)
    mlf_s = sum(p[1] for p in pairs)
    ratios = sorted(m / n for n, m in pairs)
    timed = trackers["mlflow"]
    n = len(trials["mlflow"])
    return {
        "same_trials": len(pairs),
        "null_mean_trial_s": round(null_s / len(pairs), 3),
        "mlflow_mean_trial_s": round(mlf_s / len(pairs), 3),
        "overhead_pct_total": round(100 * (mlf_s / null_s - 1), 2),
        "overhead_pct_median_pair": round(100 * (statistics.median(ratios) - 1), 2),
        "tracker_wall_s_per_trial_in_background": round(timed.seconds / n, 3),
        "tracker_cpu_s_per_trial": round(timed.cpu_seconds / n, 4),
        "tracker_cpu_pct_of_trial": round(100 * timed.cpu_seconds / mlf_s, 2),
        "optuna_version": optuna.__version__,
    }


def quality(args: argparse.Namespace) -> dict[str, Any]:
    from podium.tracking.base import NullTracker

    with tempfile.TemporaryDirectory(prefix="podium-bench-") as d:
        out = _session(Path(d), study=f"q-{args.pipeline}-{args.model}", trials=args.trials,
                       workers=args.workers, tracker=NullTracker, pipeline=args.pipeline,
                       model=args.model, pruner="median", data_dir=args.data_dir)  # fmt: skip
        import optuna

        st = optuna.load_study(
            study_name=out["study"], storage=f"sqlite:///{Path(d) / 'bench.db'}"
        )
        best = st.best_trial
        out["best_trial"] = best.number
        out["best_params"] = best.user_attrs.get("overrides")
        out["best_final"] = best.user_attrs.get("final_overrides")
        out["best_fold_scores"] = best.user_attrs.get("fold_scores")
        from podium.config import RunRequest
        from podium.runner import run_competition

        request = RunRequest(
            "telecom_churn", root=ROOT, pipeline=args.pipeline, data_dir=args.data_dir
        )
        run = run_competition(
            request, params="best", storage=f"sqlite:///{Path(d) / 'bench.db'}",
            study=out["study"], tracker=NullTracker(), output=Path(d) / "submission.csv",
        )  # fmt: skip
        chosen = run.result.results[args.model or next(iter(run.result.results))]
        out["run_params_best_cv"] = chosen.cv_mean
        out["run_params_best_fold_scores"] = chosen.fold_scores
    out.pop("durations"), out.pop("values")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("throughput", "overhead", "quality"))
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pipeline", default="baseline")
    parser.add_argument("--model", default=None)
    parser.add_argument("--data-dir", type=Path, default=DATA)
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{tempfile.mkdtemp()}/mlflow.db")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = datetime.now(UTC)
    machine_before = _machine()
    result = {"throughput": throughput, "overhead": overhead, "quality": quality}[args.kind](args)
    result["meta"] = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine_before": machine_before,
        "machine_after": _machine(),
        "command": "python bench/tuning.py " + " ".join(sys.argv[1:]),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"tuning-{args.kind}" + (
        f"-{args.model or args.pipeline}" if args.kind == "quality" else ""
    )
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2, default=str))


if __name__ == "__main__":
    main()
