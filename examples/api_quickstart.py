# %% [markdown]
# # podium from Python: run, compare, reuse
#
# Run it from a project folder (one holding `competitions/`), as a script
# (`python examples/api_quickstart.py`) or cell by cell in an editor that reads `# %%`.
# The competition and pipeline default to `telecom_churn` / `baseline`; the environment
# variables below choose others (the tests run it on a small synthetic competition).

# %%
import json
import os

import pandas as pd

import podium

COMPETITION = os.environ.get("PODIUM_EXAMPLE_COMPETITION", "telecom_churn")
PIPELINE = os.environ.get("PODIUM_EXAMPLE_PIPELINE", "baseline")
OVERRIDES = json.loads(os.environ.get("PODIUM_EXAMPLE_OVERRIDES", "{}"))
SEED = int(os.environ.get("PODIUM_EXAMPLE_SEED", "42"))

# %% [markdown]
# ## Run a pipeline
# The same run as `podium run COMPETITION --pipeline PIPELINE --set k=v --seed SEED`: the
# same folds, models, MLflow run and submission file.

# %%
res = podium.run(COMPETITION, pipeline=PIPELINE, overrides=OVERRIDES, seed=SEED)
print(f"CV {res.metric} = {res.cv_mean:.5f} ± {res.cv_std:.5f} ({res.chosen})")
print(f"run {res.run_name} ({res.run_id}); submission {res.submission}")

# %% [markdown]
# ## Compare the models
# Every model's CV, its blend weight (when the pipeline blends) and its out-of-fold
# predictions, indexed by the train rows' ids.

# %%
table = pd.DataFrame(
    {
        name: {"cv_mean": m.cv_mean, "cv_std": m.cv_std, "weight": m.weight, "seconds": m.seconds}
        for name, m in res.models.items()
    }
).T
print(table)
print(res.oof.head())

# %% [markdown]
# ## Reuse the run's saved models
# `load_run` takes the run's id or name; `predict` takes rows with the test file's
# columns (a late test set, a second stage) and returns them in the submission's format.

# %%
run = podium.load_run(res.run_name)
rows = pd.read_csv(res.test_file)
predicted = podium.predict(run, rows)
same = predicted.to_csv(index=False, lineterminator="\n") == res.submission.read_text()
print(f"predictions from the saved models reproduce the submission: {same}")
print(f"cv_mean={res.cv_mean!r}")  # (read by the test)
