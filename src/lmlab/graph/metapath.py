"""Meta-paths of length <= 2 between question and answer nodes, for QAT's meta-path tokens.

QAT (Park et al., AAAI 2023, §3.1) turns every short relation path between a question concept and
an answer concept of a statement's subgraph into a token, embedded by an MLP over a one-hot of
the path's node types and relation types (the QA-GNN/SAFE style encoding). QAT did not release its
generator; this module defines it as follows.

Paths. In a subgraph (lmlab.graph.subgraph: forward ConceptNet edges only), a path follows edge
directions and joins a question node to an answer node or an answer node to a question node
(the "both directions" of the paper):
- 1 hop: an edge u -r-> v with {type u, type v} = {Q, A};
- 2 hops: edges u -r1-> m -r2-> v with {type u, type v} = {Q, A} and m any third node of the
  subgraph (question, answer or other).
Each relation combination is its own path (u -r1-> m over two relations gives two paths). A
statement with no path gets one placeholder path (below).

Encoding, `dim = 3 + 2 * (3 + R + 1)` = 45 for the R = 17 merged relations; five one-hot blocks:

| block | dims (R=17) | one-hot of |
|---|---|---|
| type(n0) | 0-2 | path start: 0 = Q, 1 = A, 2 = C |
| rel1 | 3-20 | first relation id 0-16; 17 = "no connection" |
| type(n1) | 21-23 | second node (the end of a 1-hop path) |
| rel2 | 24-41 | second relation; 17 = "no connection" for a 1-hop path |
| type(n2) | 42-44 | third node; for a 1-hop path, type(n1) again (the path stays at its end) |

So every code has exactly five ones. The placeholder path is (Q, no connection, A, no connection,
A) with head = mid = tail = -1 (the loader points it at the context node).

Stored form (`.metapath.npz`): `code` int8 [P, 5] (the index inside each block), `head`, `mid`,
`tail` int32 [P] (local node positions in the subgraph; mid = -1 for 1 hop), `offsets` int64
[S+1], `num_relations`, and `sha256`, the `content_sha256` of the other arrays
(lmlab.runtime.integrity), checked on load: a truncated or damaged file is an error naming it,
never loaded. The 45-dim one-hot is expanded by `one_hot` at load time (5 bytes per path on disk
instead of 45). Paths of a statement are sorted by (hops, head, tail, mid, rel1, rel2). Keeping
`mid` lets the loader drop paths through nodes beyond its `max_node_num`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lmlab.graph.subgraph_store import Subgraphs, concat_ranges, offsets_of
from lmlab.runtime.integrity import load_npz, save_npz
from lmlab.runtime.logs import progress

Q, A, C = 0, 1, 2
NUM_NODE_TYPES = 3
CHUNK_STATEMENTS = 1000
_PATH_ARRAYS = ("code", "head", "mid", "tail", "offsets")  # per-path arrays, `MetaPaths` order


def encoding_dim(num_relations: int) -> int:
    """Length of the one-hot path encoding: 45 for 17 relations."""
    return NUM_NODE_TYPES + 2 * (NUM_NODE_TYPES + num_relations + 1)


def placeholder_code(num_relations: int) -> np.ndarray:
    """The code of the "no path" placeholder: (Q, no connection, A, no connection, A)."""
    return np.array([Q, num_relations, A, num_relations, A], dtype=np.int8)


def one_hot(code: np.ndarray, num_relations: int) -> np.ndarray:
    """The [P, 45] float32 one-hot encoding of path codes [P, 5] (layout in module docstring)."""
    code = np.asarray(code, dtype=np.int64).reshape(-1, 5)
    n_rel = num_relations + 1
    starts = np.cumsum([0, NUM_NODE_TYPES, n_rel, NUM_NODE_TYPES, n_rel])
    out = np.zeros((len(code), encoding_dim(num_relations)), dtype=np.float32)
    rows = np.arange(len(code))
    for block, start in enumerate(starts):
        out[rows, start + code[:, block]] = 1.0
    return out


class PathSet(NamedTuple):
    """One statement's meta-paths (views)."""

    code: np.ndarray
    head: np.ndarray
    mid: np.ndarray
    tail: np.ndarray


@dataclass
class MetaPaths:
    """The meta-paths of every statement of a split (layout in the module docstring)."""

    code: np.ndarray
    head: np.ndarray
    mid: np.ndarray
    tail: np.ndarray
    offsets: np.ndarray
    num_relations: int

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> PathSet:
        s = slice(self.offsets[i], self.offsets[i + 1])
        return PathSet(self.code[s], self.head[s], self.mid[s], self.tail[s])

    def is_placeholder(self) -> np.ndarray:
        """Per statement: True when its only path is the placeholder (no Q-A path at all)."""
        return (np.diff(self.offsets) == 1) & (self.head[self.offsets[:-1]] == -1)

    def save(self, path: str | os.PathLike) -> None:
        """Write the arrays to an uncompressed `.npz` with their sha256, atomically."""
        save_npz(
            path,
            {
                "code": self.code.astype(np.int8),
                "head": self.head.astype(np.int32),
                "mid": self.mid.astype(np.int32),
                "tail": self.tail.astype(np.int32),
                "offsets": self.offsets.astype(np.int64),
                "num_relations": np.int64(self.num_relations),
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> MetaPaths:
        """Read a `.metapath.npz` written by `save` (checked against its sha256)."""
        arrays = load_npz(path, {*_PATH_ARRAYS, "num_relations"}, "meta-path")
        return cls(*(arrays[name] for name in _PATH_ARRAYS), int(arrays["num_relations"]))


def metapaths(
    subgraphs: Subgraphs,
    max_hops: int = 2,
    threads: int = 1,
    chunk_size: int = CHUNK_STATEMENTS,
) -> MetaPaths:
    """Every meta-path of every statement (rules and order in the module docstring).

    Chunks of statements run on `threads` threads: the work is numpy sorts, searches and
    gathers, which release the GIL.
    """
    if max_hops not in (1, 2):
        raise ValueError(f"config graph.metapath.max_hops must be 1 or 2, got {max_hops}")
    if len(subgraphs) == 0:
        raise ValueError("no subgraphs: the split is empty")
    starts = range(0, len(subgraphs), chunk_size)

    def chunk(start: int) -> tuple[np.ndarray, ...]:
        return _chunk(subgraphs, start, min(start + chunk_size, len(subgraphs)), max_hops)

    with ThreadPoolExecutor(max(1, threads)) as pool:
        parts = list(progress(pool.map(chunk, starts), desc="meta-paths", total=len(starts)))
    code, head, mid, tail, counts = (np.concatenate(c) for c in zip(*parts, strict=True))
    return MetaPaths(code, head, mid, tail, offsets_of(counts), subgraphs.num_relations)


def _chunk(sub: Subgraphs, start: int, stop: int, max_hops: int) -> tuple[np.ndarray, ...]:
    """Paths of statements start..stop-1: code, head, mid, tail and the count per statement."""
    n_rel = sub.num_relations
    n_stmt = stop - start
    node0, edge0 = sub.node_offsets[start], sub.edge_offsets[start]
    node_offsets = sub.node_offsets[start : stop + 1] - node0
    num_edges = np.diff(sub.edge_offsets[start : stop + 1])
    rows = np.repeat(np.arange(n_stmt, dtype=np.int32), num_edges)
    edge = slice(edge0, edge0 + int(num_edges.sum()))
    src, dst, rel = sub.edge_src[edge], sub.edge_dst[edge], sub.edge_rel[edge]
    # Question and answer nodes are the first num_qc + num_ac of a statement: only edges with
    # such an end can be on a path (most edges join two other nodes and are dropped here).
    n_q = sub.num_qc[start:stop][rows]
    n_qa = n_q + sub.num_ac[start:stop][rows]
    ends = np.flatnonzero((src < n_qa) | (dst < n_qa))
    rows, src, dst, rel, n_q, n_qa = (a[ends] for a in (rows, src, dst, rel, n_q, n_qa))
    src, dst, rel = src.astype(np.int64), dst.astype(np.int64), rel.astype(np.int64)
    tsrc = np.where(src < n_q, Q, np.where(src < n_qa, A, C))
    tdst = np.where(dst < n_q, Q, np.where(dst < n_qa, A, C))
    gsrc, gdst = node_offsets[rows] + src, node_offsets[rows] + dst

    one = _joins_q_and_a(tsrc, tdst)
    n_one = int(one.sum())
    found = [
        (rows[one], np.ones(n_one, dtype=np.int64), src[one], np.full(n_one, -1), dst[one],
         np.stack([tsrc[one], rel[one], tdst[one], np.full(n_one, n_rel), tdst[one]], 1))
    ]  # fmt: skip
    if max_hops == 2:
        first = np.flatnonzero(tsrc != C)
        second = np.flatnonzero(tdst != C)
        by_src = second[np.argsort(gsrc[second], kind="stable")]
        lo = np.searchsorted(gsrc[by_src], gdst[first], side="left")
        count = np.searchsorted(gsrc[by_src], gdst[first], side="right") - lo
        i1 = np.repeat(first, count)
        i2 = by_src[concat_ranges(lo, count)]
        keep = _joins_q_and_a(tsrc[i1], tdst[i2]) & (gdst[i1] != gsrc[i1]) & (gdst[i1] != gdst[i2])
        i1, i2 = i1[keep], i2[keep]
        found.append(
            (rows[i1], np.full(len(i1), 2), src[i1], dst[i1], dst[i2],
             np.stack([tsrc[i1], rel[i1], tdst[i1], rel[i2], tdst[i2]], 1))
        )  # fmt: skip
    p_rows, hops, head, mid, tail, code = (np.concatenate(c) for c in zip(*found, strict=True))
    order = np.lexsort((code[:, 3], code[:, 1], mid, tail, head, hops, p_rows))
    p_rows, head, mid, tail, code = p_rows[order], head[order], mid[order], tail[order], code[order]
    counts = np.bincount(p_rows, minlength=n_stmt)
    # Statements without a path get the placeholder, inserted at their (empty) position.
    empty = np.flatnonzero(counts == 0)
    at = np.searchsorted(p_rows, empty)
    code = np.insert(code, at, placeholder_code(n_rel), axis=0)
    head, mid, tail = (np.insert(a, at, -1) for a in (head, mid, tail))
    counts[empty] = 1
    return code.astype(np.int8), head, mid, tail, counts


def _joins_q_and_a(start_type: np.ndarray, end_type: np.ndarray) -> np.ndarray:
    return ((start_type == Q) & (end_type == A)) | ((start_type == A) & (end_type == Q))


def write_metapaths(
    subgraph_npz: str | os.PathLike, output: str | os.PathLike, max_hops: int, threads: int = 1
) -> MetaPaths:
    """Stage function: meta-paths of up to `max_hops` (`graph.metapath.max_hops`) of a split's
    `.subgraph.npz`."""
    paths = metapaths(Subgraphs.load(subgraph_npz), max_hops, threads)
    paths.save(output)
    return paths
