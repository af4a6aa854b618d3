"""`lmlab heads ...`: the stages of the head study (SPEC §8), one sub-command per rule.

    finetune     θ0 (ckpt_init/), θ1 (ckpt_final/), run_config.json and efficiency.json
    probe        θ0 read through a fitted classification head (ckpt_probe/, probe.json)
    eval-subset  eval_subset.json: fixed indices of the eval split
    importance   importance_{pre_random,pre_probe,post}.jsonl: exact single-head ablation
    gradfisher   gradfisher_pre_{random,probe}.jsonl: G, F, Ppred from per-example gradients
    update       update.jsonl: per-head size of θ1 - θ0
    aggregate    heads.csv, stats.json, cases.json of one seed
    prune        pruning.jsonl: θ1's metric with the least important heads gated off
    figures      every figure of one seed (no model is loaded)
    summary      summary.csv, stability.json, fig_summary.png across seeds

Handlers import torch lazily and only call the stage functions (OpenMP's wait policy is set for
every family in `lmlab.cli`).
"""

from __future__ import annotations

import argparse
import json

from lmlab.config import (
    Bootstrap,
    CaseThresholds,
    HeadsProbe,
    HeadsTrain,
    Pruning,
    section_parser,
)


def _measure_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by the stages that score a checkpoint on the eval subset."""
    parser.add_argument("--checkpoint", required=True, help="checkpoint directory (θ0 or θ1)")
    parser.add_argument("--task", required=True, help="GLUE task, e.g. MNLI")
    parser.add_argument("--split", required=True, help="eval split, e.g. dev_matched")
    parser.add_argument("--source", required=True, help="glue_data directory or hub id")
    parser.add_argument("--subset", required=True, help="eval_subset.json")
    parser.add_argument("--output", required=True, help="JSON-lines file to write")
    parser.add_argument("--max-seq-len", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `heads` sub-commands to `parser`."""
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    tune = stages.add_parser("finetune", help="fine-tune θ0 -> θ1 on the task's train split")
    tune.add_argument("--model", required=True, help="`embedded`, a model directory or hub id")
    tune.add_argument("--task", required=True)
    tune.add_argument("--source", required=True, help="glue_data directory or hub id")
    tune.add_argument("--eval-split", required=True, help="split whose metric picks θ1")
    tune.add_argument("--seed", type=int, required=True)
    tune.add_argument(
        "--train", type=section_parser(HeadsTrain), required=True, help="config `heads.train`"
    )
    tune.add_argument("--ckpt-init", required=True)
    tune.add_argument("--ckpt-final", required=True)
    tune.add_argument("--run-config", required=True)
    tune.add_argument("--efficiency-json", required=True, help="efficiency.json to write")
    tune.add_argument("--state", required=True, help="the training loop's resumable checkpoint")
    tune.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    tune.add_argument(
        "--accumulation", type=int, default=1, help="micro-batches per batch (retries double it)"
    )
    tune.set_defaults(func=_finetune)

    probe = stages.add_parser("probe", help="fit θ0's classification head on its frozen encoder")
    probe.add_argument("--checkpoint", required=True, help="θ0 (ckpt_init)")
    probe.add_argument("--task", required=True)
    probe.add_argument("--source", required=True, help="glue_data directory or hub id")
    probe.add_argument("--eval-split", required=True, help="split the probe is scored on")
    probe.add_argument("--seed", type=int, required=True)
    probe.add_argument(
        "--probe", type=section_parser(HeadsProbe), required=True, help="config `heads.probe`"
    )
    probe.add_argument("--max-seq-len", type=int, required=True)
    probe.add_argument("--eval-batch-size", type=int, required=True)
    probe.add_argument("--output", required=True, help="checkpoint directory to write")
    probe.add_argument("--record", required=True, help="probe.json to write")
    probe.add_argument("--state", required=True, help="the training loop's resumable checkpoint")
    probe.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    probe.set_defaults(func=_probe)

    subset = stages.add_parser("eval-subset", help="choose the fixed eval subset")
    subset.add_argument("--task", required=True)
    subset.add_argument("--split", required=True)
    subset.add_argument("--source", required=True)
    subset.add_argument("--size", type=int, required=True)
    subset.add_argument("--seed", type=int, default=999)
    subset.add_argument("--output", required=True)
    subset.set_defaults(func=_eval_subset)

    importance = stages.add_parser("importance", help="ablation importance I of every head")
    _measure_arguments(importance)
    importance.add_argument("--heads-per-pass", type=int, default=4)
    importance.set_defaults(func=_importance)

    gradfisher = stages.add_parser("gradfisher", help="gate gradients G, F, Ppred at θ0")
    _measure_arguments(gradfisher)
    gradfisher.set_defaults(func=_gradfisher)

    update = stages.add_parser("update", help="per-head update size from θ1 - θ0")
    update.add_argument("--ckpt-init", required=True)
    update.add_argument("--ckpt-final", required=True)
    update.add_argument("--output", required=True)
    update.set_defaults(func=_update)

    _register_analysis(stages)


def _finetune(args: argparse.Namespace) -> int:
    from lmlab.heads.finetune import finetune

    finetune(
        args.model,
        args.task,
        args.source,
        args.eval_split,
        args.seed,
        args.train,
        args.ckpt_init,
        args.ckpt_final,
        args.run_config,
        args.efficiency_json,
        args.state,
        args.device,
        args.accumulation,
    )
    return 0


def _probe(args: argparse.Namespace) -> int:
    from lmlab.heads.probe import fit_probe

    fit_probe(
        args.checkpoint,
        args.task,
        args.source,
        args.eval_split,
        args.seed,
        args.probe,
        args.max_seq_len,
        args.eval_batch_size,
        args.output,
        args.record,
        args.state,
        args.device,
    )
    return 0


def _eval_subset(args: argparse.Namespace) -> int:
    from lmlab.heads.subset import write_eval_subset

    write_eval_subset(args.task, args.split, args.source, args.size, args.seed, args.output)
    return 0


def _measured(args: argparse.Namespace) -> tuple:
    return (args.checkpoint, args.task, args.split, args.source, args.subset, args.output)


def _importance(args: argparse.Namespace) -> int:
    from lmlab.heads.importance import write_importance

    write_importance(
        *_measured(args), args.max_seq_len, args.batch_size, args.heads_per_pass, args.device
    )
    return 0


def _gradfisher(args: argparse.Namespace) -> int:
    from lmlab.heads.gradfisher import write_gradfisher

    write_gradfisher(*_measured(args), args.max_seq_len, args.batch_size, args.device)
    return 0


def _update(args: argparse.Namespace) -> int:
    from lmlab.heads.update_size import write_update

    write_update(args.ckpt_init, args.ckpt_final, args.output)
    return 0


def _layer_normalise_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--layer-normalise",
        type=json.loads,
        choices=[True, False],
        required=True,
        help="config `heads.analysis.layer_normalise` (true or false)",
    )


def _top_k_arguments(parser: argparse.ArgumentParser) -> None:
    """`heads.analysis.top_k` and `layer_normalise`, read by every statistic."""
    parser.add_argument("--top-k", type=int, required=True, help="`heads.analysis.top_k`")
    _layer_normalise_argument(parser)


def _named_path(text: str) -> tuple[str, str]:
    """`NAME=PATH` as (name, path)."""
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, path


def _bootstrap_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap",
        type=section_parser(Bootstrap),
        required=True,
        help="config `heads.analysis.bootstrap`",
    )


def _register_analysis(stages) -> None:
    """The analysis sub-commands: aggregate, prune, figures, summary."""
    aggregate = stages.add_parser("aggregate", help="heads.csv, stats.json, cases.json of a seed")
    aggregate.add_argument(
        "--importance",
        type=_named_path,
        nargs="+",
        required=True,
        help="WHEN=FILE per importance file: post=..., pre_random=..., pre_probe=...",
    )
    aggregate.add_argument(
        "--gradfisher",
        type=_named_path,
        nargs="+",
        required=True,
        help="READOUT=FILE per gate-gradient file: random=..., probe=...",
    )
    aggregate.add_argument("--update", required=True, help="update.jsonl")
    aggregate.add_argument(
        "--readout", required=True, help="`heads.analysis.readout` (defines the case sets)"
    )
    _bootstrap_argument(aggregate)
    aggregate.add_argument("--heads-csv", required=True)
    aggregate.add_argument("--stats", required=True)
    aggregate.add_argument("--cases", required=True)
    _top_k_arguments(aggregate)
    aggregate.add_argument(
        "--case-fractions",
        type=section_parser(CaseThresholds),
        required=True,
        help="config `heads.analysis.cases`",
    )
    aggregate.add_argument("--task", required=True)
    aggregate.add_argument("--seed", type=int, required=True)
    aggregate.add_argument("--model", required=True, help="config `model` (named in titles)")
    aggregate.set_defaults(func=_aggregate)

    prune = stages.add_parser("prune", help="pruning curve of θ1 on the eval subset")
    _measure_arguments(prune)
    prune.add_argument("--heads-csv", required=True, help="heads.csv (the importance order)")
    prune.add_argument(
        "--pruning", type=section_parser(Pruning), required=True, help="`heads.analysis.pruning`"
    )
    _layer_normalise_argument(prune)
    prune.set_defaults(func=_prune)

    figures = stages.add_parser("figures", help="draw every figure of one seed")
    for name in ("heads-csv", "stats", "cases", "pruning"):
        figures.add_argument(f"--{name}", required=True)
    for name in ("i-vs-u", "i-vs-g", "stats-figure", "pruning-figure"):
        figures.add_argument(f"--{name}", required=True, help="PNG to write")
    figures.set_defaults(func=_figures)

    summary = stages.add_parser("summary", help="statistics and rank stability across seeds")
    summary.add_argument("--seeds", type=int, nargs="+", required=True)
    for name in ("heads-csv", "stats", "cases", "pruning"):
        summary.add_argument(f"--{name}", nargs="+", required=True, help="one per seed, in order")
    _top_k_arguments(summary)
    _bootstrap_argument(summary)
    summary.add_argument("--summary-csv", required=True)
    summary.add_argument("--stability", required=True)
    summary.add_argument("--figure", required=True)
    summary.set_defaults(func=_summary)


def _aggregate(args: argparse.Namespace) -> int:
    from lmlab.heads.aggregate import aggregate_seed
    from lmlab.models.resolve import display_name

    outputs = {"heads_csv": args.heads_csv, "stats": args.stats, "cases": args.cases}
    meta = {"task": args.task, "seed": args.seed, "model": display_name(args.model)}
    aggregate_seed(
        dict(args.importance),
        dict(args.gradfisher),
        args.update,
        outputs,
        args.top_k,
        args.case_fractions,
        args.layer_normalise,
        args.readout,
        args.bootstrap,
        meta,
    )
    return 0


def _prune(args: argparse.Namespace) -> int:
    from lmlab.heads.pruning import write_pruning

    checkpoint, task, split, source, subset, out = _measured(args)
    write_pruning(
        checkpoint,
        task,
        split,
        source,
        subset,
        args.heads_csv,
        out,
        args.max_seq_len,
        args.pruning,
        args.layer_normalise,
        args.batch_size,
        args.device,
    )
    return 0


def _figures(args: argparse.Namespace) -> int:
    from lmlab.heads.plots import write_seed_figures

    outputs = {
        "I_vs_U": args.i_vs_u,
        "I_vs_G": args.i_vs_g,
        "stats": args.stats_figure,
        "pruning": args.pruning_figure,
    }
    write_seed_figures(args.heads_csv, args.stats, args.cases, args.pruning, outputs)
    return 0


def _summary(args: argparse.Namespace) -> int:
    from lmlab.heads.summary import summarise_seeds

    outputs = {"summary": args.summary_csv, "stability": args.stability, "figure": args.figure}
    summarise_seeds(
        args.seeds,
        args.heads_csv,
        args.stats,
        args.cases,
        args.pruning,
        outputs,
        args.top_k,
        args.layer_normalise,
        args.bootstrap,
    )
    return 0
