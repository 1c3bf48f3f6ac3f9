#!/usr/bin/env bash
# AutoGluon's own venv, OUTSIDE the project (it pins pandas < 2.4; podium needs pandas 3):
#   bash bench/autogluon_venv.sh            # -> ${PODIUM_AG_VENV:-/tmp/podium-ag-venv}
# autogluon.tabular[all] brings its model libraries (LightGBM, CatBoost, XGBoost, fastai and
# torch for the neural nets, ray); without them best_quality silently skips those models.
# PODIUM_AG_EXTRAS=lightgbm,catboost,xgboost installs a lighter set (no torch, ~6 GB less).
# Then a 40 s best_quality fit on a tiny frame checks that it works.
set -euo pipefail
DIR="${PODIUM_AG_VENV:-/tmp/podium-ag-venv}"
VERSION="${PODIUM_AG_VERSION:-1.6.3}"
EXTRAS="${PODIUM_AG_EXTRAS:-all}"
command -v uv >/dev/null || python3 -m pip install -q uv
[ -x "$DIR/bin/python" ] || uv venv "$DIR" --python 3.11
uv pip install --python "$DIR/bin/python" "autogluon.tabular[$EXTRAS]==$VERSION"
[ "${1:-}" = "--no-check" ] && exit 0
cd "$(mktemp -d)"
"$DIR/bin/python" - <<'PY'
import logging, time
import numpy as np, pandas as pd, ray
import autogluon.tabular
from autogluon.tabular import TabularPredictor
ray.init(include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
rng = np.random.default_rng(0)
df = pd.DataFrame({"a": rng.normal(size=300), "c": rng.choice(list("xyz"), 300)})
df["y"] = (df.a + rng.normal(size=300) > 0).astype(int)
t = time.perf_counter()
p = TabularPredictor(label="y", eval_metric="roc_auc", path="ag_check", verbosity=0).fit(
    df, time_limit=40, presets="best_quality", dynamic_stacking=False)
print(f"autogluon {autogluon.tabular.__version__} (pandas {pd.__version__}): best_quality "
      f"fit {time.perf_counter() - t:.0f}s, {len(p.leaderboard(silent=True))} models, "
      f"best {p.model_best}")
PY
