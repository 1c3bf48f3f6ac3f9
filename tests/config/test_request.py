"""RunRequest: the one typed request the CLI and podium.api build and pass down."""

from __future__ import annotations

import pickle
from pathlib import Path

from podium.config import RunRequest, load_config


def test_a_request_resolves_the_config_its_fields_name(make_competition) -> None:
    root = make_competition().parent.parent
    request = RunRequest("toy", root=root, overrides=["cv.n_splits=3"], seed=7)
    assert request.overrides == ("cv.n_splits=3",)  # a list is kept as a tuple
    cfg = request.config()
    direct = load_config("toy", root=root, overrides=["cv.n_splits=3"], seed=7)
    assert cfg.competition.cv.n_splits == 3 and cfg.competition.seed == 7
    assert cfg.competition.model_dump() == direct.competition.model_dump()
    assert cfg.pipeline.model_dump() == direct.pipeline.model_dump()
    assert cfg.sources == direct.sources


def test_a_request_is_picklable_and_hashable_for_worker_processes() -> None:
    request = RunRequest("toy", root=Path("/p"), pipeline="fast", data_dir=Path("/d"))
    assert pickle.loads(pickle.dumps(request)) == request
    assert hash(request) == hash(RunRequest("toy", root=Path("/p"), pipeline="fast",
                                            data_dir=Path("/d")))  # fmt: skip
