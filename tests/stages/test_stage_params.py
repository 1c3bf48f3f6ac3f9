"""``stage_params``: a stage's parameters declared once, as annotated fields."""

from __future__ import annotations

import inspect
from typing import ClassVar

import pandas as pd
import pytest
from sklearn.base import clone

from podium.stages import BaseStage, stage_params


@stage_params
class Shift(BaseStage):
    """Add ``by`` to ``columns``."""

    label: ClassVar[str] = "shift"
    columns: list[str] | None = None
    by: float = 1.0

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.assign(**{c: X[c] + self.by for c in self.columns or []})


@stage_params
class ShiftTwice(Shift):
    twice: bool = True


class Plain(BaseStage):
    """A plug-in written the plain scikit-learn way (no decorator)."""

    def __init__(self, day: int = 15) -> None:
        self.day = day


def test_generated_init_stores_the_fields_in_order() -> None:
    sig = inspect.signature(Shift.__init__)
    assert list(sig.parameters) == ["self", "columns", "by"]
    assert sig.parameters["by"].default == 1.0
    stage = Shift(["a"], 2.0)  # positional, as a hand-written __init__ allows
    assert stage.get_params() == {"columns": ["a"], "by": 2.0}
    assert "label" not in stage.get_params()


def test_clone_set_params_and_repr_stay_scikit_learns() -> None:
    stage = Shift(columns=["a"], by=3.0)
    copy = clone(stage)
    assert copy is not stage and copy.get_params() == stage.get_params()
    assert repr(Shift(by=3.0)) == "Shift(by=3.0)"
    assert Shift().set_params(by=5.0).by == 5.0
    assert Shift() != Shift()  # no field-wise equality: estimators compare by identity
    out = stage.fit_transform(pd.DataFrame({"a": [1.0, 2.0]}))
    assert out["a"].tolist() == [4.0, 5.0]


def test_subclass_fields_follow_the_parents() -> None:
    assert list(inspect.signature(ShiftTwice.__init__).parameters) == [
        "self", "columns", "by", "twice"
    ]
    assert clone(ShiftTwice(twice=False)).get_params()["twice"] is False


def test_plain_scikit_learn_init_is_kept() -> None:
    assert list(inspect.signature(Plain.__init__).parameters) == ["self", "day"]
    assert clone(Plain(day=3)).get_params() == {"day": 3}


def test_mutable_default_is_refused() -> None:
    with pytest.raises(ValueError, match="mutable default"):

        @stage_params
        class Bad(BaseStage):
            columns: list[str] = []  # noqa: RUF012
