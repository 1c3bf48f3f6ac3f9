"""A reference of every registered stage and model, taken from signatures and docstrings.

``podium stages`` and ``podium models`` print it; the README's reference section is this
module's markdown, between ``<!-- reference:start -->`` and ``<!-- reference:end -->``
(``python -m podium.engine.reference README.md`` rewrites it; a test checks it is current).
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium.registry import Registry

__all__ = [
    "START",
    "END",
    "Entry",
    "entries",
    "readme_section",
    "reference_text",
    "update_readme",
]

START = "<!-- reference:start -->"
END = "<!-- reference:end -->"
_TASKS = ("binary", "multiclass", "regression")


@dataclass(frozen=True)
class Entry:
    """One stage or model: its name, summary, parameters and (models) defaults and tasks."""

    kind: str
    name: str
    summary: str
    leakage: str
    params: list[tuple[str, str, str]]  # (name, default, description)
    defaults: dict[str, str]
    tasks: tuple[str, ...]
    origin: str


def _doc(cls: Callable[..., Any]) -> str:
    return inspect.cleandoc(cls.__doc__ or "")


def _summary(doc: str) -> str:
    first = doc.split("\n\n", 1)[0]
    return " ".join(first.split())


def _leakage(doc: str) -> str:
    """The first sentence of the docstring's ``Leakage:`` paragraph."""
    m = re.search(r"(?:\*\*)?Leakage:?(?:\*\*)?:?\s*(.+?)(?:\n\s*\n|$)", doc, flags=re.S)
    if not m:
        return ""
    return re.split(r"(?<=\.)\s", " ".join(m.group(1).split()), maxsplit=1)[0]


def _plain(text: str) -> str:
    """reST markup as markdown code spans: ``x`` and :class:`~a.B` become `x` and `B`."""
    text = re.sub(r":\w+:`~?([\w.]+)`", lambda m: "`" + m.group(1).split(".")[-1] + "`", text)
    return text.replace("``", "`")


def _arg_docs(doc: str) -> dict[str, str]:
    """``name: text`` entries of a Google-style ``Args:`` section (continuation lines joined)."""
    m = re.search(r"^Args:\n((?:[ \t]+.*\n?|\n)+)", doc, flags=re.M)
    if not m:
        return {}
    out: dict[str, str] = {}
    current = None
    for line in m.group(1).splitlines():
        head = re.match(r"^\s{2,8}(\w+)(?: \([^)]*\))?:\s*(.*)$", line)
        if head and (current is None or len(line) - len(line.lstrip()) <= 8):
            current = head.group(1)
            out[current] = head.group(2).strip()
        elif current and line.strip():
            out[current] += " " + line.strip()
    return out


def _params(cls: Callable[..., Any]) -> list[tuple[str, str, str]]:
    docs = _arg_docs(_doc(cls))
    rows = []
    for p in inspect.signature(cls).parameters.values():
        if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = "required" if p.default is p.empty else repr(p.default)
        rows.append((p.name, default, _plain(docs.get(p.name, ""))))
    return rows


def _model_defaults(cls: Callable[..., Any]) -> dict[str, str]:
    """The parameters the adapter sets, per task where they differ (seed 0, 1 thread)."""
    per_task: dict[str, dict[str, Any]] = {}
    for task in sorted(getattr(cls, "tasks", ()) or ()):
        adapter = cls(task=task, params={}, seed=0, n_jobs=1)
        defaults = getattr(adapter, "_defaults", None)
        per_task[task] = dict(defaults()) if callable(defaults) else {}
    keys = sorted({k for d in per_task.values() for k in d})
    out = {}
    for k in keys:
        values = {t: d[k] for t, d in per_task.items() if k in d}
        if len({repr(v) for v in values.values()}) == 1 and len(values) == len(per_task):
            out[k] = repr(next(iter(values.values())))
        else:
            out[k] = ", ".join(f"{v!r} ({t})" for t, v in values.items())
    return out


def entries(registry: Registry, kind: str) -> list[Entry]:
    """The registry's stages (``kind="stage"``) or models (``kind="model"``), by name."""
    names = registry.stages if kind == "stage" else registry.models
    out = []
    for name in names:
        cls = registry.stage(name) if kind == "stage" else registry.model(name)
        doc = _doc(cls)
        model = kind == "model"
        out.append(
            Entry(
                kind=kind,
                name=name,
                summary=_plain(_summary(doc)),
                leakage=_plain(_leakage(doc)),
                params=[] if model else _params(cls),
                defaults=_model_defaults(cls) if model else {},
                tasks=tuple(t for t in _TASKS if t in getattr(cls, "tasks", ())),
                origin=registry.origin(kind, name),
            )
        )
    return out


def _text(e: Entry) -> list[str]:
    origin = "" if e.origin == "built-in" else f"  [{e.origin}]"
    lines = [f"{e.name}{origin}", f"  {e.summary}"]
    if e.leakage:
        lines.append(f"  leakage: {e.leakage}")
    if e.kind == "model":
        lines.append(f"  tasks: {', '.join(e.tasks)}")
        lines += [f"  {k} = {v}" for k, v in e.defaults.items()]
    for name, default, desc in e.params:
        lines.append(f"  {name} = {default}" + (f"  {desc}" if desc else ""))
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown(e: Entry) -> list[str]:
    lines = [f"- **`{e.name}`**: {e.summary}"]
    if e.leakage:
        lines[0] += f" *Leakage:* {e.leakage}"
    if e.kind == "model":
        lines[0] += f" Tasks: {', '.join(e.tasks)}."
        if e.defaults:
            lines[0] += " Defaults: " + ", ".join(
                f"`{k}={_cell(v)}`" for k, v in e.defaults.items()
            )
        return lines
    for name, default, desc in e.params:
        lines.append(f"  - `{name}` = `{_cell(default)}`" + (f": {desc}" if desc else ""))
    return lines


def reference_text(registry: Registry, kind: str, *, markdown: bool = False) -> str:
    """Every stage (``kind="stage"``) or model (``"model"``) as plain text or markdown."""
    render = _markdown if markdown else _text
    blocks = ["\n".join(render(e)) for e in entries(registry, kind)]
    return ("\n" if markdown else "\n\n").join(blocks) + "\n"


def readme_section(registry: Registry) -> str:
    """The README's generated reference (stages, then models), markers excluded."""
    intro = (
        "Generated from the code (`podium stages`, `podium models`; regenerate with "
        "`python -m podium.engine.reference README.md`). Model parameters pass through to "
        "the library; the defaults listed are the ones podium sets (seed and threads come "
        "from the competition and `n_jobs`).\n"
    )
    return (
        f"{intro}\n**Stages** (parameter = default):\n\n"
        f"{reference_text(registry, 'stage', markdown=True)}\n"
        f"**Models**:\n\n{reference_text(registry, 'model', markdown=True)}"
    )


def update_readme(path: Path, registry: Registry) -> bool:
    """Rewrite the section between the markers of ``path``; return whether it changed.

    Raises:
        ValueError: the file lacks the markers.
    """
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{path}: no {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{readme_section(registry)}{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def current_section(path: Path) -> str:
    """The text between the markers of ``path`` (for the README check)."""
    text = path.read_text(encoding="utf-8")
    return text.split(START, 1)[1].split(END, 1)[0].removeprefix("\n")


if __name__ == "__main__":  # python -m podium.engine.reference README.md
    from podium.engine.build import default_registry

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    changed = update_readme(target, default_registry())
    print(f"{target}: {'updated' if changed else 'up to date'}")
