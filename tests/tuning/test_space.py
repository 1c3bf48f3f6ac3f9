"""Search-space entries: parsing, ordering, conditional sampling, overrides round trip."""

from __future__ import annotations

import math

import optuna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.config import parse_override
from podium.exceptions import ConfigError
from podium.tuning import format_override, parse_space

ISSUE_SPACE = {
    "models.lgb.params.num_leaves": {"int": [16, 256], "log": True},
    "models.lgb.params.learning_rate": {"float": [0.01, 0.2], "log": True},
    "stages.te.params.smoothing": {"float": [0.1, 100]},
    "models.lgb.params.drop_rate": {
        "float": [0.05, 0.3],
        "when": {"models.lgb.params.boosting": "dart"},
    },
    "models.lgb.params.boosting": {"categorical": ["gbdt", "dart"]},
    "models.lgb.params.max_bin": {"int": [63, 255], "step": 64},
}


def test_the_issue_example_parses_and_orders_conditions_after_their_parent():
    space = parse_space(ISSUE_SPACE)
    paths = space.paths
    assert paths.index("models.lgb.params.boosting") < paths.index("models.lgb.params.drop_rate")
    kinds = {p.path.rsplit(".", 1)[1]: (p.kind, p.log, p.step) for p in space.params}
    assert kinds["num_leaves"] == ("int", True, None)
    assert kinds["max_bin"] == ("int", False, 64)
    assert kinds["boosting"][0] == "categorical"


def test_conditional_entry_is_sampled_only_when_its_condition_holds():
    space = parse_space(ISSUE_SPACE)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(40):
        trial = study.ask()
        values = space.suggest(trial)
        boosting = values["models.lgb.params.boosting"]
        seen.add(boosting)
        assert ("models.lgb.params.drop_rate" in values) == (boosting == "dart")
        assert 16 <= values["models.lgb.params.num_leaves"] <= 256
        assert 0.01 <= values["models.lgb.params.learning_rate"] <= 0.2
        assert values["models.lgb.params.max_bin"] in (63, 127, 191, 255)
        study.tell(trial, 0.0)
    assert seen == {"gbdt", "dart"}


def test_when_accepts_a_list_of_values():
    space = parse_space(
        {
            "a": {"categorical": [1, 2, 3]},
            "b": {"float": [0, 1], "when": {"a": [2, 3]}},
        }
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(20):
        values = space.suggest(study.ask())
        assert ("b" in values) == (values["a"] in (2, 3))


BAD = [
    ({"p": {"float": [0.1, 0.1]}}, r"search_space.p: empty range \[0.1, 0.1\]"),
    ({"p": {"int": [256, 16]}}, r"search_space.p: inverted range \[256, 16\]"),
    ({"p": {"float": [0, 1], "log": True}}, r"log scale needs low > 0"),
    ({"p": {"float": [0.1, 1], "lgo": True}}, r"unknown key 'lgo' - did you mean 'log'\?"),
    ({"p": {"int": [1, 2], "float": [1, 2]}}, r"needs exactly one of int, float, categorical"),
    ({"p": {"categorical": []}}, r"categorical needs a non-empty list"),
    ({"p": {"int": [1.5, 4]}}, r"int bounds must be whole numbers"),
    ({"p": {"float": [1, "x"]}}, r"bounds must be finite numbers"),
    ({"p": {"float": [0, 1], "step": 2}}, r"step 2 is wider than the range"),
    ({"p": {"float": [0.1, 1], "log": True, "step": 0.1}}, r"use log or step, not both"),
    ({"p": [1, 2]}, r"expected a mapping like"),
    (
        {"p": {"float": [0, 1], "when": {"q": "x"}}},
        r"search_space.p.when: 'q' is not a search_space entry",
    ),
    (
        {"a": {"categorical": ["x", "y"]}, "p": {"float": [0, 1], "when": {"a": "z"}}},
        r"a never takes 'z'; its choices are \['x', 'y'\]",
    ),
    (
        {
            "a": {"categorical": [1, 2], "when": {"b": 1}},
            "b": {"categorical": [1, 2], "when": {"a": 1}},
        },
        r"conditions form a cycle: a -> b -> a",
    ),
]


@pytest.mark.parametrize(("raw", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_entries_name_the_entry_and_the_problem(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_space(raw, source="pipe.yaml")


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)


@given(scalars)
def test_override_text_reads_back_as_the_same_value(value):
    key, back = parse_override(format_override("models.m.params.p", value))
    assert key == "models.m.params.p"
    assert type(back) is type(value)
    if isinstance(value, float):
        assert back == value or (math.isnan(back) and math.isnan(value))
    else:
        assert back == value
