"""Errors raised by podium.

Every error is written for a person: it names the file, column or key that is wrong,
what was expected and what was found. The CLI prints ``str(error)`` on one line and
exits with code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "PodiumError",
    "ConfigError",
    "ParamError",
    "DataError",
    "LeakageError",
    "SubmissionError",
    "NotFittedError",
    "TrackingError",
    "did_you_mean",
    "one_line",
    "plain",
]


class PodiumError(ValueError):
    """Base class of podium's user-facing errors (bad input, not bugs)."""


class ConfigError(PodiumError):
    """A competition or pipeline config is malformed or names something unknown."""


class ParamError(ConfigError):
    """A model or stage parameter is unknown or has a bad value.

    ``key`` is its path below the model or stage (``params.num_leaves``), ``reason`` what
    is wrong with it; callers that know where the parameters came from prefix the key.
    """

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return type(self), (self.key, self.reason)


class DataError(PodiumError):
    """A data file is missing or its contents break the competition's contract."""


class LeakageError(PodiumError):
    """A configuration would let the target of validation rows reach training."""


class SubmissionError(PodiumError):
    """Predictions do not fit the competition's submission format."""


class TrackingError(PodiumError):
    """The tracking store cannot be used."""


class NotFittedError(PodiumError, AttributeError):
    """A fitted attribute was read before ``fit`` was called."""


def plain(value: object) -> str:
    """``repr`` of a value for a message: numpy scalars as plain Python values (``1465``,
    not ``np.int64(1465)``)."""
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        try:
            value = item()
        except (TypeError, ValueError):
            pass
    return repr(value)


def one_line(exc: BaseException, *, typed: bool = False, default: str | None = None) -> str:
    """The first line of an exception's message, for a one-line report.

    Leading and trailing blank space is dropped first. A message with no text gives the
    exception's type name (or ``default`` when given).

    Args:
        exc: the exception.
        typed: prefix the type name (``"OSError: disk full"``; ``"OSError"`` alone when
            there is no message).
        default: what an empty message gives instead of the type name (ignored with
            ``typed``).
    """
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    name = type(exc).__name__
    if typed:
        return f"{name}: {first}" if first else name
    if first:
        return first
    return name if default is None else default


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``" - did you mean 'x'?"`` for the closest choice, or a list of choices."""
    options = sorted(set(choices))
    same = [o for o in options if o.casefold() == name.casefold() and o != name]
    if same:  # 'ID' for 'id': a case slip is closer than any spelling
        return f" - did you mean {same[0]!r}?"
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return f" - did you mean {close[0]!r}?"
    if options and len(options) <= 12:
        return " - expected one of: " + ", ".join(repr(o) for o in options)
    return ""
