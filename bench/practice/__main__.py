"""Write practice competitions: ``uv run python -m bench.practice OUT [--small] [--seed N]``.

Prints, per competition, the folders and the `podium run` command for it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import ALL, prepare


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.practice")
    ap.add_argument("out", type=Path, help="folder to write the competitions into")
    ap.add_argument("--small", action="store_true", help="small generated sizes (tests)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", action="append", choices=ALL, help="one competition (repeat)")
    ap.add_argument("--data-root", type=Path, help="real data (default $PODIUM_DATA_DIR)")
    args = ap.parse_args()
    comps = prepare(args.out, args.only, small=args.small, seed=args.seed,
                    data_root=args.data_root)
    for name, comp in comps.items():
        print(f"{name}: uv run podium run {comp.comp_dir} --data-dir {comp.data_dir}"
              f"  (labels: {comp.labels})")


if __name__ == "__main__":
    main()
