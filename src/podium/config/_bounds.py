"""Numeric bounds of config fields, one validator for all of them (``Annotated`` metadata).

Example:
    >>> class Spec(BaseModel):
    ...     n_splits: Annotated[int, at_least(2)] = 5
    ...     tail: Annotated[float, inside(0, 1)] | None = None

A value out of bounds is one line: ``must be >= 2, got 1`` / ``must be in (0, 1), got 1.5``.
"""

from __future__ import annotations

from typing import Any

from pydantic import AfterValidator

__all__ = ["at_least", "inside"]


def at_least(low: float) -> AfterValidator:
    """Values below ``low`` are refused."""

    def check(v: Any) -> Any:
        if v < low:
            raise ValueError(f"must be >= {low}, got {v}")
        return v

    return AfterValidator(check)


def inside(low: float, high: float) -> AfterValidator:
    """Values outside the open interval ``(low, high)`` are refused."""

    def check(v: Any) -> Any:
        if not low < v < high:
            raise ValueError(f"must be in ({low}, {high}), got {v}")
        return v

    return AfterValidator(check)
