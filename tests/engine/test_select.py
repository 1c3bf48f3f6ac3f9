"""Kind selectors: ``columns: {kind: ...}`` resolved to column lists when chains are built."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from podium.config import load_config
from podium.data import CompetitionData, load_data, resolve_data_dir
from podium.engine import default_registry, prepare
from podium.engine.cache_key import chain_description
from podium.engine.select import resolve_columns, select_columns
from podium.exceptions import ConfigError
from podium.features import FEATURE_STAGES
from podium.stages import BUILTIN_STAGES

KINDS = {"x1": "numeric", "x2": "numeric", "color": "categorical", "spent": "text"}


@dataclasses.dataclass(frozen=True, eq=False)
class KindedData(CompetitionData):
    """CompetitionData with the column profile the loader is getting."""

    kinds: dict[str, str] | None = None


def test_selectors_become_lists_in_column_order() -> None:
    assert select_columns({"kind": "numeric"}, KINDS, "w") == ["x1", "x2"]
    assert select_columns({"kind": ["text", "categorical"]}, KINDS, "w") == ["color", "spent"]
    assert select_columns({"kind": "numeric", "exclude": ["x1"]}, KINDS, "w") == ["x2"]
    assert select_columns({"kind": "datetime"}, KINDS, "w") == []  # nothing matches: []
    params = {"columns": {"kind": "numeric"}, "by": {"kind": "categorical"}, "aggs": ["mean"]}
    out = resolve_columns(params, KINDS, "stages.agg")
    assert out == {"columns": ["x1", "x2"], "by": ["color"], "aggs": ["mean"]}
    assert params["columns"] == {"kind": "numeric"}  # not modified in place
    assert resolve_columns({"columns": ["x1"]}, None, "w") == {"columns": ["x1"]}


@pytest.mark.parametrize(
    ("selector", "kinds", "message"),
    [
        ({"kind": "numeric"}, None, r"^stages\.te\.params\.columns: a kind selector needs"),
        (
            {"kind": "categorcal"},
            KINDS,
            r"columns\.kind: unknown column kind 'categorcal' - "
            r"did you mean 'categorical'\?",
        ),
        ({"kinds": "numeric"}, KINDS, r"unknown selector key 'kinds' - did you mean 'kind'\?"),
        ({"exclude": ["x1"]}, KINDS, r"a column selector needs 'kind'"),
        (
            {"kind": "numeric", "exclude": ["colr"]},
            KINDS,
            r"columns\.exclude: 'colr' is not a "
            r"feature column - did you mean 'color'\?",
        ),
        ({"kind": []}, KINDS, r"expected a kind or a list of kinds"),
    ],
)
def test_bad_selectors_are_one_line_errors(selector, kinds, message) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        resolve_columns({"columns": selector}, kinds, "stages.te")
    assert "\n" not in str(err.value)


def _plan(root: Path, kinds: dict[str, str] | None):
    cfg = load_config("toy", root=root, pipeline="custom")
    data = load_data(cfg.competition, resolve_data_dir(cfg.competition, cfg.competition_dir, None))
    if kinds is not None:
        data = KindedData(
            **{f.name: getattr(data, f.name) for f in dataclasses.fields(data)}, kinds=kinds
        )
    return prepare(cfg, data, default_registry())


PIPELINE = {
    "stages": [
        {"name": "numeric", "use": "to_numeric"},
        {
            "name": "te",
            "use": "target_encoder",
            "params": {"columns": {"kind": ["categorical", "text"], "exclude": ["spent"]}},
        },
        {"name": "cats", "use": "categorical", "params": {"columns": {"kind": "categorical"}}},
    ],
    "models": {
        "lin": {
            "use": "logistic_regression",
            "stages": [
                {
                    "name": "scale",
                    "use": "standard_scaler",
                    "params": {"columns": {"kind": "numeric"}},
                }
            ],
        }
    },
}


def test_prepare_resolves_selectors_from_the_data_kinds(make_competition) -> None:
    root = make_competition("toy", pipeline=PIPELINE).parent.parent
    plan = _plan(root, KINDS)
    chain, _ = plan.models["lin"]
    out = chain.fit_transform(plan.data.train, plan.y)
    assert "te_color" in out and isinstance(out["color"].dtype, pd.CategoricalDtype)
    steps = dict(chain.steps)
    assert steps["te"].columns == ["color"]
    assert steps["cats"].columns == ["color"]
    assert steps["scale"].columns == ["x1", "x2"]
    # the cache key hashes stage params: other kinds give another chain description
    other = {**KINDS, "x2": "categorical"}
    chain2, _ = _plan(root, other).models["lin"]
    assert dict(chain2.steps)["cats"].columns == ["x2", "color"]  # kinds order
    assert chain_description(chain)[0] != chain_description(chain2)[0]


def test_selector_uses_the_loaded_profile(make_competition) -> None:
    """Without a hand-made kinds dict the loader's profile answers: toy's text column
    ``color`` is categorical, its measurements are not."""
    root = make_competition("toy", pipeline=PIPELINE).parent.parent
    plan = _plan(root, None)
    steps = dict(plan.models["lin"][0].steps)
    assert steps["te"].columns == ["color"]
    assert steps["scale"].columns == ["x1", "x2", "spent"]  # numbers stored as text too


def _frame(n: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.integers(0, 3, n),
            "p": np.arange(n) % 10,
            "s": pd.Series(rng.choice(["u", "v"], n), dtype="str"),
        }
    )
    return X, rng.integers(0, 2, n)


STAGES = {**BUILTIN_STAGES, **FEATURE_STAGES}
WITH_COLUMNS = sorted(n for n, cls in STAGES.items() if "columns" in cls().get_params())


@pytest.mark.parametrize("name", WITH_COLUMNS)
def test_an_empty_selection_is_a_no_op(name) -> None:
    params = resolve_columns({"columns": {"kind": "datetime"}}, KINDS, f"stages.{name}")
    assert params == {"columns": []}
    if name == "lag_features":
        params["period"] = "p"
        params["target_lags"] = ()
    X, y = _frame()
    stage = STAGES[name](**params)
    pd.testing.assert_frame_equal(stage.fit_transform(X, y), X)
    pd.testing.assert_frame_equal(stage.transform(X), X)
