"""podium._validate (parameter constraints) and podium.exceptions.one_line."""

from __future__ import annotations

import numpy as np
import pytest

from podium._validate import Integral, Interval, Real, check_param
from podium.exceptions import ConfigError, one_line


@pytest.mark.parametrize(
    ("value", "ok"),
    [(2, True), (np.int64(3), True), (True, False), (2.0, False), (1, False), ("2", False)],
)
def test_integer_interval_refuses_bools_floats_and_small_values(value, ok) -> None:
    assert Interval(Integral, 2).is_satisfied_by(value) is ok


def test_real_interval_ends_and_finiteness() -> None:
    positive = Interval(Real, 0, closed="neither")
    assert positive.is_satisfied_by(0.5) and not positive.is_satisfied_by(0.0)
    assert not Interval(Real).is_satisfied_by(float("nan"))
    assert Interval(Real, finite=False).is_satisfied_by(float("inf"))
    assert str(Interval(Real, 0, 1)) == "a number >= 0 and <= 1"


def test_check_param_names_the_parameter_and_value() -> None:
    check_param("n", None, None, Interval(Integral, 1))  # None allowed
    with pytest.raises(ConfigError, match=r"^stage 'x': n must be an integer >= 1, got True$"):
        check_param("n", True, Interval(Integral, 1), where="stage 'x'")
    with pytest.raises(ConfigError, match=r"^k must be None or an integer >= 2, got 0$"):
        check_param("k", 0, None, Interval(Integral, 2))


def test_one_line() -> None:
    assert one_line(ValueError("\n  first\nsecond")) == "first"
    assert one_line(OSError()) == "OSError"
    assert one_line(OSError(), default="") == ""
    assert one_line(KeyError("k"), typed=True) == "KeyError: 'k'"
    assert one_line(RuntimeError(), typed=True) == "RuntimeError"
