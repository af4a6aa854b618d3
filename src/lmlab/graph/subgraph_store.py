"""Many small subgraphs in a few flat arrays (our `.subgraph.npz`), and QA-GNN's adj records.

One statement (question + one answer choice) has one subgraph. Its nodes follow QA-GNN's order:
question concepts (ascending id), answer concepts (ascending id), then the other nodes by
descending relevance score; so `qmask`/`amask` are the prefixes of lengths `num_qc` and `num_ac`.
Its edges are the forward ConceptNet triples among its nodes, as (relation, source, target) with
node positions local to the subgraph, sorted by (relation, source, target) — the order of the
non-zeros of QA-GNN's (R*N, N) matrix whose row is `rel * N + source`.

The compact format concatenates the per-statement arrays and keeps offsets:

| array | dtype | shape | meaning |
|---|---|---|---|
| concepts | int32 | [nodes] | concept ids (lines of concepts.txt) |
| scores | float32 | [nodes] | relevance score of each node (the ranker's) |
| node_offsets | int64 | [S+1] | statement i owns nodes node_offsets[i]:node_offsets[i+1] |
| num_qc, num_ac | int32 | [S] | question / answer concepts at the start of the node list |
| context_score | float32 | [S] | score of the question-answer context itself (QA-GNN cid -1) |
| edge_rel, edge_src, edge_dst | int8, int32, int32 | [edges] | forward edges, local positions |
| edge_offsets | int64 | [S+1] | statement i owns edges edge_offsets[i]:edge_offsets[i+1] |
| num_relations, num_choices | int64 | [] | 17 merged relations; choices per question |
| sha256 | str | [] | `content_sha256` of all the other arrays (lmlab.runtime.integrity) |

Loading it is one `np.load` (no unpickling, no per-statement objects): about 10x faster than
QA-GNN's list of dicts of scipy matrices through the restricted unpickler (benchmarks/README.md),
so the model loader reads this and the pickle is written only for QA-GNN-compatible tools.
`sha256` is checked on load (hashing the arrays costs about as much as reading them): a truncated
or damaged file is an error naming it, never loaded.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from lmlab.runtime.integrity import load_npz, save_npz

CONTEXT_CID = -1  # QA-GNN's key of the question-answer context in cid2score
_ARRAYS = {
    "concepts": np.int32,
    "scores": np.float32,
    "node_offsets": np.int64,
    "num_qc": np.int32,
    "num_ac": np.int32,
    "context_score": np.float32,
    "edge_rel": np.int8,
    "edge_src": np.int32,
    "edge_dst": np.int32,
    "edge_offsets": np.int64,
}


class Subgraph(NamedTuple):
    """One statement's subgraph (views into the store's arrays)."""

    concepts: np.ndarray
    scores: np.ndarray
    num_qc: int
    num_ac: int
    context_score: float
    edge_rel: np.ndarray
    edge_src: np.ndarray
    edge_dst: np.ndarray

    @property
    def qmask(self) -> np.ndarray:
        return np.arange(len(self.concepts)) < self.num_qc

    @property
    def amask(self) -> np.ndarray:
        pos = np.arange(len(self.concepts))
        return (pos >= self.num_qc) & (pos < self.num_qc + self.num_ac)


@dataclass
class Subgraphs:
    """The subgraphs of every statement of a split (layout in the module docstring)."""

    concepts: np.ndarray
    scores: np.ndarray
    node_offsets: np.ndarray
    num_qc: np.ndarray
    num_ac: np.ndarray
    context_score: np.ndarray
    edge_rel: np.ndarray
    edge_src: np.ndarray
    edge_dst: np.ndarray
    edge_offsets: np.ndarray
    num_relations: int
    num_choices: int

    def __post_init__(self) -> None:
        for name, dtype in _ARRAYS.items():
            setattr(self, name, np.ascontiguousarray(getattr(self, name), dtype=dtype))
        self.num_relations, self.num_choices = int(self.num_relations), int(self.num_choices)

    def __len__(self) -> int:
        return len(self.num_qc)

    def __getitem__(self, i: int) -> Subgraph:
        n0, n1 = self.node_offsets[i], self.node_offsets[i + 1]
        e0, e1 = self.edge_offsets[i], self.edge_offsets[i + 1]
        return Subgraph(
            self.concepts[n0:n1],
            self.scores[n0:n1],
            int(self.num_qc[i]),
            int(self.num_ac[i]),
            float(self.context_score[i]),
            self.edge_rel[e0:e1],
            self.edge_src[e0:e1],
            self.edge_dst[e0:e1],
        )

    @property
    def num_nodes(self) -> np.ndarray:
        return np.diff(self.node_offsets)

    @property
    def num_edges(self) -> np.ndarray:
        return np.diff(self.edge_offsets)

    def save(self, path: str | os.PathLike) -> None:
        """Write the arrays to an uncompressed `.npz` with their sha256, atomically."""
        save_npz(
            path,
            {
                **{name: getattr(self, name) for name in _ARRAYS},
                "num_relations": np.int64(self.num_relations),
                "num_choices": np.int64(self.num_choices),
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> Subgraphs:
        """Read a `.subgraph.npz` written by `save` (checked against its sha256)."""
        arrays = load_npz(path, _FIELDS, "subgraph")
        return cls(**{name: arrays[name] for name in _FIELDS})

    @classmethod
    def concatenate(cls, parts: list[Subgraphs], map_fn: Callable = map) -> Subgraphs:
        """One store from consecutive chunks (offsets shifted).

        Each part is copied into its slices of preallocated arrays by `map_fn(copy, ...)`; a
        thread pool's `map` spreads the copies and the first-touch page faults of the new arrays
        over the threads (numpy releases the GIL while copying).
        """
        if not parts:
            raise ValueError("no subgraphs to concatenate")
        sizes = {
            "statements": [len(p) for p in parts],
            "nodes": [int(p.node_offsets[-1]) for p in parts],
            "edges": [int(p.edge_offsets[-1]) for p in parts],
        }
        starts = {axis: offsets_of(counts) for axis, counts in sizes.items()}
        out = {
            name: np.empty(starts[axis][-1], dtype=_ARRAYS[name])
            for axis, names in _AXES.items()
            for name in names
        }

        def copy(index: int) -> None:
            for axis, names in _AXES.items():
                span = slice(starts[axis][index], starts[axis][index + 1])
                for name in names:
                    out[name][span] = getattr(parts[index], name)

        list(map_fn(copy, range(len(parts))))
        return cls(
            **out,
            node_offsets=_join_offsets([p.node_offsets for p in parts]),
            edge_offsets=_join_offsets([p.edge_offsets for p in parts]),
            num_relations=parts[0].num_relations,
            num_choices=parts[0].num_choices,
        )

    def to_qagnn(self) -> list[dict[str, Any]]:
        """QA-GNN's adj records: one dict per statement (format in SPEC §4)."""
        return [_record(self[i], self.num_relations) for i in range(len(self))]

    @classmethod
    def from_qagnn(cls, records: list, num_choices: int) -> Subgraphs:
        """Convert QA-GNN adj records (dicts, or the older 4-tuples without scores).

        Checks the rules the model relies on: `concepts` unique, question nodes then answer
        nodes then the rest, adjacency of shape (R*N, N). Scores come from `cid2score` (0 where
        absent).
        """
        if num_choices < 1 or len(records) % num_choices:
            raise ValueError(f"{len(records)} records do not split into {num_choices} choices")
        graphs, num_relations = [], None
        for index, record in enumerate(records):
            graph, n_rel = _from_record(record, index)
            if n_rel is not None:
                if num_relations not in (None, n_rel):
                    raise ValueError(f"record {index}: {n_rel} relations, others {num_relations}")
                num_relations = n_rel
            graphs.append(graph)
        if num_relations is None:
            raise ValueError("no record has any concept")
        return cls.from_list(graphs, num_relations, num_choices)

    @classmethod
    def from_list(cls, graphs: list[Subgraph], num_relations: int, num_choices: int) -> Subgraphs:
        """One store from per-statement `Subgraph` tuples (tests, conversions)."""

        def cat(field: str) -> np.ndarray:
            return np.concatenate([np.asarray(getattr(g, field)) for g in graphs] or [[]])

        return cls(
            concepts=cat("concepts"),
            scores=cat("scores"),
            node_offsets=offsets_of([len(g.concepts) for g in graphs]),
            num_qc=[g.num_qc for g in graphs],
            num_ac=[g.num_ac for g in graphs],
            context_score=[g.context_score for g in graphs],
            edge_rel=cat("edge_rel"),
            edge_src=cat("edge_src"),
            edge_dst=cat("edge_dst"),
            edge_offsets=offsets_of([len(g.edge_rel) for g in graphs]),
            num_relations=num_relations,
            num_choices=num_choices,
        )


_FIELDS = {*_ARRAYS, "num_relations", "num_choices"}
# The per-statement, per-node and per-edge arrays (all of _ARRAYS except the two offsets).
_AXES = {
    "statements": ("num_qc", "num_ac", "context_score"),
    "nodes": ("concepts", "scores"),
    "edges": ("edge_rel", "edge_src", "edge_dst"),
}


def offsets_of(counts: list[int] | np.ndarray) -> np.ndarray:
    """Offsets [0, c0, c0 + c1, ...] (int64) of consecutive groups of the given sizes."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + n) for each (s, n), without a Python loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    shift = np.repeat(np.asarray(starts, dtype=np.int64) - offsets_of(lengths)[:-1], lengths)
    return np.arange(int(lengths.sum())) + shift


def _join_offsets(parts: list[np.ndarray]) -> np.ndarray:
    return offsets_of(np.concatenate([np.diff(p) for p in parts]))


def _record(graph: Subgraph, num_relations: int) -> dict[str, Any]:
    n = len(graph.concepts)
    rows = graph.edge_rel.astype(np.int64) * n + graph.edge_src
    adj = sp.coo_matrix(
        (np.ones(len(rows), dtype=np.uint8), (rows, graph.edge_dst.astype(np.int64))),
        shape=(num_relations * n, n),
    )
    cids = [CONTEXT_CID, *graph.concepts.tolist()]
    scores = [np.float32(graph.context_score), *graph.scores.astype(np.float32)]
    order = sorted(range(len(cids)), key=lambda k: -scores[k])  # stable, as QA-GNN's sorted()
    return {
        "adj": adj,
        "concepts": graph.concepts.astype(np.int32),
        "qmask": graph.qmask,
        "amask": graph.amask,
        "cid2score": OrderedDict((cids[k], scores[k]) for k in order),
    }


def _from_record(record: Any, index: int) -> tuple[Subgraph, int | None]:
    """One record as a `Subgraph`, and its number of relations (None for an empty graph)."""
    if isinstance(record, dict):
        adj, concepts, qmask, amask = (record[k] for k in ("adj", "concepts", "qmask", "amask"))
        cid2score = record.get("cid2score") or {}
    elif isinstance(record, tuple | list) and len(record) == 4:
        (adj, concepts, qmask, amask), cid2score = record, {}
    else:
        raise ValueError(
            f"record {index}: expected a dict or a 4-tuple, got {type(record).__name__}"
        )
    concepts = np.asarray(concepts, dtype=np.int64)
    qmask, amask = np.asarray(qmask, dtype=bool), np.asarray(amask, dtype=bool)
    n = len(concepts)
    if len(np.unique(concepts)) != n:
        raise ValueError(f"record {index}: repeated concept ids")
    num_qc, num_ac = int(qmask.sum()), int(amask.sum())
    position = np.arange(n)
    if not (
        np.array_equal(qmask, position < num_qc)
        and np.array_equal(amask, (position >= num_qc) & (position < num_qc + num_ac))
    ):
        raise ValueError(f"record {index}: nodes are not question, then answer, then other nodes")
    adj = sp.coo_matrix(adj)
    context = float(cid2score.get(CONTEXT_CID, 0.0))
    if n == 0 and adj.nnz == 0:
        return Subgraph(concepts, np.zeros(0), 0, 0, context, *([np.zeros(0)] * 3)), None
    if n == 0 or adj.shape[1] != n or adj.shape[0] % n:
        raise ValueError(f"record {index}: adj shape {adj.shape} does not fit {n} concepts")
    rel, src = np.divmod(adj.row.astype(np.int64), n)
    dst = adj.col.astype(np.int64)
    keys = np.unique((rel * n + src) * n + dst)
    rel, rest = np.divmod(keys, n * n)
    src, dst = np.divmod(rest, n)
    scores = np.array([float(cid2score.get(int(c), 0.0)) for c in concepts], dtype=np.float32)
    return Subgraph(concepts, scores, num_qc, num_ac, context, rel, src, dst), adj.shape[0] // n
