"""Fit AutoGluon on a competition's CSVs and write its test predictions as a submission.

Runs in AutoGluon's own venv (see bench/autogluon_venv.sh), never in podium's: it imports
no podium. Usage (bench/auto_vs_autogluon.py builds this command):

    $PODIUM_AG_VENV/bin/python bench/ag_fit.py --train T.csv --test S.csv --sample P.csv \
        --out sub.csv --label y --task binary --metric roc_auc --time-limit 300 \
        [--id ID] [--keep-id] [--sub-id Id] [--sub-target y] [--query "x < 5"] \
        [--path models/] [--presets best_quality] [--fit-args '{"dynamic_stacking": false}']

What AutoGluon is given: the train file less the id column (kept with --keep-id, e.g. a
timestamp id that carries the signal) and less the columns the test file lacks (train-only
columns such as bike sharing's casual/registered), the competition's train_filter
(--query), ``presets`` and ``time_limit``. Metrics: roc_auc -> "roc_auc", logloss ->
"log_loss", rmse -> "root_mean_squared_error", mae -> "mean_absolute_error"; rmsle ->
AutoGluon learns log1p(target) with "root_mean_squared_error" (AutoGluon 1.6 has no RMSLE
metric), predictions mapped back with expm1 and clipped at 0. Ray is started before the fit
with its dashboard off: on this machine the dashboard's start times out after 30 s, which
the fit's time limit would otherwise pay for. Prints one JSON line of facts at the end
(and writes it to --facts).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time

import numpy as np
import pandas as pd

METRICS = {"roc_auc": "roc_auc", "logloss": "log_loss", "accuracy": "accuracy",
           "rmse": "root_mean_squared_error", "rmsle": "root_mean_squared_error",
           "mae": "mean_absolute_error"}


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    for name in ("--train", "--test", "--sample", "--out", "--label", "--metric"):
        ap.add_argument(name, required=True)
    ap.add_argument("--task", required=True, choices=["binary", "multiclass", "regression"])
    ap.add_argument("--time-limit", type=float, required=True)
    ap.add_argument("--id")
    ap.add_argument("--keep-id", action="store_true")
    ap.add_argument("--sub-id")
    ap.add_argument("--sub-target")
    ap.add_argument("--query")
    ap.add_argument("--path")
    ap.add_argument("--presets", default="best_quality")
    ap.add_argument("--fit-args", default="{}", help="JSON of extra TabularPredictor.fit args")
    ap.add_argument("--facts", help="also write the facts line (JSON) to this file")
    return ap.parse_args()


def _start_ray() -> float:
    t0 = time.perf_counter()
    try:
        import ray
    except ImportError:
        return 0.0
    if not ray.is_initialized():
        ray.init(include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False,
                 num_cpus=os.cpu_count())
    return time.perf_counter() - t0


def main() -> None:
    args = _args()
    t_start = time.perf_counter()
    import autogluon.tabular
    from autogluon.tabular import TabularPredictor

    train = pd.read_csv(args.train)
    test = pd.read_csv(args.test)
    sample = pd.read_csv(args.sample)
    if args.query:
        train = train.query(args.query).reset_index(drop=True)
    drop = [c for c in train.columns if c not in test.columns and c != args.label]
    if args.id and not args.keep_id:
        drop.append(args.id)
    features = [c for c in train.columns if c not in drop and c != args.label]
    fit_frame = train[[*features, args.label]].copy()
    log_target = args.metric == "rmsle"
    if log_target:
        fit_frame[args.label] = np.log1p(fit_frame[args.label].astype(float))
    if args.metric not in METRICS:
        raise SystemExit(f"ag_fit: no AutoGluon metric for {args.metric!r}")
    ray_s = _start_ray()

    t_fit = time.perf_counter()
    predictor = TabularPredictor(
        label=args.label, problem_type=args.task, eval_metric=METRICS[args.metric],
        path=args.path, verbosity=2,
    ).fit(fit_frame, time_limit=args.time_limit, presets=args.presets,
          **json.loads(args.fit_args))
    fit_s = time.perf_counter() - t_fit

    t_pred = time.perf_counter()
    x_test = test[features]
    sub_id = args.sub_id or args.id
    ids = test[args.id] if args.id else pd.Series(np.arange(len(test)))
    out = sample.copy()
    order = pd.Series(np.arange(len(ids)), index=ids.astype(str).to_numpy())
    rows = order.reindex(out[sub_id].astype(str).to_numpy()).to_numpy()
    if args.task == "regression":
        pred = np.asarray(predictor.predict(x_test), dtype=float)
        if log_target:
            pred = np.clip(np.expm1(pred), 0, None)
        out[args.sub_target or args.label] = pred[rows]
    else:
        proba = predictor.predict_proba(x_test)
        proba.columns = [str(c) for c in proba.columns]
        if args.task == "binary":
            positive = str(sorted(predictor.class_labels)[1])
            out[args.sub_target or args.label] = proba[positive].to_numpy()[rows]
        else:
            for col in out.columns:
                if col != sub_id:
                    out[col] = proba[col].to_numpy()[rows]
    out.to_csv(args.out, index=False)
    board = predictor.leaderboard(silent=True)
    facts = json.dumps({
        "autogluon": autogluon.tabular.__version__, "pandas": pd.__version__,
        "ray_init_s": round(ray_s, 1), "fit_s": round(fit_s, 1),
        "predict_s": round(time.perf_counter() - t_pred, 1),
        "total_s": round(time.perf_counter() - t_start, 1), "n_models": len(board),
        "best_model": predictor.model_best, "features": features, "dropped": drop,
        "log_target": log_target,
    })
    print(facts, flush=True)
    if args.facts:
        with open(args.facts, "w") as fh:
            fh.write(facts + "\n")


if __name__ == "__main__":
    main()
