"""``podium profile``: what each column is (numeric, categorical, id, datetime, ...) and why."""

from __future__ import annotations

from typing import Annotated

import typer

from podium.cli.app import command, out, print_notices, project_root
from podium.cli.options import CompetitionArg, DataDirOpt


@command()
def profile(
    competition: CompetitionArg,
    data_dir: DataDirOpt = None,
    separation: Annotated[
        bool,
        typer.Option(
            "--separation/--no-separation",
            help="Adversarial validation: which columns (and date parts) separate train "
            "from test.",
        ),
    ] = True,
) -> None:
    """Show each column's kind, dtype, distinct values, share unseen in test and the reason;
    then how test relates to train (later, period tail, unseen groups) and what separates
    them."""
    from podium.config import load_config
    from podium.cv import choose_cv
    from podium.data import load_data, resolve_data_dir
    from podium.data.relation import measure_relation

    cfg = load_config(competition, root=project_root())
    comp = cfg.competition
    data = load_data(comp, resolve_data_dir(comp, cfg.competition_dir, data_dir))
    out.print(
        data.profile.table(title=f"columns of {comp.name} ({data.data_dir / comp.data.train})")
    )
    out.print(f"kinds: {data.profile.summary()}")
    print_notices(data.notices, out)
    relation = measure_relation(data, comp.cv)
    for line in relation.lines():
        out.print(line, markup=False, highlight=False)
    auto = choose_cv(relation, comp.cv, comp.task).chosen or ""
    out.print(auto if comp.cv.scheme == "auto" else f"cv: {comp.cv.scheme} ({auto})", markup=False)
    if separation:
        from podium.audit.adversarial import adversarial_validation, date_parts

        adv = adversarial_validation(
            date_parts(data.train), date_parts(data.test), seed=comp.seed
        )
        out.print(adv.message, markup=False, highlight=False)
