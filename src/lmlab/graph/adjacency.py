"""Sparse views of the pruned ConceptNet graph used by subgraph extraction (SPEC §5.4).

QA-GNN keeps two networkx graphs in memory: `cpnet` (a MultiDiGraph with every merged relation,
forward and reversed) and `cpnet_simple` (the undirected simple graph). Both are replaced here by
two scipy CSR matrices over concept ids, built once from `results/graph/cpnet/`
(`lmlab.graph.conceptnet.load_graph`):

- `undirected`: binary, symmetric, zero diagonal; `undirected[u, v] = 1` iff some relation joins
  u and v in either direction. Row sums are the degrees of `cpnet_simple`. A product
  `S @ undirected` with S one row per statement (ones at its question and answer concepts)
  counts, for every concept, how many of the statement's concepts it neighbours: the whole
  "2-hop" rule of QA-GNN in one sparse matrix product.
- `oriented`: every linked pair {u, v} once, in the row of the endpoint of lower (degree, id)
  and the column of the other (the degree orientation of triangle listing, Chiba & Nishizeki
  1985); the int64 value holds the bitmask of the merged relations row -> column in its low 32
  bits and column -> row in its high 32 bits (bit r set for relation r). Gathering the rows of a
  subgraph's nodes gives every forward edge among them without QA-GNN's N^2 `has_edge` loop, and
  a hub's row is short: on a heavy-tailed graph this gathers about 7x fewer entries than the
  hubs' full rows (benchmarks/README.md).

A few hundred MB for the full ConceptNet (about 800k concepts, 2M triples), against several GB for
the networkx pair.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from lmlab.graph.conceptnet import load_graph
from lmlab.paths import CpnetFiles

MAX_RELATIONS = 31  # one direction's relation bits, below the sign bit of an int64 half


@dataclass(frozen=True)
class ConceptAdjacency:
    """The pruned ConceptNet graph as sparse matrices over concept ids (see module docstring)."""

    concepts: list[str]
    relation_names: list[str]
    undirected: sp.csr_matrix
    oriented: sp.csr_matrix
    degree: np.ndarray

    @property
    def num_concepts(self) -> int:
        return len(self.concepts)

    @property
    def num_relations(self) -> int:
        return len(self.relation_names)

    @classmethod
    def from_triples(
        cls,
        concepts: list[str],
        relation_names: list[str],
        head: np.ndarray,
        rel: np.ndarray,
        tail: np.ndarray,
    ) -> ConceptAdjacency:
        """Build both matrices from triple arrays (duplicates and self-loops are tolerated)."""
        n, n_rel = len(concepts), len(relation_names)
        head, rel, tail = (np.asarray(a, dtype=np.int64) for a in (head, rel, tail))
        if n_rel > MAX_RELATIONS:
            raise ValueError(
                f"{n_rel} relations do not fit a relation bitmask (max {MAX_RELATIONS})"
            )
        for name, values, bound in (("head", head, n), ("tail", tail, n), ("rel", rel, n_rel)):
            if values.size and (values.min() < 0 or values.max() >= bound):
                raise ValueError(f"graph {name} ids must lie in [0, {bound}), got {values.max()}")
        keep = head != tail
        head, rel, tail = head[keep], rel[keep], tail[keep]
        # Duplicate (h, t) pairs are summed by tocsr(): OR the bits first so a repeated triple
        # cannot carry into the next relation's bit.
        # Relation bits per ordered pair (repeated triples removed first, so the sum is an OR).
        pair = np.unique((head * n + tail) * n_rel + rel)
        pair, rel = np.divmod(pair, n_rel)
        src, dst = np.divmod(pair, n)
        bits = np.left_shift(np.int64(1), rel)
        # Both directions of each linked pair: the reversed triple's bits go 32 bits higher.
        both = sp.coo_matrix(
            (
                np.concatenate([bits, bits << 32]),
                (np.concatenate([src, dst]), np.concatenate([dst, src])),
            ),
            shape=(n, n),
        ).tocsr()
        both.sum_duplicates()
        undirected = both.astype(bool).astype(np.int32)
        degree = np.diff(undirected.indptr).astype(np.int64)
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((np.arange(n), degree))] = np.arange(n)
        coo = both.tocoo()
        low = rank[coo.row] < rank[coo.col]
        oriented = sp.csr_matrix(
            (coo.data[low], (coo.row[low], coo.col[low])), shape=(n, n), dtype=np.int64
        )
        return cls(list(concepts), list(relation_names), undirected, oriented, degree)


def read_cpnet(location: CpnetFiles | str | os.PathLike) -> ConceptAdjacency:
    """The sparse views of the extraction stage's files (`conceptnet.load_graph`)."""
    graph = load_graph(location)
    return ConceptAdjacency.from_triples(
        graph.concepts, graph.relations, graph.head, graph.rel, graph.tail
    )
