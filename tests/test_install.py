"""A user's install (`uv sync`, README command 1) holds what podium needs to run and no
test tool; the tests' tools are the `dev` group, which `.ci/run` installs; every declared
runtime dependency is imported by podium itself."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
TEST_TOOLS = ("pytest", "hypothesis", "ruff", "import-linter", "playwright", "mypy")


def _names(specs: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[ ]", s, maxsplit=1)[0].lower() for s in specs}


def test_test_tools_are_not_installed_for_users() -> None:
    runtime = _names(PYPROJECT["project"]["dependencies"])
    assert not runtime & set(TEST_TOOLS), runtime & set(TEST_TOOLS)
    assert set(TEST_TOOLS) <= _names(PYPROJECT["dependency-groups"]["dev"])
    assert "dev" not in PYPROJECT.get("tool", {}).get("uv", {}).get("default-groups", [])
    ci = (REPO / ".ci" / "run").read_text()
    assert "uv sync --frozen --group dev" in ci and "--group dev pytest" in ci


def test_every_runtime_dependency_is_imported_by_podium() -> None:
    modules = {"scikit-learn": "sklearn", "xgboost-cpu": "xgboost", "pyyaml": "yaml",
               "category-encoders": "category_encoders"}  # fmt: skip
    source = "\n".join(p.read_text() for p in (REPO / "src" / "podium").rglob("*.py"))
    for name in _names(PYPROJECT["project"]["dependencies"]):
        module = modules.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {module}\b", source, re.M), name
