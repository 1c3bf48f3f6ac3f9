"""Parameter checks in the style of scikit-learn's ``_parameter_constraints``.

A constraint says what a value may be and describes itself for the error message;
:func:`check_param` raises one ConfigError line naming the parameter, what it must be and
what it got. ``True``/``False`` are never numbers here (``isinstance(True, int)`` is true
in Python, a YAML ``n_splits: yes`` is a mistake).

Example:
    >>> check_param("n_splits", 5, Interval(Integral, 2), where="stage 'te'")
    >>> check_param("n_splits", True, Interval(Integral, 2))
    Traceback (most recent call last):
    podium.exceptions.ConfigError: n_splits must be an integer >= 2, got True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from podium.exceptions import ConfigError

__all__ = ["Integral", "Interval", "Real", "check_param", "is_number"]


def is_number(value: Any, kind: type = Real) -> bool:
    """``value`` is an instance of ``kind`` (``Integral`` or ``Real``) and not a bool."""
    return isinstance(value, kind) and not isinstance(value, bool)


@dataclass(frozen=True)
class Interval:
    """Numbers of ``kind`` (``Integral`` or ``Real``, never bool) in ``[low, high]``.

    ``closed`` is ``both``, ``left``, ``right`` or ``neither`` (which ends are included);
    a missing bound is open-ended. Real intervals also exclude NaN and infinities unless
    ``finite=False``.
    """

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"
    finite: bool = True

    def is_satisfied_by(self, value: Any) -> bool:
        if not is_number(value, self.kind):
            return False
        if self.finite and not math.isfinite(value):
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (value < self.low if left else value <= self.low):
            return False
        if self.high is not None and (value > self.high if right else value >= self.high):
            return False
        return True

    def __str__(self) -> str:
        what = "an integer" if self.kind is Integral else "a number"
        left = ">=" if self.closed in ("both", "left") else ">"
        right = "<=" if self.closed in ("both", "right") else "<"
        parts = []
        if self.low is not None:
            parts.append(f"{left} {_num(self.low)}")
        if self.high is not None:
            parts.append(f"{right} {_num(self.high)}")
        return " ".join([what, " and ".join(parts)]) if parts else what


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_param(
    name: str,
    value: Any,
    *constraints: Interval | None,
    where: str = "",
    expected: str | None = None,
) -> None:
    """ConfigError unless ``value`` satisfies one of ``constraints``.

    Args:
        name: the parameter, as the user wrote it.
        value: its value.
        constraints: what it may be; ``None`` allows None.
        where: prefix of the message (``"stage 'knn_features'"``), joined with ``": "``.
        expected: the message's description instead of the constraints' own.

    Raises:
        ConfigError: ``"<where>: <name> must be <expected>, got <value!r>"``.
    """
    for c in constraints:
        if c is None:
            if value is None:
                return
        elif c.is_satisfied_by(value):
            return
    if expected is None:
        expected = " or ".join("None" if c is None else str(c) for c in constraints)
    prefix = f"{where}: " if where else ""
    raise ConfigError(f"{prefix}{name} must be {expected}, got {value!r}")
