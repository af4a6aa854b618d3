"""Graph tokens of QAT: one token per edge and one per meta-path, batched dense (SPEC §6).

QAT reads the knowledge graph as a set of relation-centric tokens instead of node states
(Park et al., AAAI 2023, "Meta-Path tokens"). From the loader graph (lmlab.graph.loader):

- edge token: MLP over [one-hot edge type (38), one-hot head node type (4), one-hot tail node
  type (4)] (node types question 0, answer 1, other 2, context 3);
- meta-path token: MLP over the 45-dim path encoding (lmlab.graph.metapath).

A statement's tokens are its edges in loader order, then its meta-paths; the tokens of a batch
are grouped by statement and padded into [S, G, d] with a validity mask (`to_dense_batch`),
G = the most tokens of any statement of the batch. `token_endpoints` gives, in the same layout,
each token's head and tail node (positions local to its graph: an edge's source and target, a
path's first and last node), from which the collate builds the LM-graph match matrix.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch_geometric.data import Batch
from torch_geometric.utils import to_dense_batch

from lmlab.data.conceptnet import read_relation_list
from lmlab.graph.conceptnet import relation_list_path
from lmlab.graph.loader import num_edge_types
from lmlab.graph.metapath import encoding_dim

NODE_TYPES = 4
NUM_RELATIONS = len(read_relation_list(relation_list_path()))
"""The 17 merged ConceptNet relations of the packaged relation list."""


class TokenLayout(NamedTuple):
    """Where the tokens of a batch go: `order` permutes [edges ; paths] so that each graph's
    tokens are together (edges first), `graph` is the graph of each token in that order."""

    order: Tensor
    graph: Tensor


def token_layout(batch: Batch) -> TokenLayout:
    """The layout of the graph tokens of a loader batch (`lmlab.graph.loader.collate`)."""
    edge_graph = batch.batch[batch.edge_index[0]]
    graph = torch.cat([edge_graph, batch.metapath_attr_batch])
    order = torch.argsort(graph, stable=True)
    return TokenLayout(order, graph[order])


def token_endpoints(batch: Batch) -> tuple[Tensor, Tensor, Tensor]:
    """Head and tail node of every graph token, local to its graph, as [S, G] long tensors,
    and the [S, G] mask of real (non-padding) tokens."""
    layout = token_layout(batch)
    ends = torch.cat([batch.edge_index, batch.metapath_index], dim=1)[:, layout.order]
    local = ends - batch.ptr[layout.graph]
    dense, valid = to_dense_batch(local.T, layout.graph, batch_size=batch.num_graphs)
    return dense[..., 0], dense[..., 1], valid


def _mlp(in_dim: int, d_model: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, d_model), nn.GELU(), nn.Linear(d_model, d_model))


class GraphTokens(nn.Module):
    """Edge and meta-path token embeddings of a batch of loader graphs, dense and padded."""

    def __init__(self, d_model: int, num_relations: int = NUM_RELATIONS) -> None:
        super().__init__()
        self.num_edge_types = num_edge_types(num_relations)
        self.edge_mlp = _mlp(self.num_edge_types + 2 * NODE_TYPES, d_model)
        self.path_mlp = _mlp(encoding_dim(num_relations), d_model)

    def forward(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """[S, G, d_model] tokens and the [S, G] mask of real tokens."""
        head, tail = batch.edge_index
        node_type = batch.node_type
        edge_features = torch.cat(
            [
                F.one_hot(batch.edge_type, self.num_edge_types),
                F.one_hot(node_type[head], NODE_TYPES),
                F.one_hot(node_type[tail], NODE_TYPES),
            ],
            dim=1,
        ).to(self.edge_mlp[0].weight.dtype)
        paths = batch.metapath_attr.to(self.path_mlp[0].weight.dtype)
        tokens = torch.cat([self.edge_mlp(edge_features), self.path_mlp(paths)])
        layout = token_layout(batch)
        return to_dense_batch(tokens[layout.order], layout.graph, batch_size=batch.num_graphs)
