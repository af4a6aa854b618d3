"""`lmlab workflow ...`: helpers that derive files from the Snakemake workflow."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `workflow` sub-commands to `parser`."""
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")
    dvc = stages.add_parser("dvc-yaml", help="generate dvc.yaml from the Snakemake DAG")
    dvc.add_argument("--root", default=".", help="project root (holds the Snakefile)")
    dvc.add_argument("--output", default="dvc.yaml", help="file to write, relative to --root")
    dvc.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the file differs"
    )
    dvc.set_defaults(func=_dvc_yaml)

    figures = stages.add_parser(
        "figures",
        help="print the Snakemake arguments that redraw every figure of one seed: the files, "
        "then --forcerun and --allowed-rules with the figure rules",
    )
    figures.add_argument("--seed", type=int, required=True)
    figures.add_argument("--configfile", default="config.yaml")
    figures.add_argument(
        "--schema", default="workflow/schemas/config.schema.yaml", help="fills the defaults"
    )
    figures.set_defaults(func=_figures)


def _figures(args: argparse.Namespace) -> int:
    import yaml

    from lmlab.config import with_defaults
    from lmlab.workflow.figures import FIGURE_RULES, seed_figures

    with open(args.configfile, encoding="utf-8") as fh:
        config = with_defaults(yaml.safe_load(fh) or {}, args.schema)
    if args.seed not in config["seeds"]:
        raise ValueError(f"seed {args.seed} is not in {args.configfile} seeds {config['seeds']}")
    files = [path for paths in seed_figures(config, args.seed).values() for path in paths]
    rules = " ".join(FIGURE_RULES)
    print(" ".join(files), "--forcerun", rules, "--allowed-rules", rules)  # targets first
    return 0


def _dvc_yaml(args: argparse.Namespace) -> int:
    from lmlab.runtime.atomic import write_text
    from lmlab.workflow.dvc_yaml import render

    root = Path(args.root)
    text = render(root)
    target = root / args.output
    if args.check:
        current = target.read_text() if target.exists() else ""
        if current != text:
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(True), text.splitlines(True), str(target), "generated"
                )
            )
            return 1
        return 0
    write_text(target, text)
    return 0
