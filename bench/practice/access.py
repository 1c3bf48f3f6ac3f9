"""Practice competition (a): employee access, like Amazon's (binary, ROC-AUC).

Nine integer-coded categoricals with hundreds to thousands of values each (codes are
arbitrary integers, so their order means nothing), Zipf-like value frequencies (many rare
values, so some test values never occur in train), a hierarchy (manager -> department ->
rollups; family description -> title -> family; ROLE_CODE is a relabelled ROLE_TITLE) and
a target that depends on per-value effects and on sparse pair effects (a resource granted
or refused for one rollup or one role family). About 94% of requests are approved
(ACTION = 1). Train and test are one random split of one population of requests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .layout import Competition, practice_config, write_competition

__all__ = ["NAME", "COLUMNS", "make_access", "write_access"]

NAME = "employee_access"
COLUMNS = ["RESOURCE", "MGR_ID", "ROLE_ROLLUP_1", "ROLE_ROLLUP_2", "ROLE_DEPTNAME",
           "ROLE_TITLE", "ROLE_FAMILY_DESC", "ROLE_FAMILY", "ROLE_CODE"]

# Population cardinalities (full size); the data show fewer, as rare values go unseen.
_CARD = {"RESOURCE": 7000, "MGR_ID": 4000, "ROLE_ROLLUP_1": 120, "ROLE_ROLLUP_2": 170,
         "ROLE_DEPTNAME": 440, "ROLE_TITLE": 340, "ROLE_FAMILY_DESC": 2300, "ROLE_FAMILY": 66}
_VALUE_SD = {"RESOURCE": 1.5, "MGR_ID": 1.0, "ROLE_DEPTNAME": 0.5, "ROLE_TITLE": 0.4,
             "ROLE_FAMILY_DESC": 0.4, "ROLE_ROLLUP_2": 0.3, "ROLE_ROLLUP_1": 0.3}
# Pair effects: (column a, column b, share of pairs with an effect, its sd).
_PAIRS = [("RESOURCE", "ROLE_ROLLUP_2", 0.25, 2.5), ("RESOURCE", "ROLE_FAMILY", 0.25, 2.5),
          ("ROLE_DEPTNAME", "ROLE_TITLE", 0.3, 1.2)]
APPROVED = 0.94


def _zipf(rng: np.random.Generator, n: int, a: float) -> np.ndarray:
    w = np.arange(1, n + 1, dtype=float) ** -a
    return rng.permutation(w / w.sum())


def _draw(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    return rng.choice(len(p), size=size, p=p)


def _codes(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(np.arange(1_000, 320_000), size=n, replace=False)


def _intercept(score: np.ndarray, target: float) -> float:
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(1 / (1 + np.exp(-(score + mid)))) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _rows(rng: np.random.Generator, n: int, scale: float) -> dict[str, np.ndarray]:
    """Population index per column (0..card-1) for ``n`` requests."""
    card = {k: max(8, int(v * scale)) for k, v in _CARD.items()}
    r2_of_dept = _draw(rng, _zipf(rng, card["ROLE_ROLLUP_2"], 0.9), card["ROLE_DEPTNAME"])
    r1_of_r2 = _draw(rng, _zipf(rng, card["ROLE_ROLLUP_1"], 1.1), card["ROLE_ROLLUP_2"])
    dept_of_mgr = _draw(rng, _zipf(rng, card["ROLE_DEPTNAME"], 0.9), card["MGR_ID"])
    fam_of_title = _draw(rng, _zipf(rng, card["ROLE_FAMILY"], 1.0), card["ROLE_TITLE"])
    n_title, n_desc = card["ROLE_TITLE"], card["ROLE_FAMILY_DESC"]
    title_of_desc = np.concatenate([rng.permutation(n_title),
                                    _draw(rng, _zipf(rng, n_title, 0.8), n_desc - n_title)])
    dept_titles = _draw(rng, _zipf(rng, n_title, 1.0), card["ROLE_DEPTNAME"] * 3)
    r2_resources = _draw(rng, _zipf(rng, card["RESOURCE"], 0.9), card["ROLE_ROLLUP_2"] * 20)

    mgr = _draw(rng, _zipf(rng, card["MGR_ID"], 0.9), n)
    dept = dept_of_mgr[mgr]
    r2 = r2_of_dept[dept]
    own_title = rng.random(n) < 0.6
    title = np.where(own_title, dept_titles.reshape(-1, 3)[dept, rng.integers(0, 3, n)],
                     _draw(rng, _zipf(rng, n_title, 1.0), n))
    desc_w = _zipf(rng, n_desc, 0.9)
    desc = np.empty(n, dtype=int)
    for t in np.unique(title):  # a description of the row's own title, by popularity
        rows = np.flatnonzero(title == t)
        cand = np.flatnonzero(title_of_desc == t)
        p = desc_w[cand] / desc_w[cand].sum()
        desc[rows] = cand[_draw(rng, p, len(rows))]
    local = rng.random(n) < 0.5
    res = np.where(local, r2_resources.reshape(-1, 20)[r2, rng.integers(0, 20, n)],
                   _draw(rng, _zipf(rng, card["RESOURCE"], 1.05), n))
    return {"RESOURCE": res, "MGR_ID": mgr, "ROLE_ROLLUP_1": r1_of_r2[r2], "ROLE_ROLLUP_2": r2,
            "ROLE_DEPTNAME": dept, "ROLE_TITLE": title, "ROLE_FAMILY_DESC": desc,
            "ROLE_FAMILY": fam_of_title[title]}


def make_access(
    seed: int = 0,
    *,
    n_train: int = 30_000,
    n_test: int = 20_000,
    scale: float = 1.0,
    pairs: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train (ACTION + 9 columns), test (id + 9 columns) and the test labels (id, ACTION).

    ``scale`` shrinks the population cardinalities (for small versions); ``pairs=False``
    leaves the pair effects out (to show what they add).
    """
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    idx = _rows(rng, n, scale)
    score = np.zeros(n)
    for col, sd in _VALUE_SD.items():
        score += rng.normal(0, sd, idx[col].max() + 1)[idx[col]]
    for a, b, share, sd in _PAIRS if pairs else []:
        uniq, inv = np.unique(idx[a] * (idx[b].max() + 1) + idx[b], return_inverse=True)
        effect = rng.normal(0, sd, len(uniq)) * (rng.random(len(uniq)) < share)
        score += effect[inv]
    score += _intercept(score, APPROVED)
    action = (rng.random(n) < 1 / (1 + np.exp(-score))).astype("int64")

    frame = pd.DataFrame({"ACTION": action})
    for col in COLUMNS[:-1]:
        frame[col] = _codes(rng, idx[col].max() + 1)[idx[col]].astype("int64")
    title_codes = _codes(rng, idx["ROLE_TITLE"].max() + 1)  # ROLE_CODE: 1:1 with the title
    frame["ROLE_CODE"] = title_codes[idx["ROLE_TITLE"]].astype("int64")
    frame = frame.iloc[rng.permutation(n)].reset_index(drop=True)
    train = frame.iloc[:n_train].reset_index(drop=True)
    rest = frame.iloc[n_train:].reset_index(drop=True)
    test = pd.concat([pd.Series(np.arange(1, n_test + 1), name="id"), rest[COLUMNS]], axis=1)
    labels = pd.DataFrame({"id": test["id"], "ACTION": rest["ACTION"]})
    return train, test, labels


CONFIG = practice_config(
    NAME,
    "Will an employee's access request be approved? (practice, synthetic)",
    task="binary",
    metric="roc_auc",
    id="id",
    target="ACTION",
    submission_target="Action",
)


def write_access(root: Path, seed: int = 0, *, small: bool = False) -> Competition:
    """Write the competition under ``root/employee_access`` (small: 3k/2k rows)."""
    sizes = {"n_train": 3_000, "n_test": 2_000, "scale": 0.25} if small else {}
    train, test, labels = make_access(seed, **sizes)
    sample = pd.DataFrame({"id": test["id"], "Action": 0.5})
    return write_competition(root, NAME, CONFIG, train=train, test=test, sample=sample,
                             labels=labels, header=__doc__.strip().splitlines()[0])
