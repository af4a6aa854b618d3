"""`lmlab unipelt ...`: the UniPELT comparison (SPEC §7), one sub-command per rule.

    train         metrics.json, efficiency.json, gates.csv and stored/ of one (task, K, method,
                  seed) run
    gates-figure  fig_gates.png of one gated run, from its gates.csv (no model is loaded)
    summary       Table 1 and Table 4 (csv and markdown), summary.json, fig_compare.png

Handlers import torch lazily and only call the stage functions.
"""

from __future__ import annotations

import argparse

from lmlab.config import section_parser
from lmlab.pelt.config import METHODS, Efficiency, MethodSizes, UniPELTTrain

SUMMARY_OUTPUTS = ("table1-csv", "table1-md", "table4-csv", "table4-md", "summary", "figure")


def _k(text: str) -> int | str:
    return text if text == "all" else int(text)


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `unipelt` sub-commands to `parser`."""
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    train = stages.add_parser("train", help="one (task, K, method, seed) run")
    train.add_argument("--model", required=True, help="`embedded`, a model directory or hub id")
    train.add_argument("--task", required=True)
    train.add_argument("--source", required=True, help="glue_data directory or hub id")
    train.add_argument("--k", type=_k, required=True, help="training examples, or `all`")
    train.add_argument("--method", required=True, choices=sorted(METHODS))
    train.add_argument("--seed", type=int, required=True, help="model and data seed")
    train.add_argument(
        "--sizes", type=section_parser(MethodSizes), required=True, help="`unipelt.method`"
    )
    train.add_argument(
        "--train", type=section_parser(UniPELTTrain), required=True, help="`unipelt.train`"
    )
    train.add_argument("--dev-size", type=int, required=True)
    train.add_argument("--max-seq-len", type=int, required=True)
    train.add_argument(
        "--efficiency", type=section_parser(Efficiency), required=True, help="`unipelt.efficiency`"
    )
    train.add_argument("--metrics", required=True, help="metrics.json to write")
    train.add_argument("--efficiency-json", required=True, help="efficiency.json to write")
    train.add_argument("--gates", required=True, help="gates.csv to write")
    train.add_argument("--stored", required=True, help="directory of the stored artefact")
    train.add_argument("--state", required=True, help="the training loop's resumable checkpoint")
    train.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    train.set_defaults(func=_train)

    gates = stages.add_parser("gates-figure", help="fig_gates.png of one gated run")
    gates.add_argument("--gates", required=True)
    gates.add_argument("--metrics", required=True)
    gates.add_argument("--output", required=True)
    gates.set_defaults(func=_gates_figure)

    summary = stages.add_parser("summary", help="Tables 1 and 4 over every run")
    summary.add_argument("--metrics", nargs="+", required=True, help="every run's metrics.json")
    summary.add_argument(
        "--efficiency-json", nargs="+", required=True, help="their efficiency.json, in order"
    )
    for name in SUMMARY_OUTPUTS:
        summary.add_argument(f"--{name}", required=True)
    summary.set_defaults(func=_summary)


def _train(args: argparse.Namespace) -> int:
    from lmlab.pelt.train import train_unipelt

    outputs = {"metrics": args.metrics, "efficiency": args.efficiency_json, "gates": args.gates,
               "stored": args.stored}  # fmt: skip
    train_unipelt(
        args.model, args.task, args.source, args.k, args.method, args.seed, args.sizes,
        args.train, args.dev_size, args.max_seq_len, args.efficiency, outputs, args.state,
        args.device,
    )  # fmt: skip
    return 0


def _gates_figure(args: argparse.Namespace) -> int:
    from lmlab.pelt.report import write_gate_figure

    write_gate_figure(args.gates, args.metrics, args.output)
    return 0


def _summary(args: argparse.Namespace) -> int:
    from lmlab.pelt.report import summarise

    outputs = {name.replace("-", "_"): getattr(args, name.replace("-", "_"))
               for name in SUMMARY_OUTPUTS}  # fmt: skip
    summarise(args.metrics, args.efficiency_json, outputs)
    return 0
