"""What the model sees of a statement's subgraph: a torch_geometric `Data` (SPEC §4, §6).

Built the way QA-GNN's loader (`utils/data_utils.py: load_sparse_adj_data_with_contextnode`) builds
its graphs, from our compact files (lmlab.graph.subgraph_store, lmlab.graph.metapath):

- Node 0 is the context node (the question-answer text); nodes 1.. are the subgraph's concepts in
  their stored order, cut to `max_node_num - 1` so a graph has at most `max_node_num` nodes.
- `x`: concept id + 1, and 0 for the context node (QA-GNN's convention: an embedding table's row
  0 is the context; `x - 1` is the line of concepts.txt).
- `node_type`: question 0, answer 1, other 2, context 3.
- `node_score`: the ranker's relevance score (the context node's score first).
- `edge_index` [2, E], `edge_type` [E] in 0..37: ConceptNet relation r is type r + 2 (u -> v);
  context -> question node is 0, context -> answer node is 1 (19 types); every edge is then
  repeated reversed with type + 19. Order: ConceptNet edges by (relation, source, target),
  context -> question, context -> answer, then the reversed copies in the same order.
- `metapath_attr` [P, 45] (lmlab.graph.metapath.one_hot) and `metapath_index` [2, P] (head and
  tail node of each path in this graph). A path through a dropped node is dropped; a graph left
  without paths gets the placeholder path, whose head and tail are the context node.

`collate` batches graphs with `Batch.from_data_list` (indices shifted per graph, and
`metapath_attr_batch` saying which graph each path belongs to). Statement i of a split is graph
i; statements of question k are graphs k * num_choices .. (k + 1) * num_choices - 1.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from lmlab.graph.metapath import MetaPaths, PathSet, one_hot, placeholder_code
from lmlab.graph.subgraph_store import Subgraph, Subgraphs

QUESTION, ANSWER, OTHER, CONTEXT = 0, 1, 2, 3
CONTEXT_TO_QUESTION, CONTEXT_TO_ANSWER = 0, 1
RELATION_OFFSET = 2


def num_edge_types(num_relations: int) -> int:
    """38 for the 17 merged relations: (relations + 2 context relations) * 2 directions."""
    return 2 * (num_relations + RELATION_OFFSET)


def to_data(graph: Subgraph, paths: PathSet, num_relations: int, max_node_num: int) -> Data:
    """One statement's graph as a PyG `Data` (fields and rules in the module docstring)."""
    if max_node_num < 2:
        raise ValueError(f"config graph.loader.max_node_num must be >= 2, got {max_node_num}")
    kept = min(len(graph.concepts), max_node_num - 1)
    position = np.arange(kept)
    node_type = np.full(kept + 1, OTHER, dtype=np.int64)
    node_type[0] = CONTEXT
    node_type[1:][position < graph.num_qc] = QUESTION
    node_type[1:][(position >= graph.num_qc) & (position < graph.num_qc + graph.num_ac)] = ANSWER

    inside = (graph.edge_src < kept) & (graph.edge_dst < kept)
    to_q = np.flatnonzero(node_type == QUESTION)
    to_a = np.flatnonzero(node_type == ANSWER)
    src = np.concatenate([graph.edge_src[inside] + 1, np.zeros(len(to_q) + len(to_a), np.int64)])
    dst = np.concatenate([graph.edge_dst[inside] + 1, to_q, to_a])
    etype = np.concatenate(
        [
            graph.edge_rel[inside].astype(np.int64) + RELATION_OFFSET,
            np.full(len(to_q), CONTEXT_TO_QUESTION),
            np.full(len(to_a), CONTEXT_TO_ANSWER),
        ]
    )
    half = num_relations + RELATION_OFFSET
    edge_index = np.stack([np.concatenate([src, dst]), np.concatenate([dst, src])])
    edge_type = np.concatenate([etype, etype + half])

    code, head, tail = _paths_within(paths, kept, num_relations)
    return Data(
        x=torch.from_numpy(np.concatenate([[0], graph.concepts[:kept].astype(np.int64) + 1])),
        node_type=torch.from_numpy(node_type),
        node_score=torch.from_numpy(
            np.concatenate([[graph.context_score], graph.scores[:kept]]).astype(np.float32)
        ),
        edge_index=torch.from_numpy(edge_index.astype(np.int64)),
        edge_type=torch.from_numpy(edge_type.astype(np.int64)),
        metapath_attr=torch.from_numpy(one_hot(code, num_relations)),
        metapath_index=torch.from_numpy(np.stack([head, tail]).astype(np.int64)),
        num_nodes=kept + 1,
    )


def _paths_within(
    paths: PathSet, kept: int, num_relations: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paths whose nodes all survive the cut, shifted past the context node (placeholder -> 0)."""
    inside = (paths.head < kept) & (paths.mid < kept) & (paths.tail < kept)
    code, head, tail = paths.code[inside], paths.head[inside] + 1, paths.tail[inside] + 1
    if len(code) == 0:
        return placeholder_code(num_relations)[None], np.zeros(1, np.int64), np.zeros(1, np.int64)
    return code, head, tail


class GraphDataset(torch.utils.data.Dataset):
    """The graphs of a split, built on access from the `.subgraph.npz` and `.metapath.npz`."""

    def __init__(
        self,
        subgraphs: Subgraphs | str | os.PathLike,
        metapaths: MetaPaths | str | os.PathLike,
        max_node_num: int,
    ) -> None:
        self.subgraphs = (
            subgraphs if isinstance(subgraphs, Subgraphs) else Subgraphs.load(subgraphs)
        )
        self.metapaths = (
            metapaths if isinstance(metapaths, MetaPaths) else MetaPaths.load(metapaths)
        )
        if len(self.subgraphs) != len(self.metapaths):
            raise ValueError(
                f"{len(self.subgraphs)} subgraphs but meta-paths for {len(self.metapaths)} "
                "statements: the files come from different runs"
            )
        self.max_node_num = max_node_num

    @property
    def num_choices(self) -> int:
        return self.subgraphs.num_choices

    def __len__(self) -> int:
        return len(self.subgraphs)

    def __getitem__(self, i: int) -> Data:
        return to_data(
            self.subgraphs[i], self.metapaths[i], self.subgraphs.num_relations, self.max_node_num
        )


def collate(graphs: Sequence[Data]) -> Batch:
    """Batch graphs (PyG), with `metapath_attr_batch` mapping each path to its graph."""
    return Batch.from_data_list(list(graphs), follow_batch=["metapath_attr"])
