"""`lmlab graph ...`: the graph preprocessing stages of the QAT data path (SPEC §5)."""

from __future__ import annotations

import argparse

from lmlab.config import SubgraphConfig, section_parser
from lmlab.paths import CpnetFiles


def _cpnet_arguments(parser: argparse.ArgumentParser) -> None:
    """The files of the ConceptNet extraction (`lmlab.paths.CpnetFiles`)."""
    parser.add_argument("--concepts", required=True, help="concepts.txt")
    parser.add_argument("--relations", required=True, help="relations.txt")
    parser.add_argument("--graph", required=True, help="graph.npz")


def _cpnet(args: argparse.Namespace) -> CpnetFiles:
    return CpnetFiles(args.concepts, args.relations, args.graph)


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `graph` sub-commands to `parser`."""
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    cpnet = stages.add_parser(
        "conceptnet", help="extract the pruned English ConceptNet graph and its vocabularies"
    )
    cpnet.add_argument("assertions", help="ConceptNet 5 assertions CSV (5 columns)")
    _cpnet_arguments(cpnet)
    cpnet.add_argument("--stats", required=True, help="extract_stats.json to write")
    cpnet.add_argument(
        "--blacklist", nargs="*", required=True, help="concepts whose edges are dropped"
    )
    cpnet.add_argument("--workers", type=int, default=1, help="processes (one per byte range)")
    cpnet.add_argument("--merge", help="merge_relation.txt (default: the packaged KagNet file)")
    cpnet.add_argument("--relation-list", help="relation.txt (default: the packaged KagNet file)")
    cpnet.set_defaults(func=_conceptnet)

    statements = stages.add_parser("statements", help="CSQA/OBQA jsonl -> QA-GNN statement jsonl")
    statements.add_argument("questions", help="CommonsenseQA or OpenBookQA jsonl")
    statements.add_argument("--dataset", required=True, choices=["csqa", "obqa"])
    statements.add_argument("--output", required=True, help="statement jsonl to write")
    statements.add_argument("--inhouse-qids", help="inhouse_split_qids.txt (CSQA train/test)")
    statements.add_argument(
        "--inhouse-part", choices=["train", "test"], help="keep the listed ids or the rest"
    )
    statements.set_defaults(func=_statements)

    patterns = stages.add_parser("patterns", help="concepts.txt -> lemma patterns for grounding")
    patterns.add_argument("concepts", help="concepts.txt of `graph conceptnet`")
    patterns.add_argument("--output", required=True, help="patterns.json to write")
    patterns.set_defaults(func=_patterns)

    ground = stages.add_parser("ground", help="statement jsonl -> QA-GNN grounded jsonl")
    ground.add_argument("statements", help="statement jsonl")
    ground.add_argument("--patterns", required=True, help="patterns.json of `graph patterns`")
    ground.add_argument("--output", required=True, help="grounded jsonl to write")
    ground.add_argument("--workers", type=int, default=1, help="grounding processes")
    ground.set_defaults(func=_ground)

    subgraph = stages.add_parser(
        "subgraph", help="2-hop subgraph of every statement, ranked and cut (.subgraph.npz)"
    )
    _cpnet_arguments(subgraph)
    subgraph.add_argument("--grounded", required=True, help="<split>.grounded.jsonl")
    subgraph.add_argument("--statements", required=True, help="<split>.statement.jsonl")
    subgraph.add_argument("--output", required=True, help="<split>.subgraph.npz to write")
    subgraph.add_argument(
        "--params", type=section_parser(SubgraphConfig), required=True, help="`graph.subgraph`"
    )
    subgraph.add_argument("--threads", type=int, default=1, help="worker threads")
    subgraph.add_argument("--device", default="auto", help="auto, cpu or cuda (LM ranker)")
    subgraph.set_defaults(func=_subgraph)

    metapath = stages.add_parser("metapath", help="question-answer meta-paths of <= 2 hops")
    metapath.add_argument("subgraph", help="<split>.subgraph.npz")
    metapath.add_argument("--output", required=True, help="<split>.metapath.npz to write")
    metapath.add_argument("--max-hops", type=int, required=True, help="`graph.metapath.max_hops`")
    metapath.add_argument("--threads", type=int, default=1, help="worker threads")
    metapath.set_defaults(func=_metapath)

    stats = stages.add_parser("stats", help="print a JSON summary of one dataset's graphs")
    stats.add_argument("--splits", nargs="+", required=True, help="split names, e.g. train dev")
    for kind in ("grounded", "subgraph", "metapath"):
        stats.add_argument(f"--{kind}", nargs="+", required=True, help="one per split, in order")
    stats.add_argument("--output", help="also write the JSON summary to this file (atomically)")
    stats.set_defaults(func=_stats)

    convert = stages.add_parser(
        "convert-adj", help="read a QA-GNN *.graph.adj.pk safely and write our .subgraph.npz"
    )
    convert.add_argument("adj", help="QA-GNN adj pickle (restricted unpickling)")
    convert.add_argument("--num-choices", type=int, required=True, help="5 for CSQA, 4 for OBQA")
    convert.add_argument("--output", required=True, help="<split>.subgraph.npz to write")
    convert.set_defaults(func=_convert_adj)

    export = stages.add_parser(
        "export-adj", help="write a .subgraph.npz as QA-GNN's *.graph.adj.pk (for QA-GNN tools)"
    )
    export.add_argument("subgraph", help="<split>.subgraph.npz")
    export.add_argument("--output", required=True, help="<split>.graph.adj.pk to write")
    export.set_defaults(func=_export_adj)


def _conceptnet(args: argparse.Namespace) -> int:
    from lmlab.graph.conceptnet import extract

    extract(
        args.assertions,
        _cpnet(args),
        args.stats,
        blacklist=args.blacklist,
        workers=args.workers,
        merge_path=args.merge,
        relations_path=args.relation_list,
    )
    return 0


def _statements(args: argparse.Namespace) -> int:
    from lmlab.graph.statements import write_statements

    if (args.inhouse_qids is None) != (args.inhouse_part is None):
        raise ValueError("--inhouse-qids and --inhouse-part go together")
    write_statements(
        args.questions, args.output, args.dataset, args.inhouse_qids, args.inhouse_part
    )
    return 0


def _patterns(args: argparse.Namespace) -> int:
    from lmlab.graph.grounding import write_patterns

    write_patterns(args.concepts, args.output)
    return 0


def _ground(args: argparse.Namespace) -> int:
    from lmlab.graph.grounding import ground_statements

    ground_statements(args.statements, args.patterns, args.output, workers=args.workers)
    return 0


def _subgraph(args: argparse.Namespace) -> int:
    from lmlab.graph.subgraph import write_subgraphs

    write_subgraphs(
        _cpnet(args),
        args.grounded,
        args.statements,
        args.output,
        args.params,
        threads=args.threads,
        device=args.device,
    )
    return 0


def _metapath(args: argparse.Namespace) -> int:
    from lmlab.graph.metapath import write_metapaths

    write_metapaths(args.subgraph, args.output, args.max_hops, args.threads)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from lmlab.cli import print_json
    from lmlab.graph.stats import graph_stats

    lists = (args.grounded, args.subgraph, args.metapath)
    if any(len(files) != len(args.splits) for files in lists):
        raise ValueError(f"graph stats: give one file of each kind per split {args.splits}")
    splits = {
        split: {"grounded": grounded, "subgraph": subgraph, "metapath": metapath}
        for split, grounded, subgraph, metapath in zip(args.splits, *lists, strict=True)
    }
    print_json(graph_stats(splits), args.output)
    return 0


def _convert_adj(args: argparse.Namespace) -> int:
    from lmlab.graph.safe_pickle import load_adj_pickle
    from lmlab.graph.subgraph_store import Subgraphs

    Subgraphs.from_qagnn(load_adj_pickle(args.adj), args.num_choices).save(args.output)
    return 0


def _export_adj(args: argparse.Namespace) -> int:
    from lmlab.graph.safe_pickle import dump_adj_pickle
    from lmlab.graph.subgraph_store import Subgraphs

    dump_adj_pickle(args.output, Subgraphs.load(args.subgraph).to_qagnn())
    return 0
