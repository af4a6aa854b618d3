"""Per-statement ConceptNet subgraphs: QA-GNN's "2-hop all pairs" rule, ranked and cut (SPEC §5.4).

The rule (Yasunaga et al. 2021, `utils/graph.py: concepts_to_adj_matrices_2hop_all_pair`): with
QA = the statement's question concepts (minus its answer concepts) and answer concepts, the extra
nodes are the union over every pair u != v in QA of N(u) ∩ N(v) (neighbours in the undirected
simple graph), minus QA itself. Equivalently: every concept adjacent to at least two concepts
of QA. Node order: question concepts ascending, answer concepts ascending, extra nodes by
descending relevance score (ties: ascending id, as QA-GNN's stable sort of a sorted list), the
whole list cut to `max_nodes`. Edges: every forward triple among the nodes.

Vectorised over a chunk of statements instead of one statement at a time:
1. `S @ A` (S: one row per statement with ones at its QA concepts; A: the binary undirected
   adjacency) gives, per statement, how many QA concepts each concept neighbours: entries >= 2
   outside QA are the extra nodes, and the counts feed the cheap ranker.
2. Ranking and the cut are one `lexsort` over (statement, -score, id) of all candidates.
3. Edges: gather the rows of the degree-oriented relation-bitmask matrix (adjacency.py) for all
   chunk nodes at once, keep the entries whose column is a node of the same statement (a
   concept-indexed array marks one statement's nodes at a time), and unpack the relation bits.
Chunks run in a pool of `threads` threads that share the graph and the results: scipy's sparse
kernels and numpy's sorts, gathers and ufuncs release the GIL, and the Python left per chunk is a
loop of a few small calls per statement, so threads scale like processes here without forking
or pickling the results back (benchmarks/README.md: 1.8x from 1 to 2 threads). The final
concatenation copies the chunks on the same threads. The LM ranker runs between two pool passes
in the calling thread (one model, batched, GPU if present).
`tests/graph/reference.py` is the straightforward one-statement-at-a-time version with networkx;
tests and benchmarks/graph_preprocess.py check the two give the same subgraphs.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from lmlab.config import SubgraphConfig
from lmlab.graph.adjacency import ConceptAdjacency
from lmlab.graph.relevance import CooccurrenceRanker, LMRanker, Scores
from lmlab.graph.subgraph_store import Subgraphs, offsets_of
from lmlab.paths import CpnetFiles
from lmlab.runtime.logs import progress

log = logging.getLogger(__name__)
CHUNK_STATEMENTS = 250


@dataclass(frozen=True)
class GroundedStatements:
    """The grounded concepts of every statement of a split, as concept ids."""

    qc: list[np.ndarray]  # question concepts minus answer concepts, ascending
    ac: list[np.ndarray]  # answer concepts, ascending
    contexts: list[str]  # QA-GNN's "{stem} {answer}." (for the LM ranker)
    num_choices: int

    def __len__(self) -> int:
        return len(self.qc)


@dataclass(frozen=True)
class Candidates:
    """A chunk's QA nodes and 2-hop extra nodes before ranking, concatenated with offsets.

    `qa_counts` / `extra_counts`: how many of the statement's QA concepts each node neighbours.
    """

    qa_concepts: np.ndarray
    qa_offsets: np.ndarray
    num_qc: np.ndarray
    qa_counts: np.ndarray
    extra_concepts: np.ndarray
    extra_offsets: np.ndarray
    extra_counts: np.ndarray


def read_grounded(
    grounded_path: str | os.PathLike,
    statement_path: str | os.PathLike,
    concept2id: dict[str, int],
) -> GroundedStatements:
    """Read QA-GNN's grounded jsonl (one line per statement) with its statement jsonl.

    The statement file has one line per question; each question's statements are consecutive
    grounded lines. Question concepts that are also answer concepts are dropped (QA-GNN).
    """
    questions = _read_jsonl(statement_path)
    grounded = _read_jsonl(grounded_path)
    if not questions:
        raise ValueError(f"{statement_path}: no questions")
    num_choices = len(questions[0][1].get("statements", []))
    for number, question in questions:
        if len(question.get("statements", [])) != num_choices:
            raise ValueError(
                f"{statement_path}: line {number}: {len(question.get('statements', []))} "
                f"statements, line 1 has {num_choices}"
            )
    if num_choices == 0 or len(grounded) != num_choices * len(questions):
        raise ValueError(
            f"{grounded_path}: {len(grounded)} lines, expected {num_choices} per question of "
            f"{statement_path} ({num_choices * len(questions)})"
        )
    qc, ac, contexts = [], [], []
    for index, (number, line) in enumerate(grounded):
        try:
            q_ids = {concept2id[c] for c in line["qc"]}
            a_ids = {concept2id[c] for c in line["ac"]}
            stem = questions[index // num_choices][1]["question"]["stem"]
            contexts.append(f"{stem} {line['ans']}.")
        except KeyError as err:
            raise ValueError(
                f"{grounded_path}: line {number}: unknown concept or missing field {err}"
            ) from None
        qc.append(np.array(sorted(q_ids - a_ids), dtype=np.int64))
        ac.append(np.array(sorted(a_ids), dtype=np.int64))
    return GroundedStatements(qc, ac, contexts, num_choices)


def _read_jsonl(path: str | os.PathLike) -> list[tuple[int, dict]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if text.strip():
                try:
                    rows.append((number, json.loads(text)))
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}: line {number}: bad JSON ({err.msg})") from None
    return rows


def candidates(
    adj: ConceptAdjacency, qc: Sequence[np.ndarray], ac: Sequence[np.ndarray]
) -> Candidates:
    """The QA nodes and the 2-hop extra nodes of each statement of a chunk (module docstring)."""
    n = adj.num_concepts
    num_qc = np.array([len(q) for q in qc], dtype=np.int64)
    n_qa = num_qc + [len(a) for a in ac]
    qa_concepts = np.concatenate([np.concatenate([q, a]) for q, a in zip(qc, ac, strict=True)])
    qa_concepts = qa_concepts.astype(np.int64)
    qa_rows = np.repeat(np.arange(len(qc)), n_qa)
    select = sp.csr_matrix(
        (np.ones(len(qa_concepts), dtype=np.int32), (qa_rows, qa_concepts)), shape=(len(qc), n)
    )
    counts = select @ adj.undirected  # column order within a row does not matter below
    rows = np.repeat(np.arange(len(qc)), np.diff(counts.indptr))
    qa_keys = qa_rows * n + qa_concepts
    qa_order = np.argsort(qa_keys)
    found = _find_sorted(qa_keys[qa_order], rows * n + counts.indices)
    is_qa = found >= 0
    qa_counts = np.zeros(len(qa_keys), dtype=np.int64)
    qa_counts[qa_order[found[is_qa]]] = counts.data[is_qa]
    extra = ~is_qa & (counts.data >= 2)
    return Candidates(
        qa_concepts=qa_concepts,
        qa_offsets=offsets_of(n_qa),
        num_qc=num_qc,
        qa_counts=qa_counts,
        extra_concepts=counts.indices[extra].astype(np.int64),
        extra_offsets=offsets_of(np.bincount(rows[extra], minlength=len(qc))),
        extra_counts=counts.data[extra].astype(np.int64),
    )


def select(
    adj: ConceptAdjacency, cand: Candidates, scores: Scores, max_nodes: int, num_choices: int
) -> Subgraphs:
    """Rank the extra nodes, cut each node list to `max_nodes`, and collect the edges."""
    n_stmt = len(cand.num_qc)
    n_qa = np.diff(cand.qa_offsets)
    qa_rows = np.repeat(np.arange(n_stmt), n_qa)
    qa_rank = np.arange(len(qa_rows)) - cand.qa_offsets[qa_rows]
    qa_keep = qa_rank < max_nodes
    kept_qa = np.minimum(n_qa, max_nodes)
    extra_rows = np.repeat(np.arange(n_stmt), np.diff(cand.extra_offsets))
    order = np.lexsort((cand.extra_concepts, -scores.extra, extra_rows))
    extra_rows = extra_rows[order]
    extra_rank = np.arange(len(order)) - cand.extra_offsets[extra_rows]
    extra_keep = extra_rank < (max_nodes - kept_qa)[extra_rows]
    keep_rows = np.concatenate([qa_rows[qa_keep], extra_rows[extra_keep]])
    position = np.concatenate([qa_rank[qa_keep], (kept_qa[extra_rows] + extra_rank)[extra_keep]])
    layout = np.lexsort((position, keep_rows))
    concepts = np.concatenate([cand.qa_concepts[qa_keep], cand.extra_concepts[order][extra_keep]])[
        layout
    ]
    node_scores = np.concatenate([scores.qa[qa_keep], scores.extra[order][extra_keep]])[layout]
    node_offsets = offsets_of(np.bincount(keep_rows, minlength=n_stmt))
    num_qc = np.minimum(cand.num_qc, max_nodes)
    rel, src, dst, edge_offsets = edges(adj, concepts, node_offsets)
    return Subgraphs(
        concepts=concepts,
        scores=node_scores,
        node_offsets=node_offsets,
        num_qc=num_qc,
        num_ac=kept_qa - num_qc,
        context_score=scores.context,
        edge_rel=rel,
        edge_src=src,
        edge_dst=dst,
        edge_offsets=edge_offsets,
        num_relations=adj.num_relations,
        num_choices=num_choices,
    )


def edges(
    adj: ConceptAdjacency, concepts: np.ndarray, node_offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Forward triples among each statement's nodes: (rel, src, dst) local, and edge offsets.

    Sorted per statement by (rel, src, dst), i.e. the order of QA-GNN's COO rows rel * N + src.
    Each linked pair of nodes is found once, in the `oriented` row of its lower-degree end.
    """
    n_stmt = len(node_offsets) - 1
    node_rows = np.repeat(np.arange(n_stmt), np.diff(node_offsets))
    local = np.arange(len(concepts)) - node_offsets[node_rows]
    gathered = adj.oriented[concepts]
    # Local position of each gathered column in its own statement, or -1: a concept-indexed
    # array marks one statement's nodes at a time (a gather per entry, no search).
    upper = np.empty(gathered.nnz, dtype=np.int32)
    mark = np.full(adj.num_concepts, -1, dtype=np.int32)
    for s in range(n_stmt):
        nodes = concepts[node_offsets[s] : node_offsets[s + 1]]
        span = slice(gathered.indptr[node_offsets[s]], gathered.indptr[node_offsets[s + 1]])
        mark[nodes] = np.arange(len(nodes))
        upper[span] = mark[gathered.indices[span]]
        mark[nodes] = -1
    hit = np.flatnonzero(upper >= 0)
    node = np.repeat(np.arange(len(concepts), dtype=np.int32), np.diff(gathered.indptr))[hit]
    lower, upper, bits = local[node], upper[hit], gathered.data[hit]
    entry, bit = _set_bits(bits)  # bit r: relation r lower -> upper; bit 32 + r: upper -> lower
    rel, backward = bit % 32, bit >= 32
    src = np.where(backward, upper[entry], lower[entry])
    dst = np.where(backward, lower[entry], upper[entry])
    rows = node_rows[node[entry]]
    width = int(np.diff(node_offsets).max(initial=0)) + 1
    order = np.argsort(((rows * adj.num_relations + rel) * width + src) * width + dst)
    return (
        rel[order],
        src[order],
        dst[order],
        offsets_of(np.bincount(rows, minlength=n_stmt)),
    )


def _set_bits(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, bit position) of every set bit of int64 `values`, lowest bits first."""
    index, pending = np.arange(len(values)), values
    found_index, found_bit = [], []
    while len(index):
        lowest = pending & -pending
        found_index.append(index)
        found_bit.append(np.frexp(lowest.astype(np.float64))[1] - 1)  # exact: powers of two
        pending = pending ^ lowest
        left = pending != 0
        index, pending = index[left], pending[left]
    if not found_index:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(found_index), np.concatenate(found_bit).astype(np.int64)


def _find_sorted(keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Index of each query in the sorted, unique `keys`, or -1 where absent."""
    if len(keys) == 0:
        return np.full(len(queries), -1, dtype=np.int64)
    pos = np.searchsorted(keys, queries).clip(max=len(keys) - 1)
    return np.where(keys[pos] == queries, pos, -1)


def extract_subgraphs(
    adj: ConceptAdjacency,
    grounded: GroundedStatements,
    ranker: CooccurrenceRanker | LMRanker,
    max_nodes: int,
    threads: int = 1,
    chunk_size: int = CHUNK_STATEMENTS,
) -> Subgraphs:
    """The ranked, cut subgraph of every statement (module docstring), in statement order."""
    if max_nodes < 1:
        raise ValueError(f"config graph.subgraph.max_nodes must be >= 1, got {max_nodes}")
    chunk = max(grounded.num_choices, chunk_size - chunk_size % grounded.num_choices)
    bounds = [(s, min(s + chunk, len(grounded))) for s in range(0, len(grounded), chunk)]

    def find(bounds: tuple[int, int]) -> Candidates:
        start, stop = bounds
        return candidates(adj, grounded.qc[start:stop], grounded.ac[start:stop])

    def rank(bounds: tuple[int, int], cand: Candidates) -> Scores:
        return ranker(adj, cand, grounded.contexts[bounds[0] : bounds[1]])

    def cut(cand: Candidates, scores: Scores) -> Subgraphs:
        return select(adj, cand, scores, max_nodes, grounded.num_choices)

    def whole_chunk(bounds: tuple[int, int]) -> Subgraphs:
        cand = find(bounds)
        return cut(cand, rank(bounds, cand))

    with ThreadPoolExecutor(max(1, threads)) as pool:

        def run(fn: Callable, *columns: list, desc: str) -> list:
            return list(progress(pool.map(fn, *columns), desc=desc, total=len(bounds)))

        if ranker.in_workers:
            parts = run(whole_chunk, bounds, desc="subgraphs")
        else:  # one model in this thread, batched over the chunks one after the other
            found = run(find, bounds, desc="2-hop nodes")
            scored = [rank(b, cand) for b, cand in zip(bounds, found, strict=True)]
            parts = run(cut, found, scored, desc="subgraphs")
        return Subgraphs.concatenate(parts, map_fn=pool.map)


def write_subgraphs(
    cpnet: CpnetFiles | str | os.PathLike,
    grounded_path: str | os.PathLike,
    statement_path: str | os.PathLike,
    output_npz: str | os.PathLike,
    params: SubgraphConfig,
    threads: int = 1,
    device: str = "auto",
) -> Subgraphs:
    """Stage function: read the graph and a split's grounding, write `.subgraph.npz`.

    `cpnet` names the ConceptNet extraction's files; `params` is the config section
    `graph.subgraph`. QA-GNN's `*.graph.adj.pk` is written from the npz by its own stage
    (`lmlab graph export-adj`): building the pickle is serial Python, 3x the extraction's time.
    """
    from lmlab.graph.adjacency import read_cpnet
    from lmlab.graph.relevance import make_ranker

    adj = read_cpnet(cpnet)
    concept2id = {c: i for i, c in enumerate(adj.concepts)}
    grounded = read_grounded(grounded_path, statement_path, concept2id)
    ranker = make_ranker(params, device)
    subgraphs = extract_subgraphs(adj, grounded, ranker, params.max_nodes, threads=threads)
    subgraphs.save(output_npz)
    log.info(
        "%s: %d statements, %.1f nodes and %.1f edges on average",
        Path(output_npz).name,
        len(subgraphs),
        subgraphs.num_nodes.mean() if len(subgraphs) else 0.0,
        subgraphs.num_edges.mean() if len(subgraphs) else 0.0,
    )
    return subgraphs
