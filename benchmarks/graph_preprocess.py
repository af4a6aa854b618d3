"""Subgraph + meta-path extraction: production (lmlab.graph) vs the networkx reference.

The reference (tests/graph/reference.py) implements the same rules one statement at a time on
networkx graphs, as QA-GNN's `utils/graph.py` does; the production code is vectorised over chunks
of statements with scipy.sparse and runs chunks in a thread pool. Both see the same generated
input: a random ConceptNet-like graph with a heavy-tailed degree distribution (endpoints drawn
from a Zipf-like law, 17 relations) and questions whose grounded concepts are drawn from the same
law (grounded words are common words, i.e. well-connected concepts). The script asserts that both
give identical node lists (same sets, same order) and identical meta-paths, and prints a table.

    .venv/bin/python benchmarks/graph_preprocess.py            # 100k concepts, 500k triples
    .venv/bin/python benchmarks/graph_preprocess.py --concepts 20000 --triples 100000 \
        --questions 100

Production timings are the median of `--repeats` interleaved runs after a warm-up run; the
reference runs once (it takes minutes).
Timings exclude building the graphs (scipy: once per rule; networkx: QA-GNN unpickles it).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

from lmlab.graph.adjacency import ConceptAdjacency
from lmlab.graph.metapath import metapaths
from lmlab.graph.relevance import CooccurrenceRanker
from lmlab.graph.safe_pickle import dump_adj_pickle, load_adj_pickle
from lmlab.graph.subgraph import GroundedStatements, extract_subgraphs
from lmlab.graph.subgraph_store import Subgraphs

ROOT = Path(__file__).resolve().parents[1]
N_REL = 17


def load_reference():
    spec = importlib.util.spec_from_file_location("reference", ROOT / "tests/graph/reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate(concepts: int, triples: int, questions: int, choices: int, seed: int):
    """A heavy-tailed random graph and grounded statements (3-8 question, 1-3 answer concepts)."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / (np.arange(concepts) + 50.0) ** 0.9
    weight /= weight.sum()
    ids = rng.permutation(concepts)  # hubs anywhere in the id range
    head = ids[rng.choice(concepts, triples, p=weight)]
    tail = ids[rng.choice(concepts, triples, p=weight)]
    rel = rng.integers(0, N_REL, triples)
    qc, ac = [], []
    for _ in range(questions):
        question = set(ids[rng.choice(concepts, int(rng.integers(3, 9)), p=weight)].tolist())
        for _ in range(choices):
            answer = set(ids[rng.choice(concepts, int(rng.integers(1, 4)), p=weight)].tolist())
            qc.append(np.array(sorted(question - answer), dtype=np.int64))
            ac.append(np.array(sorted(answer), dtype=np.int64))
    split = GroundedStatements(qc, ac, [""] * len(qc), num_choices=choices)
    return head, rel, tail, split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concepts", type=int, default=100_000)
    parser.add_argument("--triples", type=int, default=500_000)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--choices", type=int, default=5)
    parser.add_argument("--max-nodes", type=int, default=200)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed production runs per thread count"
    )
    parser.add_argument("--memory-questions", type=int, default=100, help="traced-memory subset")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    reference = load_reference()

    head, rel, tail, split = generate(
        args.concepts, args.triples, args.questions, args.choices, args.seed
    )
    names = [f"c{i}" for i in range(args.concepts)]
    t0 = time.perf_counter()
    adj = ConceptAdjacency.from_triples(names, [f"r{r}" for r in range(N_REL)], head, rel, tail)
    build_sparse = time.perf_counter() - t0
    n_stmt = len(split)
    rows = []

    def timed(label, fn):
        """Run fn once; record wall and CPU seconds (all threads of this process)."""
        before, start = _cpu_seconds(), time.perf_counter()
        result = fn()
        rows.append((label, time.perf_counter() - start, _cpu_seconds() - before))
        return result

    def compare(what, fn):
        """fn(threads) for each thread count: one untimed warm-up run each, then `--repeats`
        rounds in turn (1, 2, 1, 2, ...) so that every count sees the same machine state; the
        median of each is recorded. Returns each count's result."""
        results = {threads: fn(threads) for threads in args.threads}
        times = {threads: [] for threads in args.threads}
        for _ in range(args.repeats):
            for threads in args.threads:
                before, start = _cpu_seconds(), time.perf_counter()
                results[threads] = fn(threads)
                times[threads].append((time.perf_counter() - start, _cpu_seconds() - before))
        for threads, runs in times.items():
            wall, cpu = np.median(runs, axis=0)
            rows.append((f"{what} production, {threads} thread(s)", float(wall), float(cpu)))
        return results

    # Production first, while the heap holds only what a real rule has (the networkx graph is
    # built below).
    produced = compare(
        "subgraph ",
        lambda t: extract_subgraphs(adj, split, CooccurrenceRanker(), args.max_nodes, t),
    )
    sub = produced[args.threads[0]]
    found_paths = compare("meta-path", lambda t: metapaths(sub, threads=t))
    paths = found_paths[args.threads[0]]
    load = os.getloadavg()[0]

    t0 = time.perf_counter()
    graph = reference.build_reference_graph(args.concepts, head, rel, tail)
    build_nx = time.perf_counter() - t0

    expected = timed(
        "subgraph  reference (networkx), 1 thread",
        lambda: [
            reference.reference_subgraph(graph, q.tolist(), a.tolist(), args.max_nodes, N_REL)
            for q, a in zip(split.qc, split.ac, strict=True)
        ],
    )
    expected_paths = timed(
        "meta-path reference, 1 thread",
        lambda: [
            reference.reference_metapaths(
                len(e["concepts"]), e["num_qc"], e["num_ac"], e["edges"], N_REL
            )
            for e in expected
        ],
    )

    for i, e in enumerate(expected):
        for result in produced.values():
            assert result[i].concepts.tolist() == e["concepts"], f"statement {i}: node lists differ"
        for result in found_paths.values():
            assert reference.path_tuples(result[i]) == expected_paths[i], f"statement {i}: paths"

    subset = GroundedStatements(
        split.qc[: args.memory_questions * args.choices],
        split.ac[: args.memory_questions * args.choices],
        split.contexts[: args.memory_questions * args.choices],
        args.choices,
    )
    peak_production = _peak(
        lambda: extract_subgraphs(adj, subset, CooccurrenceRanker(), args.max_nodes, 1)
    )
    peak_reference = _peak(
        lambda: [
            reference.reference_subgraph(graph, q.tolist(), a.tolist(), args.max_nodes, N_REL)
            for q, a in zip(subset.qc, subset.ac, strict=True)
        ]
    )
    graph_mb = sum(
        m.data.nbytes + m.indices.nbytes + m.indptr.nbytes for m in (adj.undirected, adj.oriented)
    )
    nx_mb = _peak(lambda: reference.build_reference_graph(args.concepts, head, rel, tail))

    tmp = ROOT / "results" / "benchmarks" / "graph_preprocess"
    tmp.mkdir(parents=True, exist_ok=True)
    sub.save(tmp / "bench.subgraph.npz")
    dump_adj_pickle(tmp / "bench.graph.adj.pk", sub.to_qagnn())
    t0 = time.perf_counter()
    Subgraphs.load(tmp / "bench.subgraph.npz")
    load_npz = time.perf_counter() - t0
    t0 = time.perf_counter()
    load_adj_pickle(tmp / "bench.graph.adj.pk")
    load_pk = time.perf_counter() - t0

    nodes, n_paths = sub.num_nodes, np.diff(paths.offsets)
    print(
        f"input: {args.concepts} concepts, {len(head)} triples ({adj.oriented.nnz} linked pairs),"
        f" {args.questions} questions x {args.choices} choices = {n_stmt} statements;"
        f" nodes/statement mean {nodes.mean():.1f} max {nodes.max()}"
        f" (cut to {args.max_nodes}: {np.mean(nodes == args.max_nodes):.0%}),"
        f" edges mean {sub.num_edges.mean():.1f}, meta-paths mean {n_paths.mean():.1f}"
    )
    print(f"graph build: scipy {build_sparse:.1f} s ({graph_mb / 2**20:.0f} MB),"
          f" networkx {build_nx:.1f} s ({nx_mb / 2**20:.0f} MB traced)")  # fmt: skip
    print(f"\n{'what':42s} {'wall s':>7s} {'CPU s':>7s} {'questions/s':>12s} {'statements/s':>13s}")
    for label, seconds, cpu in rows:
        print(
            f"{label:42s} {seconds:7.2f} {cpu:7.2f} {args.questions / seconds:12.1f}"
            f" {n_stmt / seconds:13.1f}"
        )
    wall = {label: seconds for label, seconds, _ in rows}
    cpu = {label: seconds for label, _, seconds in rows}
    first = args.threads[0]
    for what, ref, prod in (
        ("subgraph", "subgraph  reference (networkx), 1 thread", "subgraph  production"),
        ("meta-paths", "meta-path reference, 1 thread", "meta-path production"),
    ):
        one = f"{prod}, {first} thread(s)"
        print(
            f"speed ratio {what}, reference / production ({first} thread(s)): wall"
            f" {wall[ref] / wall[one]:.1f}x, CPU {cpu[ref] / cpu[one]:.1f}x"
        )
        for threads in args.threads[1:]:
            many = f"{prod}, {threads} thread(s)"
            print(
                f"scaling {what} {first} -> {threads} threads: wall {wall[one] / wall[many]:.2f}x,"
                f" total CPU {cpu[many] / cpu[one]:.2f}x of {first} thread(s)"
                f" ({os.cpu_count()} CPUs, load average {load:.1f} during the production runs)"
            )
    print(
        f"peak traced memory, subgraphs of {args.memory_questions} questions:"
        f" production {peak_production / 2**20:.1f} MB, reference {peak_reference / 2**20:.1f} MB"
    )
    print(f"load {n_stmt} subgraphs: npz {load_npz * 1000:.0f} ms, QA-GNN pickle (restricted)"
          f" {load_pk * 1000:.0f} ms ({load_pk / load_npz:.0f}x)")  # fmt: skip
    print("identical node lists and meta-paths: yes (asserted)")


def _cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads) and of its reaped children."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def _peak(fn) -> int:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


if __name__ == "__main__":
    main()
