"""REFERENCE IMPLEMENTATION, for tests and benchmarks only (the pipeline never imports it).

The straightforward version of `lmlab.graph.subgraph` (cheap ranker) and `lmlab.graph.metapath`:
networkx graphs and one statement at a time, written the way QA-GNN's `utils/graph.py` does it
(`cpnet_simple` neighbour-set intersections for every pair of question/answer concepts, then an
N x N `has_edge` loop over the MultiDiGraph for the adjacency). It restates the rules from their
description, shares no code with the production modules, and must give identical results:
tests/graph/test_equivalence.py checks that in CI, benchmarks/graph_preprocess.py at scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

Q, A, C = 0, 1, 2


@dataclass
class ReferenceGraph:
    simple: nx.Graph  # undirected, one edge per linked pair (QA-GNN `cpnet_simple`)
    multi: nx.MultiDiGraph  # forward triples, edge attribute `rel` (QA-GNN `cpnet`)


def build_reference_graph(num_concepts: int, head, rel, tail) -> ReferenceGraph:
    simple, multi = nx.Graph(), nx.MultiDiGraph()
    simple.add_nodes_from(range(num_concepts))
    multi.add_nodes_from(range(num_concepts))
    for h, r, t in zip(head.tolist(), rel.tolist(), tail.tolist(), strict=True):
        if h == t:
            continue
        simple.add_edge(h, t)
        if not any(d["rel"] == r for d in multi.get_edge_data(h, t, default={}).values()):
            multi.add_edge(h, t, rel=r)
    return ReferenceGraph(simple, multi)


def reference_subgraph(graph: ReferenceGraph, qc, ac, max_nodes: int, num_relations: int) -> dict:
    """One statement's subgraph: nodes in order, masks' sizes, scores and sorted edges."""
    qc_set = set(qc) - set(ac)
    qa_nodes = qc_set | set(ac)
    extra = set()
    for u in qa_nodes:
        for v in qa_nodes:
            if u != v and u in graph.simple and v in graph.simple:
                extra |= set(graph.simple[u]) & set(graph.simple[v])
    extra -= qa_nodes

    def score(x: int) -> float:
        degree = graph.simple.degree(x)
        if degree == 0:
            return 0.0
        return sum(1 for u in qa_nodes if graph.simple.has_edge(u, x)) / math.sqrt(degree)

    nodes = sorted(qc_set) + sorted(ac) + sorted(sorted(extra), key=lambda x: -score(x))
    nodes = nodes[:max_nodes]
    num_qc = min(len(qc_set), max_nodes)
    num_ac = min(len(set(ac)), max_nodes - num_qc)
    edges = []
    for s, u in enumerate(nodes):
        for t, v in enumerate(nodes):
            if graph.multi.has_edge(u, v):
                for data in graph.multi[u][v].values():
                    if 0 <= data["rel"] < num_relations:
                        edges.append((data["rel"], s, t))
    return {
        "concepts": nodes,
        "num_qc": num_qc,
        "num_ac": num_ac,
        "scores": [score(x) for x in nodes],
        "edges": sorted(edges),
    }


def reference_metapaths(num_nodes: int, num_qc: int, num_ac: int, edges, num_relations: int):
    """One statement's meta-paths as (code tuple, head, mid, tail), in the documented order."""
    kind = [Q if i < num_qc else A if i < num_qc + num_ac else C for i in range(num_nodes)]
    out_edges = {i: [] for i in range(num_nodes)}
    for rel, src, dst in edges:
        out_edges[src].append((rel, dst))
    none = num_relations
    found = []
    for u in range(num_nodes):
        for r1, m in out_edges[u]:
            if {kind[u], kind[m]} == {Q, A}:
                found.append(((1, u, m, -1, r1, none), (kind[u], r1, kind[m], none, kind[m])))
            for r2, v in out_edges[m]:
                if {kind[u], kind[v]} == {Q, A} and m not in (u, v):
                    found.append(((2, u, v, m, r1, r2), (kind[u], r1, kind[m], r2, kind[v])))
    found.sort()
    paths = [(code, key[1], key[3], key[2]) for key, code in found]
    return paths or [((Q, none, A, none, A), -1, -1, -1)]


def edge_tuples(graph) -> list[tuple[int, int, int]]:
    """A production `Subgraph`'s edges in the reference form: (rel, src, dst) tuples."""
    return list(
        zip(graph.edge_rel.tolist(), graph.edge_src.tolist(), graph.edge_dst.tolist(), strict=True)
    )


def path_tuples(paths) -> list[tuple[tuple[int, ...], int, int, int]]:
    """A production `PathSet` in the reference form: (code, head, mid, tail) tuples."""
    columns = (paths.code.tolist(), paths.head.tolist(), paths.mid.tolist(), paths.tail.tolist())
    return [(tuple(c), h, m, t) for c, h, m, t in zip(*columns, strict=True)]
