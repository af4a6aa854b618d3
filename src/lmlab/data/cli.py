"""`lmlab data ...`: inspect a dataset file before a long job; write the synthetic corpus."""

from __future__ import annotations

import argparse

from lmlab.config import SyntheticData, section_parser


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `data` sub-commands to `parser`."""
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    inspect = stages.add_parser("inspect", help="print a JSON summary of one dataset file")
    inspect.add_argument("path", help="a GLUE .tsv, a CSQA/OBQA .jsonl or a ConceptNet .csv")
    inspect.add_argument("--task", help="GLUE task name (default: the parent directory's name)")
    inspect.add_argument("--output", help="also write the JSON summary to this file (atomically)")
    inspect.set_defaults(func=_inspect)

    synth = stages.add_parser("synth", help="write the deterministic synthetic corpus")
    synth.add_argument("--out-dir", required=True, help="directory to write the corpus into")
    synth.add_argument(
        "--params", type=section_parser(SyntheticData), required=True, help="`data.synthetic`"
    )
    synth.set_defaults(func=_synth)


def _inspect(args: argparse.Namespace) -> int:
    from lmlab.cli import print_json
    from lmlab.data.inspect import inspect_path

    print_json(inspect_path(args.path, task=args.task), args.output)
    return 0


def _synth(args: argparse.Namespace) -> int:
    from lmlab.data.synth import write_corpus

    write_corpus(args.out_dir, args.params)
    return 0
