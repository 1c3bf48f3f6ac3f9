"""The feature cache: reused when only models change, missed when anything else does."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from podium.config import RunRequest, load_config
from podium.data import load_data, resolve_data_dir
from podium.engine import Plan, default_registry, prepare, run_models
from podium.engine.cache import FeatureCache, feature_cache_dir, wants_cache
from podium.engine.cache_store import NoRoundTrip, read_entry, same_frame, write_entry
from podium.stages import StageChain

LGB = {
    "use": "lightgbm",
    "params": {"n_estimators": 40, "learning_rate": 0.1, "num_leaves": 7, "min_child_samples": 5},
    "early_stopping": {"rounds": 10, "holdout": 0.2},
}
FEATURES = {
    "stages": [
        {"name": "numeric", "use": "to_numeric"},
        {"name": "te", "use": "target_encoder", "params": {"columns": ["color"]}},
        {"name": "count", "use": "counting"},
        {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
    ],
    "models": {"lgb": LGB},
}
N_FOLDS = 4  # the conftest competition's cv


class CountingStage:
    """A plug-in stage (defined outside podium) that counts its fits in this process."""

    fits = 0

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"scale": self.scale}

    def set_params(self, **params: Any) -> CountingStage:
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def fit(self, X: pd.DataFrame, y: Any = None, **_: Any) -> CountingStage:
        type(self).fits += 1
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.assign(x1_scaled=X["x1"] * self.scale)

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **kw: Any) -> pd.DataFrame:
        return self.fit(X, y, **kw).transform(X)


@pytest.fixture(autouse=True)
def _default_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests check the default folder under their tmp project (conftest points the
    cache elsewhere for every other test)."""
    monkeypatch.delenv("PODIUM_CACHE_DIR", raising=False)


@pytest.fixture
def project(make_competition) -> Path:
    """A project root with competition ``toy`` on the FEATURES pipeline."""
    comp = make_competition("toy", pipeline=FEATURES, config={"pipeline": "custom"})
    return comp.parent.parent


def _plan(root: Path, *overrides: str, seed: int | None = None) -> Plan:
    cfg = load_config("toy", root=root, overrides=overrides, seed=seed)
    data = load_data(cfg.competition, resolve_data_dir(cfg.competition, cfg.competition_dir, None))
    registry = default_registry()
    registry.add_stage("counting", CountingStage)
    return prepare(cfg, data, registry)


def _run(root: Path, *overrides: str, seed: int | None = None) -> tuple[Any, int]:
    """Run; return the model's CV result and the chain fits it made."""
    before = CountingStage.fits
    res = run_models(_plan(root, *overrides, seed=seed)).results["lgb"]
    return res, CountingStage.fits - before


def _entries(root: Path) -> list[Path]:
    folder = root / "cache" / "features" / "toy"
    return (
        sorted(p for p in folder.iterdir() if not p.name.startswith("."))
        if folder.exists()
        else []
    )


def test_default_folder_is_under_the_project_root(project) -> None:
    cfg = load_config("toy", root=project)
    assert feature_cache_dir(cfg) == project / "cache" / "features" / "toy"


def test_cache_dir_env_overrides_the_folder(project, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PODIUM_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert feature_cache_dir(load_config("toy", root=project)) == tmp_path / "elsewhere" / "toy"


def test_only_model_params_changed_recomputes_no_features(project) -> None:
    first, fits = _run(project)
    assert fits == N_FOLDS and first.cache_hits == 0
    assert len(_entries(project)) == N_FOLDS
    second, fits = _run(project, "models.lgb.params.learning_rate=0.2", "models.lgb.seeds=2")
    assert fits == 0
    assert second.cache_hits == N_FOLDS
    assert len(_entries(project)) == N_FOLDS


def test_hits_give_bit_identical_predictions(project) -> None:
    cold, _ = _run(project)
    warm, fits = _run(project)
    off, off_fits = _run(project, "cache=off")
    assert fits == 0 and off_fits == N_FOLDS and off.cache_hits is None
    for other in (warm, off):
        np.testing.assert_array_equal(cold.oof, other.oof)
        np.testing.assert_array_equal(cold.test, other.test)
        assert cold.fold_scores == other.fold_scores
        assert cold.best_iterations == other.best_iterations


def test_refit_on_all_rows_is_cached_too(project) -> None:
    cold, fits = _run(project, "test_predictions=refit")
    assert fits == N_FOLDS + 1 and cold.refit_cache_hit is False
    warm, fits = _run(project, "test_predictions=refit")
    assert fits == 0 and warm.refit_cache_hit is True and warm.cache_hits == N_FOLDS
    np.testing.assert_array_equal(cold.test, warm.test)
    np.testing.assert_array_equal(cold.oof, warm.oof)


@pytest.mark.parametrize(
    "overrides, seed",
    [
        (("stages.te.params.smoothing=3.0",), None),  # a stage parameter
        (("stages.count.params.scale=2.0",), None),  # a plug-in parameter
        (("cv.n_splits=4", "cv.shuffle=false"), None),  # the folds
        ((), 8),  # the seed
        (("data.drop=[grp]",), None),  # the frame, same files
    ],
)
def test_changes_the_features_depend_on_miss(project, overrides, seed) -> None:
    _run(project)
    res, fits = _run(project, *overrides, seed=seed)
    assert fits == N_FOLDS and res.cache_hits == 0


def test_changed_data_file_misses(project) -> None:
    _run(project)
    train = project / "competitions" / "toy" / "data" / "train.csv"
    frame = pd.read_csv(train)
    frame.loc[0, "x1"] += 1.0
    frame.to_csv(train, index=False)
    res, fits = _run(project)
    assert fits == N_FOLDS and res.cache_hits == 0


def test_permuted_target_misses(project) -> None:
    plan = _plan(project)
    run_models(plan)
    permuted = dataclasses.replace(plan, y=plan.y[::-1].copy())
    before = CountingStage.fits
    res = run_models(permuted).results["lgb"]
    assert CountingStage.fits - before == N_FOLDS and res.cache_hits == 0


def test_edited_plugin_source_misses(project, monkeypatch) -> None:
    _run(project)
    import podium.engine.cache_key as ck

    real = ck._file_digest
    monkeypatch.setattr(ck, "_file_digest", lambda *a: real(*a) + "-edited")
    res, fits = _run(project)
    assert fits == N_FOLDS and res.cache_hits == 0


def test_corrupt_entry_is_a_miss_and_rewritten(project) -> None:
    cold, _ = _run(project)
    entries = _entries(project)
    (entries[0] / "train.parquet").write_bytes(b"not parquet")
    (entries[1] / "meta.json").write_text("{")
    res, fits = _run(project)
    assert fits == 2 and res.cache_hits == N_FOLDS - 2
    np.testing.assert_array_equal(cold.oof, res.oof)
    res, fits = _run(project)
    assert fits == 0 and res.cache_hits == N_FOLDS


def test_interrupted_write_leaves_no_entry(project, monkeypatch) -> None:
    import podium.engine.cache_store as store

    def crash(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_move_into_place", crash)
    with pytest.raises(KeyboardInterrupt):
        _run(project)
    folder = project / "cache" / "features" / "toy"
    assert _entries(project) == [] and not any(folder.iterdir())


def test_cache_off_writes_nothing(project) -> None:
    res, fits = _run(project, "cache=off")
    assert fits == N_FOLDS and res.cache_hits is None
    assert not (project / "cache").exists()


def test_auto_skips_cheap_chains(make_competition) -> None:
    root = make_competition("toy").parent.parent  # the fast pipeline: preprocessing only
    res = run_models(_plan(root)).results["lgb"]
    assert res.cache_hits is None and not (root / "cache").exists()
    res = run_models(_plan(root, "cache=on")).results["lgb"]
    assert res.cache_hits == 0 and len(_entries(root)) == N_FOLDS


def test_wants_cache_modes() -> None:
    from podium.features import TargetEncoder
    from podium.stages import BUILTIN_STAGES

    cheap = StageChain([("n", BUILTIN_STAGES["to_numeric"]())])
    costly = StageChain([("te", TargetEncoder())])
    plugin = StageChain([("c", CountingStage())])
    assert not wants_cache(cheap, "auto") and wants_cache(cheap, "on")
    assert wants_cache(costly, "auto") and wants_cache(plugin, "auto")
    assert not wants_cache(costly, "off") and not wants_cache(StageChain([]), "auto")


def test_yaml_on_off_are_read_as_modes(project) -> None:
    assert load_config("toy", root=project, overrides=["cache=off"]).pipeline.cache == "off"
    assert load_config("toy", root=project, overrides=["cache=on"]).pipeline.cache == "on"
    assert load_config("toy", root=project).pipeline.cache == "auto"


def test_parallel_workers_share_the_cache_safely(project) -> None:
    pipe = ("stages.count.use=to_numeric", "stages.count.params={}")  # importable in workers
    serial, _ = _run(project, *pipe, "cache=off")
    cold, _ = _run(project, *pipe, "n_workers=2")
    warm, _ = _run(project, *pipe, "n_workers=2")
    assert cold.cache_hits == 0 and warm.cache_hits == N_FOLDS
    assert len(_entries(project)) == N_FOLDS
    for res in (cold, warm):
        np.testing.assert_array_equal(serial.oof, res.oof)
        np.testing.assert_array_equal(serial.test, res.test)


def test_unkeyable_parameter_disables_the_cache(tmp_path) -> None:
    chain = StageChain([("c", CountingStage(scale=object()))])  # type: ignore[arg-type]
    X = pd.DataFrame({"x1": [1.0, 2.0]})
    assert FeatureCache(tmp_path).slot(chain, X=X, y=np.array([0, 1]), X_test=None) is None


def _dtype_zoo() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "f": [1.0, np.nan, -0.0, 1e-300],
            "f32": np.array([1.5, 2, 3, 4], dtype="float32"),
            "i": np.array([1, 2, 3, 4], dtype="int32"),
            "b": [True, False, True, True],
            "s": pd.array(["a", None, "c", "d"], dtype="str"),
            "cs": pd.Categorical(["x", "y", None, "x"], categories=["y", "x", "z"]),
            "ci": pd.Categorical([3, 1, 3, 1], categories=[3, 1, 7], ordered=True),
            "cf": pd.Categorical([0.5, 1.5, 0.5, 0.5]),
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "t": pd.to_datetime(["2020-01-01", None, "2021-01-01", "2022-01-01"]),
        },
        index=pd.Index([5, 3, 9, 100], name="row"),
    )


@pytest.mark.parametrize("rows", [slice(None), slice(1, 3), slice(0, 0)])
def test_parquet_round_trip_is_exact(tmp_path, rows) -> None:
    frame = _dtype_zoo().iloc[rows]
    ranged = frame.reset_index(drop=True)
    assert write_entry(tmp_path / "e", {"train": frame, "valid": ranged}, {})
    back = read_entry(tmp_path / "e", ("train", "valid"))
    assert back is not None
    for original, got in ((frame, back["train"]), (ranged, back["valid"])):
        assert same_frame(original, got)
        pd.testing.assert_frame_equal(original, got, check_exact=True)
        assert [str(t) for t in original.dtypes] == [str(t) for t in got.dtypes]
    assert type(back["valid"].index) is pd.RangeIndex
    assert read_entry(tmp_path / "e", ("train", "test")) is None  # a missing part: a miss


def test_frames_that_do_not_round_trip_are_not_cached(tmp_path) -> None:
    for values in (["p", None], [1, "a"]):
        objects = pd.DataFrame({"o": pd.Series(values, dtype=object)})
        with pytest.raises(NoRoundTrip):
            write_entry(tmp_path / "e", {"train": objects}, {})
    with pytest.raises(NoRoundTrip):
        write_entry(tmp_path / "e", {"train": pd.DataFrame({0: [1.0]})}, {})
    assert not (tmp_path / "e").exists() and not any(tmp_path.iterdir())


def test_cli_cache_info_and_clear(project, monkeypatch) -> None:
    from podium.cli import commands  # noqa: F401  (registers the commands)
    from podium.cli.app import app

    _run(project)
    monkeypatch.setenv("PODIUM_ROOT", str(project))
    runner = CliRunner()
    info = runner.invoke(app, ["cache", "info"])
    assert info.exit_code == 0, info.output
    assert "toy" in info.output and f"total: {N_FOLDS} entries" in info.output
    cleared = runner.invoke(app, ["cache", "clear", "other"])
    assert cleared.exit_code == 0 and "removed 0 entries" in cleared.output
    cleared = runner.invoke(app, ["cache", "clear", "toy"])
    assert cleared.exit_code == 0 and f"removed {N_FOLDS} entries of toy" in cleared.output
    assert _entries(project) == []
    assert "empty" in runner.invoke(app, ["cache", "info"]).output


@pytest.mark.parametrize("tunes_stage", [False, True])
def test_tuning_trials_over_model_params_share_features(
    make_competition, monkeypatch, tunes_stage
) -> None:
    from podium.features import TargetEncoder
    from podium.tracking.base import NullTracker
    from podium.tuning import tune

    space: dict[str, Any] = {"models.lgb.params.num_leaves": {"int": [3, 15]}}
    if tunes_stage:
        space["stages.te.params.smoothing"] = {"float": [1.0, 50.0]}
    pipeline = {"stages": FEATURES["stages"][:2], "models": {"lgb": LGB}, "search_space": space}
    root = make_competition("toy", pipeline=pipeline, config={"pipeline": "custom"}).parent.parent
    fits = []
    real = TargetEncoder.fit_transform

    @functools.wraps(real)  # keeps the signature: the chain passes only declared params
    def counted(self: Any, *a: Any, **k: Any) -> Any:
        fits.append(1)
        return real(self, *a, **k)

    monkeypatch.setattr(TargetEncoder, "fit_transform", counted)
    res = tune(RunRequest("toy", root=root), n_trials=3, tracker=NullTracker, pruner="none")
    assert res.counts.complete == 3
    if tunes_stage:  # every trial has its own chain: auto does not cache
        assert len(fits) == 3 * N_FOLDS and _entries(root) == []
    else:
        assert len(fits) == N_FOLDS and len(_entries(root)) == N_FOLDS
