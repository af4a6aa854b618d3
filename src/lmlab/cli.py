"""Command line: `lmlab <family> <stage> ...` (also `python -m lmlab ...`).

The CLI only parses arguments and calls stage functions. Each family registers its own
sub-commands in `lmlab/<family>/cli.py`; heavy imports (torch, transformers) happen inside the
handlers so that `lmlab --help` and the data stages start fast.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys

from lmlab.runtime import gpu_slots
from lmlab.runtime.logs import setup_logging

FAMILIES = {
    "data": ("lmlab.data.cli", "read, inspect and synthesise datasets in their real formats"),
    "workflow": ("lmlab.workflow.cli", "workflow helpers (generate dvc.yaml from the DAG)"),
    "graph": ("lmlab.graph.cli", "ConceptNet extraction, statements, grounding, subgraphs"),
    "text": ("lmlab.text.cli", "tokenize statement files once into a content-addressed cache"),
    "heads": ("lmlab.heads.cli", "head study: θ0/θ1, importance, gate gradients, update size"),
    "qat": ("lmlab.qat.cli", "QAT and its LM-only baseline: matches, training, figures"),
    "unipelt": ("lmlab.pelt.cli", "UniPELT and its baselines on GLUE: runs, gates, tables"),
}


def build_parser(family: str | None = None) -> argparse.ArgumentParser:
    """The parser with one sub-parser per family, or only `family`'s (what a stage's command
    line needs: a stage then runs no other family's code, see `lmlab.workflow.imports`)."""
    parser = argparse.ArgumentParser(prog="lmlab", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gpus",
        type=int,
        default=0,
        metavar="N",
        help="claim N free GPU slots (flock) and set CUDA_VISIBLE_DEVICES before running; "
        "0 hides every GPU (rules pass their `resources.gpu`)",
    )
    families = parser.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for name, (module, help_text) in FAMILIES.items():
        if family is not None and name != family:
            continue
        sub = families.add_parser(name, help=help_text)
        importlib.import_module(module).register(sub)
    return parser


def print_json(summary: dict, output: str | None = None) -> None:
    """Print a JSON summary on stdout (what a user reads) and, if `output` is given, also write
    it there atomically (what a rule declares as its output, e.g. a DVC metric)."""
    from lmlab.runtime.atomic import write_json

    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if output:
        write_json(output, summary)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    # Before torch loads: idle OpenMP threads sleep instead of spinning. Snakemake runs several
    # jobs on shared cores; spinning threads slowed the MiniLM forward pass 7x there (400 instead
    # of 2,700 tokens/s on 2 cores at load 6); without contention it costs nothing measurable.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    argv = sys.argv[1:] if argv is None else argv
    named = [word for word in argv if word in FAMILIES]
    args = build_parser(named[0] if named else None).parse_args(argv)
    setup_logging()
    gpu_slots.acquire(args.gpus)
    try:
        result = args.func(args)
    except (ValueError, FileNotFoundError, KeyError) as err:
        logging.getLogger("lmlab").error("%s", err)
        return 2
    return int(result or 0)
