"""`lmlab qat ...`: the QAT stages (SPEC §6), one sub-command per rule.

    matches   <split>.matches.npz: which LM tokens match which graph nodes (once per split)
    train     metrics.json, efficiency.json and curve.csv of one (variant, seed) run
    figure    fig_curve.png of one run, from its curve.csv (no model is loaded)
    summary   summary.csv, summary.json and fig_compare.png over every variant and seed

Handlers import torch lazily and only call the stage functions.
"""

from __future__ import annotations

import argparse
import json

from lmlab.config import section_parser
from lmlab.qat.config import MatcherConfig, QATTrain


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `qat` sub-commands to `parser`."""
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    matches = stages.add_parser("matches", help="LM token - graph node matches of one split")
    matches.add_argument("--tokens", required=True, help="<split>.tokens.safetensors")
    matches.add_argument("--subgraph", required=True, help="<split>.subgraph.npz")
    matches.add_argument("--metapath", required=True, help="<split>.metapath.npz")
    matches.add_argument("--concepts", required=True, help="concepts.txt of the extraction")
    matches.add_argument("--model", required=True, help="config `text.model` (the tokenizer)")
    matches.add_argument(
        "--matcher", type=section_parser(MatcherConfig), required=True, help="`qat.matcher`"
    )
    matches.add_argument("--max-node-num", type=int, required=True)
    matches.add_argument("--output", required=True, help="<split>.matches.npz to write")
    matches.set_defaults(func=_matches)

    train = stages.add_parser("train", help="train one variant for one seed")
    train.add_argument("--dataset", required=True)
    train.add_argument("--model", required=True, help="config `text.model` (the encoder)")
    train.add_argument("--variant", required=True, choices=["qat", "lm_only"])
    train.add_argument("--seed", type=int, required=True)
    train.add_argument("--architecture", type=json.loads, required=True, help="`qat.model`")
    train.add_argument("--train", type=section_parser(QATTrain), required=True, help="`qat.train`")
    train.add_argument("--max-node-num", type=int, required=True)
    train.add_argument("--splits", nargs="+", required=True, help="train dev test")
    train.add_argument("--tokens", nargs="+", required=True, help="one per split")
    for kind in ("subgraph", "metapath", "matches"):
        train.add_argument(f"--{kind}", nargs="+", help="one per split (qat only)")
    train.add_argument("--metrics", required=True, help="metrics.json to write")
    train.add_argument("--efficiency-json", required=True, help="efficiency.json to write")
    train.add_argument("--curve", required=True, help="curve.csv to write")
    train.add_argument("--state", required=True, help="the training loop's resumable checkpoint")
    train.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    train.set_defaults(func=_train)

    figure = stages.add_parser("figure", help="fig_curve.png of one run")
    figure.add_argument("--curve", required=True)
    figure.add_argument("--metrics", required=True)
    figure.add_argument("--output", required=True)
    figure.set_defaults(func=_figure)

    summary = stages.add_parser("summary", help="QAT vs LM-only over seeds")
    summary.add_argument("--metrics", nargs="+", required=True, help="every run's metrics.json")
    summary.add_argument("--curves", nargs="+", required=True, help="their curve.csv, in order")
    summary.add_argument("--summary-csv", required=True)
    summary.add_argument("--summary-json", required=True)
    summary.add_argument("--figure", required=True)
    summary.set_defaults(func=_summary)


def _matches(args: argparse.Namespace) -> int:
    from lmlab.qat.split import write_matches

    write_matches(
        args.tokens,
        args.subgraph,
        args.metapath,
        args.concepts,
        args.model,
        args.matcher,
        args.max_node_num,
        args.output,
    )
    return 0


def _train(args: argparse.Namespace) -> int:
    from lmlab.config import build
    from lmlab.qat.config import QATConfig
    from lmlab.qat.train import SplitFiles, train_qat

    per_split = {"tokens": args.tokens}
    if args.variant == "qat":
        per_split |= {"subgraph": args.subgraph, "metapath": args.metapath}
        per_split["matches"] = args.matches
    if any(files is None or len(files) != len(args.splits) for files in per_split.values()):
        raise ValueError(f"qat train: give one file of each kind per split {args.splits}")
    files = {
        split: SplitFiles(**{kind: paths[i] for kind, paths in per_split.items()})
        for i, split in enumerate(args.splits)
    }
    config = build(QATConfig, {**args.architecture, "variant": args.variant}, "qat.model")
    train_qat(
        args.dataset,
        args.model,
        config,
        args.train,
        args.max_node_num,
        args.seed,
        files,
        args.metrics,
        args.efficiency_json,
        args.curve,
        args.state,
        args.device,
    )
    return 0


def _figure(args: argparse.Namespace) -> int:
    from lmlab.qat.report import write_curve_figure

    write_curve_figure(args.curve, args.metrics, args.output)
    return 0


def _summary(args: argparse.Namespace) -> int:
    from lmlab.qat.report import summarise

    summarise(args.metrics, args.curves, args.summary_csv, args.summary_json, args.figure)
    return 0
