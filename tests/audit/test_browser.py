"""Real-browser checks: the audit report and the MLflow UI, in headless Chromium.

Needs Debian's chromium (``.ci/chromium.sh``) and the ``playwright`` package; never
``playwright install``. Screenshots are kept under ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from podium.cli import commands  # noqa: F401  (registers the commands)
from podium.cli.app import app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing: run .ci/chromium.sh")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright missing: uv pip install playwright (no `playwright install`)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def test_audit_report_renders(browser: Any, make_competition, monkeypatch, tmp_path) -> None:
    make_competition("toy")
    monkeypatch.setenv("PODIUM_ROOT", str(tmp_path))
    report = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["audit", "toy", "-o", str(report), "--no-tracking"])
    assert r.exit_code == 0, r.output
    page = browser.new_page()
    try:
        page.goto(report.as_uri())
        perm = page.locator("#permutation-figure")
        perm.wait_for(state="visible", timeout=10_000)
        assert "Permuted-target roc_auc = 0." in perm.inner_text()
        adv = page.locator("#adversarial-auc")
        assert adv.is_visible() and "Adversarial ROC-AUC = 0." in adv.inner_text()
        imgs = page.locator("img")
        assert imgs.count() >= 4
        widths = [imgs.nth(i).evaluate("e => e.naturalWidth") for i in range(imgs.count())]
        assert all(w > 0 for w in widths)  # every embedded PNG decoded
        page.screenshot(path=str(ARTIFACTS / "audit_report.png"), full_page=True)
    finally:
        page.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (local server)
        return resp.read()


@contextmanager
def _serve(tmp_path: Path) -> Iterator[str]:
    """``mlflow ui`` on a free local port over the tests' store; stopped on exit."""
    port = _free_port()
    db = tmp_path / "mlruns" / "mlflow.db"
    exe = Path(sys.executable).parent / "mlflow"
    log = (tmp_path / "mlflow-ui.log").open("w")
    proc = subprocess.Popen(
        [str(exe), "ui", "--backend-store-uri", f"sqlite:///{db}", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                if _get(f"{base}/health").strip().startswith(b"OK"):
                    break
            except (urllib.error.URLError, OSError):
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.flush()
                pytest.fail(f"mlflow ui did not start: {(tmp_path / 'mlflow-ui.log').read_text()}")
            time.sleep(0.5)
        yield base
    finally:
        # The server's own process group: uvicorn and its job runner, nothing else.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def two_runs_ui(competition_writer, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Two ``podium run``s of a small synthetic competition and ``mlflow ui`` over their
    store, one server for the module (it takes ~2.3 GiB)."""
    root = tmp_path_factory.mktemp("ui")
    competition_writer(root)("toy")
    names: list[str] = []
    ids: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PODIUM_ROOT", str(root))
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root}/mlruns/mlflow.db")
        mp.setenv("PODIUM_CACHE_DIR", str(root / "feature-cache"))
        mp.delenv("PODIUM_DATA_DIR", raising=False)
        for leaves in (3, 7):
            args = ["run", "toy", "--set", f"models.lgb.params.num_leaves={leaves}"]
            r = CliRunner().invoke(app, args)
            assert r.exit_code == 0, r.output
            name, run_id = r.output.split("; run ")[1].split(")")[0].split(" (")
            names.append(name)
            ids.append(run_id)
            time.sleep(1.1)  # run names carry a seconds stamp
    assert names[0] != names[1]
    with _serve(root) as base:
        q = urllib.parse.quote("toy")
        exp = json.loads(
            _get(f"{base}/api/2.0/mlflow/experiments/get-by-name?experiment_name={q}", 120)
        )
        yield {"base": base, "exp_id": exp["experiment"]["experiment_id"], "names": names,
               "ids": ids}  # fmt: skip


@contextmanager
def _page(browser: Any, shot: str) -> Iterator[Any]:
    """A wide page; a screenshot ``<shot>_failed.png`` when the body fails."""
    page = browser.new_page(viewport={"width": 3000, "height": 1000})
    page.set_default_navigation_timeout(180_000)  # a busy machine: the UI bundle is large
    try:
        yield page
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"{shot}_failed.png"), full_page=True)
        raise
    finally:
        page.close()


def test_mlflow_runs_table_shows_the_cv_metric_column(browser: Any, two_runs_ui) -> None:
    """podium's saved runs view (an experiment tag, listed under "Views" and opened by its
    link) shows each run's CV under the metric's name, best first: no "Show more columns".
    MLflow's own default columns are fixed (Source, Models, Dataset): screenshot only."""
    from podium.tracking.view import runs_view_path

    ui = two_runs_ui
    base, exp_id = ui["base"], ui["exp_id"]
    with _page(browser, "mlflow_runs_cv") as page:
        page.goto(f"{base}/#/experiments/{exp_id}/runs")
        for name in ui["names"]:
            page.get_by_text(name, exact=True).first.wait_for(state="visible", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "mlflow_runs_default.png"), full_page=True)
        page.goto(f"{base}/#{runs_view_path(exp_id)}")
        header = page.get_by_role("columnheader", name="cv_roc_auc", exact=True)
        header.first.wait_for(state="visible", timeout=60_000)
        # the rest of the table renders after the first header on a busy machine: wait
        std = page.get_by_role("columnheader", name="cv_roc_auc_std", exact=True)
        std.first.wait_for(state="visible", timeout=60_000)
        page.get_by_text("podium: CV roc_auc").first.wait_for(state="visible", timeout=60_000)
        for run_id in ui["ids"]:
            run = json.loads(_get(f"{base}/api/2.0/mlflow/runs/get?run_id={run_id}", 60))
            metrics = {m["key"]: m["value"] for m in run["run"]["data"]["metrics"]}
            # the cell shows the value's leading digits (rounded or cut at the UI's choice;
            # 4 decimals are the same either way but for a carry): wait, the rows load late
            shown = f"{metrics['cv_roc_auc']:.8f}"[:6]
            cell = page.get_by_text(re.compile("^" + re.escape(shown))).filter(visible=True)
            cell.first.wait_for(state="visible", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "mlflow_runs_cv.png"), full_page=True)


@pytest.mark.slow
def test_mlflow_ui_shows_both_runs(browser: Any, two_runs_ui) -> None:
    ui = two_runs_ui
    base, exp_id, names, ids = ui["base"], ui["exp_id"], ui["names"], ui["ids"]
    with _page(browser, "mlflow_runs") as page:
        page.goto(f"{base}/#/experiments/{exp_id}/runs")
        for name in names:
            page.get_by_text(name, exact=True).first.wait_for(state="visible", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "mlflow_runs.png"), full_page=True)
        runs = urllib.parse.quote(json.dumps(ids))
        page.goto(f"{base}/#/compare-runs?runs={runs}&experiments=[%22{exp_id}%22]")
        page.get_by_text("cv_roc_auc").first.wait_for(state="visible", timeout=60_000)
        for name in names:
            assert page.get_by_text(name).first.is_visible()
        page.screenshot(path=str(ARTIFACTS / "mlflow_compare.png"), full_page=True)
