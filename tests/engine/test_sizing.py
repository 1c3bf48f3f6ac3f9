"""``below_rows``: a model's parameters for small training sets, applied once per run."""

from __future__ import annotations

import pytest

from podium.config import load_config
from podium.data import load_data, resolve_data_dir
from podium.engine import default_registry, prepare
from podium.exceptions import ConfigError

PIPELINE = {
    "models": {
        "lgb": {
            "use": "lightgbm",
            "params": {"num_leaves": 31, "n_estimators": 20, "min_child_samples": 5},
            "below_rows": {1000: {"num_leaves": 4}, 100: {"num_leaves": 2}},
        }
    }
}


def _plan(root, overrides=()):
    cfg = load_config("toy", root=root, pipeline="custom", overrides=overrides)
    comp = cfg.competition
    data = load_data(comp, resolve_data_dir(comp, cfg.competition_dir, None))
    return prepare(cfg, data, default_registry())


@pytest.mark.parametrize(("n_train", "leaves"), [(240, 4), (60, 2), (1500, 31)])
def test_the_smallest_bound_above_the_rows_applies(make_competition, tmp_path, n_train,
                                                   leaves) -> None:  # fmt: skip
    make_competition(pipeline=PIPELINE, n_train=n_train)
    plan = _plan(tmp_path)
    _, model = plan.models["lgb"]
    assert model.params["num_leaves"] == leaves
    assert plan.cfg.pipeline.models["lgb"].params["num_leaves"] == leaves  # what is logged
    assert bool(plan.sizing) == (leaves != 31)
    if plan.sizing:
        assert plan.sizing[0].startswith(f"lgb: {n_train:,} training rows < ")


def test_an_override_is_never_replaced(make_competition, tmp_path) -> None:
    make_competition(pipeline=PIPELINE)
    plan = _plan(tmp_path, overrides=("models.lgb.params.num_leaves=7",))
    assert plan.models["lgb"][1].params["num_leaves"] == 7
    assert plan.sizing == ()


def test_a_bad_name_is_refused_at_any_size(make_competition, tmp_path) -> None:
    bad = {"models": {"lgb": {**PIPELINE["models"]["lgb"],
                              "below_rows": {10: {"num_leavs": 4}}}}}  # fmt: skip
    make_competition(pipeline=bad)  # 240 rows: the bound does not apply, still checked
    with pytest.raises(ConfigError, match=r"below_rows\.10.*num_leavs.*did you mean 'num_leaves'"):
        _plan(tmp_path)


SEEDED = {"models": {"lgb": {**PIPELINE["models"]["lgb"], "seeds": 2,
                             "below_rows": {1000: {"num_leaves": 4, "seeds": 3}}}}}  # fmt: skip


@pytest.mark.parametrize(("n_train", "seeds"), [(240, 3), (1500, 2)])
def test_seeds_in_below_rows_set_the_seed_averaging(make_competition, tmp_path, n_train,
                                                    seeds) -> None:  # fmt: skip
    make_competition(pipeline=SEEDED, n_train=n_train)
    plan = _plan(tmp_path)
    spec = plan.cfg.pipeline.models["lgb"]
    assert spec.seeds == seeds
    assert "seeds" not in spec.params and "seeds" not in plan.models["lgb"][1].params
    if n_train < 1000:
        assert plan.sizing == ("lgb: 240 training rows < 1,000 -> num_leaves=4, seeds=3",)


def test_seeds_set_by_an_override_are_kept(make_competition, tmp_path) -> None:
    make_competition(pipeline=SEEDED)
    plan = _plan(tmp_path, overrides=("models.lgb.seeds=5",))
    assert plan.cfg.pipeline.models["lgb"].seeds == 5
    assert plan.sizing == ("lgb: 240 training rows < 1,000 -> num_leaves=4",)


@pytest.mark.parametrize("bad", [0, "three", True])
def test_bad_seeds_in_below_rows_are_refused(make_competition, tmp_path, bad) -> None:
    pipe = {"models": {"lgb": {**PIPELINE["models"]["lgb"], "below_rows": {10: {"seeds": bad}}}}}
    make_competition(pipeline=pipe)
    with pytest.raises(ConfigError, match=r"below_rows.*10: seeds must be an integer >= 1"):
        _plan(tmp_path)
