"""Search spaces: ``search_space`` entries of a pipeline turned into Optuna suggestions.

An entry maps a dotted ``--set`` path to a range::

    search_space:
      models.lgb.params.num_leaves: {int: [16, 256], log: true}
      models.lgb.params.learning_rate: {float: [0.01, 0.2], log: true}
      models.lgb.params.boosting: {categorical: [gbdt, dart]}
      models.lgb.params.drop_rate: {float: [0.05, 0.3], when: {models.lgb.params.boosting: dart}}
      stages.te.params.smoothing: {float: [0.1, 100], step: 0.1}

``int`` and ``float`` take ``[low, high]`` (both included) and optionally ``log: true`` or a
``step``; ``categorical`` takes a list of choices. ``when`` makes an entry conditional: it is
only sampled when every named entry took the given value (or one of a list of values);
otherwise the parameter keeps its pipeline value. Every trial's values become ``--set``
overrides (see :func:`format_override`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from podium._validate import Interval, Real, check_param
from podium.exceptions import ConfigError, did_you_mean

if TYPE_CHECKING:
    import optuna

__all__ = [
    "Param",
    "SearchSpace",
    "default_space",
    "format_override",
    "format_value",
    "parse_space",
]

_KINDS = ("int", "float", "categorical")
_KEYS = (*_KINDS, "log", "step", "when")


@dataclass(frozen=True)
class Param:
    """One search-space entry.

    Attributes:
        path: the dotted ``--set`` path, e.g. ``models.lgb.params.num_leaves``.
        kind: ``int``, ``float`` or ``categorical``.
        low, high: the range (``int``/``float``), both ends included.
        log: sample on a log scale.
        step: grid step (``int``/``float``), ``None`` for continuous.
        choices: the values of a ``categorical`` entry.
        when: path -> allowed values; the entry is sampled only if all hold.
    """

    path: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    choices: tuple[Any, ...] = ()
    when: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def suggest(self, trial: optuna.trial.BaseTrial) -> Any:
        """Ask ``trial`` for a value of this entry (named by its path)."""
        if self.kind == "categorical":
            return trial.suggest_categorical(self.path, list(self.choices))
        assert self.low is not None and self.high is not None  # set for int and float
        if self.kind == "int":
            return trial.suggest_int(
                self.path, int(self.low), int(self.high), step=int(self.step or 1), log=self.log
            )
        return trial.suggest_float(
            self.path, float(self.low), float(self.high), step=self.step, log=self.log
        )

    def describe(self) -> str:
        """Short text form, e.g. ``int [16, 256] log`` or ``categorical [gbdt, dart]``."""
        if self.kind == "categorical":
            text = f"categorical [{', '.join(map(str, self.choices))}]"
        else:
            text = f"{self.kind} [{self.low}, {self.high}]"
            text += " log" if self.log else ""
            text += f" step {self.step}" if self.step is not None else ""
        for path, values in self.when.items():
            text += f" when {path} in [{', '.join(map(str, values))}]"
        return text


@dataclass(frozen=True)
class SearchSpace:
    """Entries in sampling order (an entry comes after the entries its ``when`` names).

    Attributes:
        params: the entries.
        fixed: path -> value set on every trial (default spaces pin e.g. ``subsample_freq``).
        origin: where the entries came from (a pipeline file, or ``default for lightgbm``).
    """

    params: tuple[Param, ...]
    fixed: dict[str, Any] = field(default_factory=dict)
    origin: str = ""

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.params]

    def __len__(self) -> int:
        return len(self.params)

    def suggest(self, trial: optuna.trial.BaseTrial) -> dict[str, Any]:
        """Sample every active entry; return path -> value (inactive entries are absent)."""
        values: dict[str, Any] = {}
        for p in self.params:
            if all(values.get(dep, _MISSING) in ok for dep, ok in p.when.items()):
                values[p.path] = p.suggest(trial)
        return values

    def to_dict(self) -> dict[str, Any]:
        """The entries in YAML form (for logging)."""
        out: dict[str, Any] = {}
        for p in self.params:
            entry: dict[str, Any] = (
                {"categorical": list(p.choices)}
                if p.kind == "categorical"
                else {p.kind: [p.low, p.high]}
            )
            if p.log:
                entry["log"] = True
            if p.step is not None:
                entry["step"] = p.step
            if p.when:
                entry["when"] = {k: list(v) for k, v in p.when.items()}
            out[p.path] = entry
        return out


_MISSING = object()


def parse_space(raw: Mapping[str, Any], *, source: str = "search_space") -> SearchSpace:
    """Check ``search_space`` entries (kinds, ranges, conditions) and order them.

    Args:
        raw: path -> entry mapping, as read from YAML.
        source: file or label named in errors.

    Raises:
        ConfigError: one line naming the entry: an unknown key, an empty or inverted range,
            ``log`` with a non-positive bound, a ``when`` naming no entry or a value the
            entry never takes, a cycle of conditions.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: search_space: expected a mapping, got {type(raw).__name__}")
    params = {str(path): _parse_entry(str(path), spec, source) for path, spec in raw.items()}
    for p in params.values():
        for dep, values in p.when.items():
            where = f"{source}: search_space.{p.path}.when"
            if dep not in params:
                raise ConfigError(
                    f"{where}: {dep!r} is not a search_space entry{did_you_mean(dep, params)}"
                )
            parent = params[dep]
            if parent.kind == "categorical":
                never = [v for v in values if v not in parent.choices]
                if never:
                    raise ConfigError(
                        f"{where}: {dep} never takes {never[0]!r}; its choices are "
                        f"{list(parent.choices)}"
                    )
    return SearchSpace(params=tuple(_ordered(params, source)), origin=source)


def _parse_entry(path: str, spec: Any, source: str) -> Param:
    where = f"{source}: search_space.{path}"
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{where}: expected a mapping like {{int: [1, 10]}}, {{float: [0.1, 1], log: true}} "
            f"or {{categorical: [a, b]}}, got {spec!r}"
        )
    for key in spec:
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}{did_you_mean(str(key), _KEYS)}")
    kinds = [k for k in _KINDS if k in spec]
    if len(kinds) != 1:
        found = " and ".join(kinds) if kinds else "none"
        raise ConfigError(f"{where}: needs exactly one of int, float, categorical; got {found}")
    kind = kinds[0]
    when = _parse_when(spec.get("when"), where)
    if kind == "categorical":
        return _categorical(path, spec, where, when)
    bounds = spec[kind]
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        raise ConfigError(f"{where}: {kind} needs [low, high], got {bounds!r}")
    low, high = bounds
    for b in (low, high):
        if not Interval(Real).is_satisfied_by(b):
            raise ConfigError(f"{where}: {kind} bounds must be finite numbers, got {bounds!r}")
        if kind == "int" and not float(b).is_integer():
            raise ConfigError(f"{where}: int bounds must be whole numbers, got {bounds!r}")
    if low >= high:
        what = "empty" if low == high else "inverted"
        raise ConfigError(f"{where}: {what} range [{low}, {high}]; low must be below high")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: log must be true or false, got {log!r}")
    if log and low <= 0:
        raise ConfigError(f"{where}: log scale needs low > 0, got [{low}, {high}]")
    step = spec.get("step")
    if step is not None:
        if log:
            raise ConfigError(f"{where}: use log or step, not both")
        check_param("step", step, Interval(Real, 0, closed="neither"), where=where,
                    expected="a positive number")  # fmt: skip
        if kind == "int" and not float(step).is_integer():
            raise ConfigError(f"{where}: an int step must be a whole number, got {step!r}")
        if step > high - low:
            raise ConfigError(f"{where}: step {step} is wider than the range [{low}, {high}]")
    if kind == "int":
        low, high = int(low), int(high)
        step = int(step) if step is not None else None
    else:
        low, high = float(low), float(high)
    return Param(path, kind, low, high, log, step, when=when)


def _categorical(path: str, spec: Mapping[str, Any], where: str, when: Any) -> Param:
    choices = spec["categorical"]
    if not isinstance(choices, list | tuple) or not choices:
        raise ConfigError(f"{where}: categorical needs a non-empty list, got {choices!r}")
    for c in choices:
        if c is not None and not isinstance(c, bool | int | float | str):
            raise ConfigError(
                f"{where}: categorical choices must be numbers, strings, booleans or null, "
                f"got {c!r}"
            )
    if len(set(map(repr, choices))) != len(choices):
        raise ConfigError(f"{where}: categorical choices repeat: {list(choices)}")
    for key in ("log", "step"):
        if key in spec:
            raise ConfigError(f"{where}: {key} does not apply to categorical")
    return Param(path, "categorical", choices=tuple(choices), when=when)


def _parse_when(raw: Any, where: str) -> dict[str, tuple[Any, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"{where}.when: expected {{entry.path: value}}, got {raw!r}")
    return {str(k): tuple(v) if isinstance(v, list | tuple) else (v,) for k, v in raw.items()}


def _ordered(params: dict[str, Param], source: str) -> list[Param]:
    """Entries in file order, moved after the entries their ``when`` names."""
    done: dict[str, Param] = {}
    visiting: list[str] = []

    def visit(path: str) -> None:
        if path in done:
            return
        if path in visiting:
            cycle = " -> ".join([*visiting[visiting.index(path) :], path])
            raise ConfigError(f"{source}: search_space: conditions form a cycle: {cycle}")
        visiting.append(path)
        for dep in params[path].when:
            visit(dep)
        visiting.pop()
        done[path] = params[path]

    for path in params:
        visit(path)
    return list(done.values())


def format_value(value: Any) -> str:
    """``value`` as text that ``--set`` reads back as the same value (YAML)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        mantissa, e, exp = text.partition("e")
        if e and "." not in mantissa:  # YAML 1.1 reads 1e-05 as a string, 1.0e-05 as a float
            text = f"{mantissa}.0e{exp}"
        return text
    return yaml.safe_dump(str(value), default_style='"', width=math.inf).rstrip("\n")


def format_override(path: str, value: Any) -> str:
    """``path=value`` for :func:`podium.config.load_config` overrides."""
    return f"{path}={format_value(value)}"


def default_space(
    model: str, use: str, *, task: str | None = None, registry: Any = None
) -> SearchSpace | None:
    """The default space of registry model ``use`` (its adapter's ``search_space``) for
    pipeline model ``model``; ``registry`` (default: the built-in models) finds plug-ins.

    With ``task``, a task-aware model's space keeps only the parameters of its variant
    for that task (``linear``: ``C`` for classification, ``alpha`` for regression).

    Returns:
        A space over ``models.<model>.params.*``, or ``None`` if ``use`` declares none.
    """
    if registry is not None:
        cls = registry.model(use)
    else:
        from podium.models import MODEL_ADAPTERS

        cls = MODEL_ADAPTERS.get(use)
    entries = dict(getattr(cls, "search_space", None) or {})
    if not entries:
        return None
    if task is not None:
        try:
            used = cls(task=task).param_names()
        except Exception:  # a plug-in adapter that cannot say: its whole space
            used = None
        if used is not None:
            entries = {k: v for k, v in entries.items() if k in used}
    prefix = f"models.{model}.params."
    space = parse_space(
        {prefix + k: v for k, v in entries.items()}, source=f"default space of {use}"
    )
    fixed = {prefix + k: v for k, v in (getattr(cls, "search_fixed", None) or {}).items()}
    return SearchSpace(params=space.params, fixed=fixed, origin=f"default space of {use}")
