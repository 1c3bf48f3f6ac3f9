"""Fold jobs on a real Dask cluster (scheduler + 2 worker processes on 127.0.0.1) give the
local run's OOF predictions and submission bytes; workers load the data themselves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from podium.config import RunRequest
from podium.engine import executor as executor_mod
from podium.engine import run_cv
from podium.engine.executor import DataRef, Executor
from podium.exceptions import ConfigError, DataError
from podium.runner import plan_run, run_competition
from podium.tracking.base import NullTracker

distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("PODIUM_DATA_DIR") or REPO.parent / "shared" / "data")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
    ) as c:
        yield c
        executor_mod.close_clients()


def _run(root: Path, name: str, out: Path, overrides: list[str], pipeline: str | None = None):
    request = RunRequest(name, root=root, pipeline=pipeline, overrides=overrides)
    return run_competition(request, output=out, tracker=NullTracker())


def test_dask_run_equals_local_run(make_competition, tmp_path, cluster) -> None:
    root = make_competition().parent.parent
    local = _run(root, "toy", tmp_path / "local.csv", [])
    remote = _run(root, "toy", tmp_path / "dask.csv", [f"executor={cluster.scheduler_address}"])
    np.testing.assert_array_equal(local.result.oof, remote.result.oof)
    assert (tmp_path / "local.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()
    with distributed.Client(cluster.scheduler_address) as client:
        loaded = client.run(lambda: sorted(executor_mod._LOADED))
    fingerprint = local.plan.data.fingerprint
    assert any(fingerprint in fps for fps in loaded.values())  # workers read the files


def test_workers_load_the_data_not_the_frame(make_competition, cluster) -> None:
    plan = plan_run(RunRequest("toy", root=make_competition().parent.parent))
    comp, data = plan.cfg.competition, plan.data
    chain, model = plan.models["lgb"]
    ex = Executor.from_config(cluster.scheduler_address, None, 1)

    def cv(**where: Any):
        """The model's CV, in process or (``executor=``, ``data_ref=``) on the workers."""
        return run_cv(
            chain,
            model,
            data.train,
            plan.y,
            folds=plan.folds,
            metric=plan.metric,
            X_test=data.test,
            **where,
        )

    good = cv(executor=ex, data_ref=DataRef(comp, str(data.data_dir), data.fingerprint))
    np.testing.assert_array_equal(good.oof, cv().oof)
    stale = DataRef(comp, str(data.data_dir), "0" * 16)  # the files changed since
    with pytest.raises(DataError, match="data fingerprint .* not the run's 0000000000000000"):
        cv(executor=ex, data_ref=stale)


def test_dask_without_address_is_one_line(make_competition) -> None:
    root = make_competition().parent.parent
    plan = plan_run(RunRequest("toy", root=root, overrides=["executor=dask"]))
    from podium.engine import run_models

    with pytest.raises(ConfigError, match="executor: dask needs executor_address"):
        run_models(plan)


def test_unknown_executor_is_refused(make_competition) -> None:
    root = make_competition().parent.parent
    with pytest.raises(ConfigError, match="unknown executor 'dusk'.*did you mean 'dask'"):
        plan_run(RunRequest("toy", root=root, overrides=["executor=dusk"]))


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "telecom_churn").is_dir(), reason="needs ../shared/data")
def test_telecom_strong_on_dask_equals_local(tmp_path, monkeypatch, cluster) -> None:
    monkeypatch.setenv("PODIUM_DATA_DIR", str(SHARED))
    kw = {"pipeline": "strong"}
    local = _run(REPO, "telecom_churn", tmp_path / "local.csv", ["cache=off"], **kw)
    remote = _run(
        REPO,
        "telecom_churn",
        tmp_path / "dask.csv",
        ["cache=off", f"executor={cluster.scheduler_address}"],
        **kw,
    )
    for name, res in local.result.results.items():
        np.testing.assert_array_equal(res.oof, remote.result.results[name].oof, err_msg=name)
    np.testing.assert_array_equal(local.result.oof, remote.result.oof)
    assert (tmp_path / "local.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()
