"""The stage and model reference: CLI output, plug-ins, and the README section kept current."""

from __future__ import annotations

import inspect
from pathlib import Path

from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401  (registers commands)
)
from podium.engine import default_registry
from podium.engine.reference import current_section, entries, readme_section, update_readme

README = Path(__file__).resolve().parents[2] / "README.md"
runner = CliRunner()

PLUGIN = '''
from podium.stages import BaseStage


class Flags(BaseStage):
    """Flag paydays.

    Args:
        day: the day of the month.
    """

    def __init__(self, day: int = 15) -> None:
        self.day = day

    def _transform(self, X):
        return X


def register(registry):
    registry.add_stage("payday_flags", Flags)
'''


def test_readme_reference_is_current() -> None:
    """Fails when a stage or model changed: run `python -m podium.engine.reference README.md`."""
    assert current_section(README) == readme_section(default_registry())


def test_update_readme_rewrites_only_the_section(tmp_path: Path) -> None:
    path = tmp_path / "R.md"
    path.write_text("head\n<!-- reference:start -->\nOLD-SECTION\n<!-- reference:end -->\ntail\n")
    assert update_readme(path, default_registry())
    text = path.read_text()
    assert text.startswith("head\n") and text.endswith("<!-- reference:end -->\ntail\n")
    assert "OLD-SECTION" not in text and "**`target_encoder`**" in text
    assert not update_readme(path, default_registry())


def test_every_stage_parameter_is_listed_with_its_default() -> None:
    reg = default_registry()
    for e in entries(reg, "stage"):
        sig = inspect.signature(reg.stage(e.name).__init__).parameters
        expected = {n: repr(p.default) for n, p in sig.items() if n != "self"}
        assert {n: d for n, d, _ in e.params} == expected, e.name
        assert e.summary, e.name


def test_models_show_tasks_and_defaults() -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    block = result.output.split("\n\n")
    lgb = next(b for b in block if b.startswith("lightgbm"))
    assert "tasks: binary, multiclass, regression" in lgb
    assert "num_leaves = 31" in lgb and "learning_rate = 0.03" in lgb
    cb = next(b for b in block if b.startswith("catboost"))
    assert "loss_function = 'Logloss' (binary), 'MultiClass' (multiclass), 'RMSE'" in cb
    ridge = next(b for b in block if b.startswith("ridge"))
    assert "tasks: regression" in ridge


def test_stages_cli_and_markdown() -> None:
    result = runner.invoke(app, ["stages"])
    assert result.exit_code == 0, result.output
    assert "impute\n  Fill missing values" in result.output
    assert (
        "  strategy = 'median'  `median`, `mean` or `zero` for numeric columns." in result.output
    )
    md = runner.invoke(app, ["stages", "--markdown"]).output
    assert "- **`impute`**: Fill missing values" in md
    assert md in readme_section(default_registry())


def test_stages_of_a_competition_list_its_plugins(make_competition, monkeypatch) -> None:
    comp = make_competition(config={"plugins": "features.py"})
    (comp / "features.py").write_text(PLUGIN)
    monkeypatch.chdir(comp.parent.parent)
    result = runner.invoke(app, ["stages", "toy"])
    assert result.exit_code == 0, result.output
    assert "payday_flags  [" in result.output and "features.py]" in result.output
    assert "  day = 15  the day of the month." in result.output
    assert "payday_flags" not in runner.invoke(app, ["stages"]).output
