"""The submission validator and the atomic writer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from podium.config import SubmissionSpec
from podium.exceptions import SubmissionError
from podium.submission import build_submission, validate_submission, write_submission

SPEC = SubmissionSpec(id="Id", target="Churn", kind="probability")


@pytest.fixture
def sample() -> pd.DataFrame:
    return pd.DataFrame({"Id": [10, 11, 12, 13], "Churn": 0.5})


def test_build_follows_the_sample_id_order(sample) -> None:
    test_ids = pd.Series([13, 12, 11, 10])
    frame = build_submission(
        sample, test_ids, np.array([0.4, 0.3, 0.2, 0.1]), spec=SPEC, task="binary"
    )
    assert frame["Id"].tolist() == [10, 11, 12, 13]
    assert frame["Churn"].tolist() == [0.1, 0.2, 0.3, 0.4]
    validate_submission(frame, sample, spec=SPEC)


def test_labels_are_decoded(sample) -> None:
    spec = SubmissionSpec(id="Id", target="Churn", kind="label")
    classes = np.array(["no", "yes"])
    frame = build_submission(
        sample,
        sample["Id"],
        np.array([0.9, 0.1, 0.6, 0.4]),
        spec=spec,
        task="binary",
        classes=classes,
    )
    assert frame["Churn"].tolist() == ["yes", "no", "yes", "no"]
    validate_submission(frame, sample, spec=spec, classes=classes)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda f: f.rename(columns={"Churn": "churn"}), "columns"),
        (lambda f: f.iloc[:3], "3 rows, the sample submission has 4"),
        (
            lambda f: f.iloc[[1, 0, 2, 3]].reset_index(drop=True),
            "does not list the sample's ids in its order",
        ),
        (lambda f: f.assign(Churn=[0.1, np.nan, 0.3, 0.4]), "1 missing predictions"),
        (lambda f: f.assign(Churn=[0.1, np.inf, 0.3, 0.4]), "1 predictions are inf"),
        (lambda f: f.assign(Churn=[0.1, 1.2, 0.3, 0.4]), r"probabilities must lie in \[0, 1\]"),
        (lambda f: f.assign(Id=[10, 11, 12, 99]), "does not list the sample's ids"),
    ],
)
def test_validator_rejects(sample, edit, match) -> None:
    good = sample.assign(Churn=[0.1, 0.2, 0.3, 0.4])
    with pytest.raises(SubmissionError, match=match):
        validate_submission(edit(good), sample, spec=SPEC)


def test_unknown_label_rejected(sample) -> None:
    spec = SubmissionSpec(id="Id", target="Churn", kind="label")
    frame = sample.assign(Churn=["yes", "no", "maybe", "no"])
    with pytest.raises(SubmissionError, match="'maybe' is not a class"):
        validate_submission(frame, sample, spec=spec, classes=np.array(["no", "yes"]))


def test_build_rejects_wrong_count_and_ids(sample) -> None:
    with pytest.raises(SubmissionError, match="3 predictions for 4 test rows"):
        build_submission(sample, sample["Id"], np.zeros(3), spec=SPEC, task="binary")
    with pytest.raises(SubmissionError, match="not all test ids"):
        build_submission(sample, pd.Series([1, 2, 3, 4]), np.zeros(4), spec=SPEC, task="binary")


def test_write_is_atomic(tmp_path, sample) -> None:
    path = tmp_path / "sub" / "out.csv"
    write_submission(sample, path)
    assert path.read_text().splitlines()[0] == "Id,Churn"

    class Boom(pd.DataFrame):
        def to_csv(self, *args, **kwargs):  # type: ignore[override]
            raise OSError("disk full")

    before = path.read_bytes()
    with pytest.raises(SubmissionError, match="cannot write the submission out.csv in .*: disk full"):
        write_submission(Boom(sample), path)
    assert path.read_bytes() == before  # the old file is untouched
    assert [p.name for p in path.parent.iterdir()] == ["out.csv"]  # no temp file left
