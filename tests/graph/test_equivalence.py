"""Production (sparse, vectorised, multi-process) vs the networkx reference (reference.py).

The same check at scale is benchmarks/graph_preprocess.py; this one runs in CI on a small random
graph dense enough that the node cut, score ties and multi-relation pairs all occur.
"""

from __future__ import annotations

import numpy as np
import pytest

from lmlab.graph.adjacency import ConceptAdjacency
from lmlab.graph.metapath import metapaths
from lmlab.graph.relevance import CooccurrenceRanker
from lmlab.graph.subgraph import GroundedStatements, extract_subgraphs

from .reference import (
    build_reference_graph,
    edge_tuples,
    path_tuples,
    reference_metapaths,
    reference_subgraph,
)

N_CONCEPTS, N_TRIPLES, N_REL, MAX_NODES = 120, 1200, 17, 25


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(7)
    head, tail = rng.integers(0, N_CONCEPTS, (2, N_TRIPLES))
    rel = rng.integers(0, N_REL, N_TRIPLES)
    adj = ConceptAdjacency.from_triples(
        [f"c{i}" for i in range(N_CONCEPTS)], [f"r{i}" for i in range(N_REL)], head, rel, tail
    )
    qc, ac = [], []
    for _ in range(60):
        answers = set(rng.choice(N_CONCEPTS, int(rng.integers(0, 4)), replace=False).tolist())
        questions = set(rng.choice(N_CONCEPTS, int(rng.integers(0, 7)), replace=False).tolist())
        qc.append(np.array(sorted(questions - answers), dtype=np.int64))
        ac.append(np.array(sorted(answers), dtype=np.int64))
    split = GroundedStatements(qc, ac, [""] * len(qc), num_choices=5)
    return adj, build_reference_graph(N_CONCEPTS, head, rel, tail), split


@pytest.mark.parametrize("threads", [1, 2])
def test_subgraphs_and_metapaths_equal_the_reference(problem, threads):
    adj, reference, split = problem
    sub = extract_subgraphs(adj, split, CooccurrenceRanker(), MAX_NODES, threads, chunk_size=10)
    paths = metapaths(sub, threads=threads, chunk_size=7)
    cut = 0
    for i in range(len(split)):
        expected = reference_subgraph(
            reference, split.qc[i].tolist(), split.ac[i].tolist(), MAX_NODES, N_REL
        )
        graph = sub[i]
        assert graph.concepts.tolist() == expected["concepts"]
        assert (graph.num_qc, graph.num_ac) == (expected["num_qc"], expected["num_ac"])
        np.testing.assert_allclose(graph.scores, expected["scores"], rtol=1e-6)
        edges = edge_tuples(graph)
        assert edges == expected["edges"]
        assert path_tuples(paths[i]) == reference_metapaths(
            len(graph.concepts), graph.num_qc, graph.num_ac, edges, N_REL
        )
        cut += len(graph.concepts) == MAX_NODES
    assert cut > 5  # the cut to max_nodes was exercised
