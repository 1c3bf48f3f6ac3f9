"""``podium profile``: what each column is (numeric, categorical, id, datetime, ...) and why."""

from __future__ import annotations

from podium.cli.app import app, fail, out, print_notices, project_root
from podium.cli.options import CompetitionArg, DataDirOpt
from podium.exceptions import PodiumError


@app.command()
def profile(competition: CompetitionArg, data_dir: DataDirOpt = None) -> None:
    """Show each column's kind, dtype, distinct values, share unseen in test and the reason."""
    from podium.config import load_config
    from podium.data import load_data, resolve_data_dir

    try:
        cfg = load_config(competition, root=project_root())
        comp = cfg.competition
        data = load_data(comp, resolve_data_dir(comp, cfg.competition_dir, data_dir))
    except PodiumError as exc:
        fail(exc)
    out.print(
        data.profile.table(title=f"columns of {comp.name} ({data.data_dir / comp.data.train})")
    )
    out.print(f"kinds: {data.profile.summary()}")
    print_notices(data.notices, out)
