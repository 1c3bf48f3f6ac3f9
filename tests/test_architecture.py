"""Every top-level module of podium sits in a layer of the import-linter contract."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import podium

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_every_top_level_module_is_in_a_layer() -> None:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in config if c["type"] == "layers"]
    named = {m.strip() for layer in layers for m in layer.replace(":", "|").split("|")}
    modules = {f"podium.{m.name}" for m in pkgutil.iter_modules(podium.__path__)}
    assert modules - named == set(), "add these to a layer in pyproject.toml"
    assert named - modules == set(), "these layers name modules that do not exist"
