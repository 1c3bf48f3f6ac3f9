"""Reading, merging and validating configs.

Precedence: pipeline YAML < the competition's ``overrides`` < ``--set key.path=value``.
Every error names the file (or the override) and the key path, what was expected and
what was found.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from podium.config.pipeline_schema import PipelineConfig
from podium.config.schema import CompetitionConfig
from podium.exceptions import ConfigError, did_you_mean, one_line

__all__ = [
    "ResolvedConfig",
    "load_config",
    "read_yaml",
    "parse_override",
    "set_path",
    "find_competition_dir",
    "COMPETITION_FILE",
]

COMPETITION_FILE = "competition.yaml"
_PIPELINE_KEYS = frozenset(PipelineConfig.model_fields)


@dataclass(frozen=True)
class ResolvedConfig:
    """A competition and its pipeline, merged and validated once."""

    competition: CompetitionConfig
    pipeline: PipelineConfig
    competition_dir: Path
    competition_file: Path
    pipeline_file: Path
    pipeline_name: str
    sources: dict[str, str] = field(default_factory=dict)

    def source_of(self, path: str) -> str:
        """The file or override that last set ``path`` (for error messages)."""
        best = ""
        for p in self.sources:
            if (path == p or path.startswith(p + ".")) and len(p) > len(best):
                best = p
        if best:
            return self.sources[best]
        head = path.split(".", 1)[0]
        return str(self.pipeline_file if head in _PIPELINE_KEYS else self.competition_file)

    def to_dict(self) -> dict[str, Any]:
        return {
            "competition": self.competition.model_dump(mode="json"),
            "pipeline_name": self.pipeline_name,
            "pipeline": self.pipeline.model_dump(mode="json"),
        }

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping names a key twice (plain YAML keeps the last one silently)."""


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (a key that
    overrides a ``<<`` merge is not a repeat)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = first.get(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if seen is not None:
                    raise _DuplicateKey(
                        None, None, f"key {key!r} given twice (also at line {seen}); "
                        "YAML would keep only the last", key_node.start_mark,
                    )  # fmt: skip
                first[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping; malformed YAML, a key given twice or bytes that are not UTF-8
    are one ConfigError line naming file and line."""
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a YAML file")
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as exc:
        mark = exc.problem_mark
        raise ConfigError(f"{path}:{mark.line + 1}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or one_line(exc)
        raise ConfigError(f"{path}{where}: malformed YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top, got {type(data).__name__}")
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``key.path=value``; the value is read as YAML (``3`` is an int, ``[a, b]`` a list)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {text!r}: expected key.path=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def set_path(tree: dict[str, Any], path: str, value: Any, *, source: str) -> None:
    """Set a dotted ``path`` in ``tree``; list items are addressed by their ``name``."""
    parts = path.split(".")
    if not all(p.strip() for p in parts):
        raise ConfigError(
            f"{source}: key path {path!r} is malformed (an empty name before, between or "
            "after the dots); expected names joined by single dots, e.g. cv.n_splits"
        )
    node: Any = tree
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            idx = _list_index(node, part, path, source)
            if last:
                node[idx] = value
                return
            node = node[idx]
            continue
        if not isinstance(node, dict):
            where = ".".join(parts[:i])
            raise ConfigError(f"{source}: {path}: {where} is not a mapping")
        if last:
            node[part] = value
            return
        if node.get(part) is None:
            node[part] = {}
        node = node[part]


def _list_index(items: list[Any], part: str, path: str, source: str) -> int:
    names = [it.get("name") for it in items if isinstance(it, dict)]
    for idx, it in enumerate(items):
        if isinstance(it, dict) and it.get("name") == part:
            return idx
    if part.isdigit() and int(part) < len(items):
        return int(part)
    hint = did_you_mean(part, [n for n in names if n])
    raise ConfigError(f"{source}: {path}: no item named {part!r}{hint}")


def find_competition_dir(competition: str | Path, root: Path) -> Path:
    """A competition given as a path (folder or its YAML) or a name under ``competitions/``."""
    p = Path(competition)
    if p.is_file():
        return p.parent
    if p.is_dir() and (p / COMPETITION_FILE).is_file():
        return p
    candidate = root / "competitions" / str(competition)
    if (candidate / COMPETITION_FILE).is_file():
        return candidate
    known = []
    if (root / "competitions").is_dir():
        known = [d.name for d in (root / "competitions").iterdir() if d.is_dir()]
    raise ConfigError(
        f"competition {str(competition)!r} not found: no {candidate / COMPETITION_FILE}"
        f"{did_you_mean(str(competition), known)}"
    )


def _find_pipeline(name: str, comp_dir: Path, root: Path) -> Path:
    p = Path(name)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p
    dirs = [comp_dir / "pipelines", comp_dir.parent.parent / "pipelines", root / "pipelines"]
    for d in dirs:
        if (d / f"{name}.yaml").is_file():
            return d / f"{name}.yaml"
    known = {f.stem for d in dirs if d.is_dir() for f in d.glob("*.yaml")}
    raise ConfigError(
        f"pipeline {name!r} not found in {root / 'pipelines'}{did_you_mean(name, known)}"
    )


def _validate(model: type[BaseModel], data: dict[str, Any], label: Any) -> Any:
    try:
        # A config that names a plug-in may use the plug-in's cv schemes and metrics.
        return model.model_validate(data, context={"plugins": bool(data.get("plugins"))})
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, data, label)) from None


def _format_error(exc: ValidationError, data: dict[str, Any], label: Any) -> str:
    err = exc.errors(include_url=False)[0]
    path = _display_path(err["loc"], data)
    msg = str(err["msg"]).removeprefix("Value error, ")
    kind = err["type"]
    unknown = re.match(r"unknown key '(.+?)'(.*)$", msg)
    if unknown:
        path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
        msg = "unknown key" + unknown.group(2)
    source = label(path) if callable(label) else str(label)
    if kind == "missing":
        return f"{source}: {path}: required key is missing"
    if kind == "value_error" or kind.startswith("assertion"):
        return f"{source}: {path}: {msg}" if path else f"{source}: {msg}"
    found = err.get("input")
    return f"{source}: {path}: {msg[0].lower() + msg[1:]}, got {found!r}"


def _display_path(loc: tuple[Any, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            item = node[part] if part < len(node) else None
            parts.append(str(item.get("name", part)) if isinstance(item, dict) else str(part))
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)


def load_config(
    competition: str | Path,
    *,
    root: Path,
    pipeline: str | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    seed: int | None = None,
) -> ResolvedConfig:
    """Load, merge and validate a competition with its pipeline.

    Args:
        competition: a name under ``root/competitions`` or a path.
        root: the project folder (holds ``competitions/`` and ``pipelines/``).
        pipeline: pipeline name or YAML path; default the competition's ``pipeline``.
        overrides: ``key.path=value`` strings (``--set``); pipeline keys or competition keys.
        seed: replaces the competition seed.

    Raises:
        ConfigError: naming the file or override, the key path, expected and found.
    """
    comp_dir = find_competition_dir(competition, root)
    comp_file = comp_dir / COMPETITION_FILE
    if Path(competition).is_file():
        comp_file = Path(competition)
    comp_raw = read_yaml(comp_file)
    sources: dict[str, str] = {}
    cli = [parse_override(o) for o in overrides]
    for key, value in cli:
        if key.split(".", 1)[0] not in _PIPELINE_KEYS:
            set_path(comp_raw, key, value, source=f"--set {key}")
            sources[key] = f"--set {key}"
    if seed is not None:
        comp_raw["seed"] = seed
        sources["seed"] = "--seed"
    comp = _validate(CompetitionConfig, comp_raw, lambda p: _source(sources, p, comp_file))

    pipe_name = pipeline or comp.pipeline
    pipe_file = _find_pipeline(pipe_name, comp_dir, root)
    pipe_raw = copy.deepcopy(read_yaml(pipe_file))
    specific = comp.pipeline_overrides.get(Path(pipe_name).stem, {})
    for section, items in (
        ("overrides", comp.overrides),
        (f"pipeline_overrides.{Path(pipe_name).stem}", specific),
    ):
        for key, value in items.items():
            if key.split(".", 1)[0] not in _PIPELINE_KEYS:
                raise ConfigError(
                    f"{comp_file}: {section}.{key}: not a pipeline key"
                    f"{did_you_mean(key.split('.', 1)[0], _PIPELINE_KEYS)}"
                )
            set_path(pipe_raw, key, value, source=f"{comp_file}: {section}")
            sources[key] = f"{comp_file} ({section}.{key})"
    for key, value in cli:
        if key.split(".", 1)[0] in _PIPELINE_KEYS:
            set_path(pipe_raw, key, value, source=f"--set {key}")
            sources[key] = f"--set {key}"
    pipe = _validate(PipelineConfig, pipe_raw, lambda p: _source(sources, p, pipe_file))
    return ResolvedConfig(
        competition=comp,
        pipeline=pipe,
        competition_dir=comp_dir,
        competition_file=comp_file,
        pipeline_file=pipe_file,
        pipeline_name=Path(pipe_name).stem,
        sources=sources,
    )


def _source(sources: dict[str, str], path: str, default: Path) -> str:
    best = max(
        (p for p in sources if path == p or path.startswith(p + ".") or p.startswith(path + ".")),
        key=len,
        default="",
    )
    return sources[best] if best else str(default)
