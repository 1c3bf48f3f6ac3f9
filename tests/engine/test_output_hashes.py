"""Outputs stay bit-identical: sha256 of the OOF predictions and of the submission bytes.

Runs telecom_churn and house_prices with the ``baseline``, ``strong`` and ``auto``
pipelines on the real data (``$PODIUM_DATA_DIR``), a fresh feature cache and a tracker that
records nothing, and compares each output's hash with ``output_hashes.json`` beside this
file; a change that alters a prediction by one bit fails here, naming the model. Recorded:
``baseline`` and ``strong`` at commit 4aa8768 (before the engine/tracking/config splits of
issue 14, which match them), ``auto`` after its small-data parameters and ``min_values``
(meant to change it); ``telecom_churn/strong`` (its blend only: every model's OOF is
unchanged) and ``auto`` on both again at commit 2138f30, whose weights blender and
small-data seeds are meant to change them.

Re-record (only when a change is *meant* to alter outputs, and say so in the commit):
``PODIUM_DATA_DIR=/work/shared/data uv run --group dev python tests/engine/test_output_hashes.py``
(``--only telecom_churn/auto`` records one case).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
HASHES = Path(__file__).with_name("output_hashes.json")
CASES = [
    (comp, pipe)
    for comp in ("telecom_churn", "house_prices")
    for pipe in ("baseline", "strong", "auto")
]


def _data_root() -> Path | None:
    base = os.environ.get("PODIUM_DATA_DIR")
    if not base:
        return None
    ok = all((Path(base) / comp / "train.csv").is_file() for comp, _ in CASES)
    return Path(base) if ok else None


DATA = _data_root()


def _sha(arr: np.ndarray) -> str:
    """Hash of the array's dtype, shape and bytes (C order)."""
    arr = np.ascontiguousarray(arr)
    head = f"{arr.dtype.str}{arr.shape}".encode()
    return hashlib.sha256(head + arr.tobytes()).hexdigest()


def output_hashes(competition: str, pipeline: str, tmp: Path) -> dict[str, object]:
    """Run one pipeline and hash what it produced."""
    from podium.config import RunRequest
    from podium.runner import run_competition
    from podium.tracking.base import NullTracker

    assert DATA is not None
    old = os.environ.get("PODIUM_CACHE_DIR")
    os.environ["PODIUM_CACHE_DIR"] = str(tmp / "cache")  # fresh: nothing read from a cache
    try:
        outcome = run_competition(
            RunRequest(competition, root=REPO, pipeline=pipeline, data_dir=DATA / competition),
            output=tmp / "submission.csv",
            tracker=NullTracker(),
        )
    finally:
        if old is None:
            os.environ.pop("PODIUM_CACHE_DIR", None)
        else:
            os.environ["PODIUM_CACHE_DIR"] = old
    res = outcome.result
    return {
        "oof": _sha(res.oof),
        "test": _sha(res.test),
        "submission": hashlib.sha256(outcome.submission.read_bytes()).hexdigest(),
        "models": {name: _sha(r.oof) for name, r in sorted(res.results.items())},
        "cv_mean": res.cv_mean,
    }


@pytest.mark.slow
@pytest.mark.hashes
@pytest.mark.skipif(DATA is None, reason="needs $PODIUM_DATA_DIR with telecom_churn, house_prices")
@pytest.mark.parametrize(("competition", "pipeline"), CASES, ids=[f"{c}-{p}" for c, p in CASES])
def test_outputs_match_recorded_hashes(competition: str, pipeline: str, tmp_path: Path) -> None:
    recorded = json.loads(HASHES.read_text())[f"{competition}/{pipeline}"]
    got = output_hashes(competition, pipeline, tmp_path)
    assert got["models"] == recorded["models"]  # names the model whose OOF moved
    for key in ("oof", "test", "submission"):
        assert got[key] == recorded[key], key


def _record(only: list[str]) -> None:
    import tempfile

    if DATA is None:
        sys.exit("set PODIUM_DATA_DIR to a folder with telecom_churn/ and house_prices/")
    table = json.loads(HASHES.read_text()) if HASHES.is_file() else {}
    for comp, pipe in CASES:
        key = f"{comp}/{pipe}"
        if only and key not in only:
            continue
        started = time.time()
        with tempfile.TemporaryDirectory() as tmp:
            table[key] = output_hashes(comp, pipe, Path(tmp))
        print(f"{key}: {table[key]['submission'][:12]} ({time.time() - started:.0f}s)")
        HASHES.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    _record([a for a in args[1:]] if args[:1] == ["--only"] else [])
