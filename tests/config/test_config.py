"""Config loading: precedence, dotted overrides and one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from podium.config import load_config, parse_override, set_path
from podium.engine import build_all, default_registry
from podium.exceptions import ConfigError


def _root(comp: Path) -> Path:
    return comp.parent.parent


def test_loads_and_merges_with_precedence(make_competition) -> None:
    comp = make_competition(config={"overrides": {"models.lgb.params.num_leaves": 5}})
    cfg = load_config("toy", root=_root(comp))
    assert cfg.pipeline.models["lgb"].params["num_leaves"] == 5
    assert cfg.pipeline.models["lgb"].params["n_estimators"] == 60
    cfg = load_config(
        "toy", root=_root(comp), overrides=["models.lgb.params.num_leaves=9", "cv.n_splits=3"]
    )
    assert cfg.pipeline.models["lgb"].params["num_leaves"] == 9
    assert cfg.competition.cv.n_splits == 3
    assert "--set models.lgb.params.num_leaves" in cfg.source_of("models.lgb.params.num_leaves")


def test_competition_by_path_and_seed(make_competition) -> None:
    comp = make_competition()
    cfg = load_config(comp, root=_root(comp), seed=123)
    assert cfg.competition.seed == 123
    assert cfg.competition_dir == comp


def test_list_items_addressed_by_name(make_competition) -> None:
    comp = make_competition()
    cfg = load_config("toy", root=_root(comp), overrides=["stages.cats.params.encoding=ordinal"])
    assert cfg.pipeline.stages[1].params == {"encoding": "ordinal"}
    with pytest.raises(ConfigError, match=r"no item named 'catz' - did you mean 'cats'"):
        load_config("toy", root=_root(comp), overrides=["stages.catz.params.encoding=x"])


def test_parse_override_reads_yaml_values() -> None:
    assert parse_override("a.b=3") == ("a.b", 3)
    assert parse_override("a=[x, y]") == ("a", ["x", "y"])
    assert parse_override("a=null") == ("a", None)
    with pytest.raises(ConfigError, match="expected key.path=value"):
        parse_override("novalue")


def test_set_path_creates_mappings() -> None:
    tree: dict = {"a": {"b": 1}}
    set_path(tree, "a.c.d", 2, source="x")
    assert tree == {"a": {"b": 1, "c": {"d": 2}}}


@pytest.mark.parametrize(
    ("config", "overrides", "match"),
    [
        (
            {"cv.n_split": 3},
            [],
            r"competition.yaml: cv.n_split: unknown key - did you mean 'n_splits'\?",
        ),
        ({"cv.n_splits": 1}, [], r"competition.yaml: cv.n_splits: must be >= 2, got 1"),
        (
            {"cv.n_splits": "five"},
            [],
            r"competition.yaml: cv.n_splits: input should be a valid integer.*got 'five'",
        ),
        (
            {"metric": "roc_aux"},
            [],
            r"competition.yaml: metric: unknown metric 'roc_aux' - did you mean 'roc_auc'\?",
        ),
        ({"metric": "rmse"}, [], r"metric 'rmse' does not fit task 'binary'"),
        (
            {"task": "binaryy"},
            [],
            r"competition.yaml: task: input should be 'binary', 'multiclass' or 'regression'",
        ),
        ({"cv.scheme": "group_kfold"}, [], r"scheme 'group_kfold' needs cv.groups"),
        ({"cv.scheme": "stratifed_kfold"}, [], r"did you mean 'stratified_kfold'"),
        (
            {},
            ["models.lgb.early_stopping.holdout=0.9"],
            r"--set models.lgb.early_stopping.holdout: models.lgb.early_stopping.holdout: must be in \(0, 0.5\), got 0.9",
        ),
        (
            {},
            ["models.lgb.paramz.x=1"],
            r"--set models.lgb.paramz.x: models.lgb.paramz: unknown key - did you mean 'params'\?",
        ),
        (
            {"overrides": {"modelz.lgb.use": "x"}},
            [],
            r"overrides.modelz.lgb.use: not a pipeline key - did you mean 'models'\?",
        ),
        ({"pipeline": "fats"}, [], r"pipeline 'fats' not found.*did you mean 'fast'\?"),
        (
            {"submission.kind": "label"},
            ["task=regression", "metric=rmse"],
            r"submission.kind 'label' does not fit task 'regression'",
        ),
    ],
)
def test_config_errors_name_file_and_key(make_competition, config, overrides, match) -> None:
    comp = make_competition(config=config)
    with pytest.raises(ConfigError, match=match):
        load_config("toy", root=_root(comp), overrides=overrides)


def test_missing_required_key(make_competition, delete) -> None:
    comp = make_competition(config={"data.target": delete})
    with pytest.raises(
        ConfigError, match=r"competition.yaml: data.target: required key is missing"
    ):
        load_config("toy", root=_root(comp))


def test_malformed_yaml_names_file_and_line(make_competition) -> None:
    comp = make_competition()
    (comp / "competition.yaml").write_text("name: toy\ndata: {target: [unclosed\n")
    with pytest.raises(ConfigError, match=r"competition.yaml:\d+:\d+: malformed YAML"):
        load_config("toy", root=_root(comp))


def test_unknown_competition_suggests(make_competition) -> None:
    comp = make_competition()
    with pytest.raises(ConfigError, match=r"competition 'tay' not found.*did you mean 'toy'"):
        load_config("tay", root=_root(comp))


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (
            ["models.lgb.use=lightgbn"],
            r"models.lgb.use: unknown model 'lightgbn' - did you mean 'lightgbm'\?",
        ),
        (
            ["stages.cats.use=categorcal"],
            r"stages.cats.use: unknown stage 'categorcal' - did you mean 'categorical'\?",
        ),
        (["models.lgb.use=ridge"], r"models.lgb: model 'ridge' does not support task 'binary'"),
    ],
)
def test_unknown_registry_names(make_competition, overrides, match) -> None:
    comp = make_competition()
    cfg = load_config("toy", root=_root(comp), overrides=overrides)
    with pytest.raises(ConfigError, match=match):
        build_all(cfg, default_registry())


def test_resolved_config_round_trips_as_yaml(make_competition) -> None:
    comp = make_competition()
    cfg = load_config("toy", root=_root(comp))
    data = yaml.safe_load(cfg.to_yaml())
    assert data["competition"]["name"] == "toy"
    assert data["pipeline"]["models"]["lgb"]["use"] == "lightgbm"


def test_shipped_configs_validate() -> None:
    root = Path(__file__).resolve().parents[2]
    for comp in ("telecom_churn", "house_prices"):
        for pipe in ("baseline", "strong"):
            cfg = load_config(comp, root=root, pipeline=pipe)
            assert build_all(cfg, default_registry())
