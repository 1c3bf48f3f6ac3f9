"""Competition plug-ins: ``plugins: features.py`` adds stages used from pipeline YAML.

A plug-in loads only for the competition that names it, its stages reach parallel fold
workers, and every broken plug-in is one CLI line naming the file (exit 2).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from podium.cli import commands  # noqa: F401  (registers the commands)
from podium.cli.app import app
from podium.config import RunRequest
from podium.engine import default_registry, run_models
from podium.ensemble import apply_ensemble
from podium.exceptions import ConfigError
from podium.plugins import load_plugins, module_name
from podium.registry import Registry
from podium.session import plan_run

runner = CliRunner()

PLUGIN = '''
from typing import Any

import pandas as pd

from podium.stages import BaseStage


def _product(a: pd.Series, b: pd.Series) -> pd.Series:
    return a * b


class Product(BaseStage):
    """Add column ``name`` = ``left * right``. **Leakage:** none (row-wise, learns nothing)."""

    def __init__(self, left: str = "x1", right: str = "x2", name: str = "x1_x2") -> None:
        self.left = left
        self.right = right
        self.name = name

    def _fit(self, X: pd.DataFrame, y: Any, **fit_params: Any) -> None:
        self.seen_split_context_ = fit_params.get("split_context") is not None

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        out[self.name] = _product(X[self.left], X[self.right])
        return out


def register(registry):
    registry.add_stage("product", Product)
'''

PROD = {"name": "prod", "use": "product", "params": {"name": "x1_times_x2"}}


@pytest.fixture
def pipeline(fast_pipeline) -> dict[str, Any]:
    """The plug-in's stage first, then the tests' fast pipeline (40 trees, no early
    stopping)."""
    return fast_pipeline(PROD, early_stopping=False, n_estimators=40, verbosity=-1)


@pytest.fixture
def competition(make_competition, pipeline):
    """``competition(source, *, plugins, pipeline)``: the toy competition with the plug-in
    file ``features.py`` holding ``source``, named by ``plugins`` in its config (None: not
    named), and the ``pipeline`` fixture's pipeline (or the one given)."""

    def make(source: str = PLUGIN, *, plugins: str | None = "features.py",
             pipeline: dict[str, Any] = pipeline) -> Path:  # fmt: skip
        config: dict[str, Any] = {"pipeline": "custom"}
        if plugins is not None:
            config["plugins"] = plugins
        comp = make_competition(config=config, pipeline=pipeline)
        (comp / "features.py").write_text(source)
        return comp

    return make


def test_plugin_stage_is_used_from_pipeline_yaml(competition) -> None:
    comp = competition()
    plan = plan_run(RunRequest("toy", root=comp.parent.parent))
    chain, _ = plan.models["lgb"]
    stage = dict(chain.steps)["prod"]
    assert type(stage).__module__ == module_name(comp / "features.py")
    result = run_models(plan).results["lgb"]
    assert "x1_times_x2" in result.importances.index
    assert np.isfinite(result.cv_mean) and result.cv_mean > 0.6


def test_origin_names_the_plugin_file(competition) -> None:
    comp = competition()
    registry = default_registry()
    load_plugins(comp / "features.py", registry)
    assert registry.origin("stage", "product") == str(comp / "features.py")
    assert registry.origin("stage", "to_numeric") == "built-in"
    with pytest.raises(ConfigError, match="unknown stage 'prodct' - did you mean 'product'"):
        registry.origin("stage", "prodct")


def test_loading_the_same_file_twice_reuses_the_module(competition) -> None:
    path = competition() / "features.py"
    first, second = Registry(), Registry()
    assert load_plugins(path, first) is load_plugins(path, second)
    assert first.stage("product") is second.stage("product")
    path.write_text(PLUGIN.replace('"product"', '"product2"'))
    third = Registry()
    load_plugins(path, third)
    assert third.stages == ["product2"]


def test_plugin_not_loaded_when_config_does_not_name_it(competition, monkeypatch) -> None:
    comp = competition(plugins=None)
    (comp / "features.py").write_text(
        PLUGIN + f"\nopen({str(comp / 'imported')!r}, 'w').close()\n"
    )
    monkeypatch.chdir(comp.parent.parent)
    result = runner.invoke(app, ["validate", "toy"])
    assert result.exit_code == 2
    assert "unknown stage 'product'" in result.output
    assert not (comp / "imported").exists()
    assert module_name(comp / "features.py") not in sys.modules


def test_only_the_competition_naming_it_loads_it(make_competition, competition) -> None:
    comp = competition()
    other = make_competition("other")
    (other / "features.py").write_text(PLUGIN)
    root = comp.parent.parent
    assert "prod" in dict(plan_run(RunRequest("toy", root=root)).models["lgb"][0].steps)
    from podium.config import load_config
    from podium.session import competition_registry

    assert "product" not in competition_registry(load_config("other", root=root)).stages


def test_parallel_fold_workers_unpickle_plugin_stages(competition, pipeline) -> None:
    comp = competition(pipeline={**pipeline, "n_workers": 2})
    root = comp.parent.parent
    parallel = run_models(plan_run(RunRequest("toy", root=root))).results["lgb"]
    serial = run_models(plan_run(RunRequest("toy", root=root, overrides=["n_workers=1"])))
    serial = serial.results["lgb"]
    assert "x1_times_x2" in parallel.importances.index
    np.testing.assert_allclose(parallel.oof, serial.oof)


def test_plugin_stage_gets_the_data_dir(competition) -> None:
    comp = competition()
    plan = plan_run(RunRequest("toy", root=comp.parent.parent))
    from podium.engine.plan import split_context

    assert split_context(plan).data_dir == comp / "data"


def test_tune_plans_with_the_plugin(competition, pipeline) -> None:
    from podium.tracking.base import NullTracker
    from podium.tuning import tune

    space = {"models.lgb.params.num_leaves": {"int": [3, 15]}}
    comp = competition(pipeline={**pipeline, "search_space": space})
    result = tune(RunRequest("toy", root=comp.parent.parent), n_trials=1, tracker=NullTracker)
    assert result.ran == 1
    assert "prod" in dict(result.setup.plan.models["lgb"][0].steps)


def test_podium_new_scaffold_validates(make_competition, monkeypatch) -> None:
    from podium.config import load_config
    from podium.session import competition_registry

    toy = make_competition("toy")
    root = toy.parent.parent  # a project root with pipelines/
    monkeypatch.chdir(root)
    assert runner.invoke(app, ["new", "fresh"]).exit_code == 0
    comp = root / "competitions" / "fresh"
    assert (comp / "features.py").is_file()
    for f in ("train.csv", "test.csv", "sample_submission.csv"):
        shutil.copy(toy / "data" / f, comp / "data" / f)
    result = runner.invoke(app, ["validate", "fresh"])
    assert result.exit_code == 0, result.output
    registry = competition_registry(load_config("fresh", root=root))
    assert registry.origin("stage", "ratio") == str(comp / "features.py")
    stages = "[{name: r, use: ratio, params: {numerator: x1, denominator: x2}}]"
    result = runner.invoke(app, ["validate", "fresh", "--set", f"stages={stages}"])
    assert result.exit_code == 0, result.output


BROKEN = [
    ("missing file", None, r"features\.py: plug-in file not found"),
    ("syntax error", "x = 1\ndef register(registry)\n    pass\n",
     r"features\.py:2: plug-in failed to import: SyntaxError"),
    ("import fails", "import numpy\nimport no_such_module_xyz\n",
     r"features\.py:2: plug-in failed to import: ModuleNotFoundError: No module named "
     r"'no_such_module_xyz'"),
    ("no register", "X = 1\n", r"features\.py: plug-in has no register\(registry\) function"),
    ("register raises", "def register(registry):\n    raise RuntimeError('boom')\n",
     r"features\.py:2: register\(registry\) failed: RuntimeError: boom"),
    ("built-in name", PLUGIN.replace('"product"', '"to_numeric"'),
     r"features\.py: stage 'to_numeric' is registered twice \(first by built-in\)"),
    ("twice in the plug-in", PLUGIN + "\n\n_first = register\n\n\ndef register(registry):\n"
     "    _first(registry)\n    registry.add_stage('product', Product)\n",
     r"features\.py: stage 'product' is registered twice \(first by .*features\.py\)"),
    ("not a python file", "", r"competition\.yaml: plugins: must name a \.py file"),
]  # fmt: skip


_BY_NAME = {b[0]: b for b in BROKEN}
CASES = [("validate", *b) for b in BROKEN] + [
    ("run", *_BY_NAME["import fails"]),
    ("run", *_BY_NAME["built-in name"]),
    ("audit", *_BY_NAME["register raises"]),
    ("tune", *_BY_NAME["twice in the plug-in"]),
]


@pytest.mark.parametrize(
    ("command", "label", "source", "match"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_broken_plugin_is_one_line_exit_2(
    competition, monkeypatch, command, label, source, match
) -> None:
    plugins = "features.txt" if label == "not a python file" else "features.py"
    comp = competition(source or "", plugins=plugins)
    if source is None:
        (comp / "features.py").unlink()
    monkeypatch.chdir(comp.parent.parent)
    extra = ["-n", "1"] if command == "tune" else []
    result = runner.invoke(app, [command, "toy", *extra])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    if command == "audit":
        lines = [ln for ln in lines if not ln.startswith("audit:")]
    assert len(lines) == 1, result.output
    assert re.search(match, lines[0]), lines[0]
    assert "Traceback" not in result.output


def test_stacking_level2_uses_plugin_stages(competition, pipeline) -> None:
    """A level-2 stage from the plug-in works in the ensemble step (the plan carries the
    registry that built it), not just in level 1."""
    lgb = pipeline["models"]["lgb"]
    stacked = {
        **pipeline,
        "models": {"a": lgb, "b": {**lgb, "params": {**lgb["params"], "num_leaves": 3}}},
        "ensemble": {
            "method": "stack",
            "level2": {
                "lr": {
                    "use": "logistic_regression",
                    "stages": [
                        {"name": "ab", "use": "product", "params": {"left": "a", "right": "b"}}
                    ],
                }
            },
        },
    }
    comp = competition(pipeline=stacked)
    plan = plan_run(RunRequest("toy", root=comp.parent.parent))
    exp = apply_ensemble(plan, run_models(plan))
    assert exp.chosen == "stack"
    assert "x1_x2" in exp.details["importance"]
