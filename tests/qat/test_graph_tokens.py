"""Graph tokens: one per edge then one per meta-path of each graph, dense with a padding mask."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from lmlab.graph.loader import collate
from lmlab.qat.graph_tokens import GraphTokens, token_endpoints


def test_tokens_are_each_graphs_edges_then_paths_padded(graphs):
    batch = collate([graphs[0], graphs[3]])
    counts = [graphs[s].edge_index.shape[1] + graphs[s].metapath_attr.shape[0] for s in (0, 3)]
    torch.manual_seed(0)
    tokens, valid = GraphTokens(d_model=8)(batch)
    assert tokens.shape == (2, max(counts), 8)
    assert valid.sum(1).tolist() == counts
    assert not valid[0, counts[0] :].any() and (tokens[0, counts[0] :] == 0).all()


def test_endpoints_are_local_edge_ends_then_path_ends(graphs):
    batch = collate([graphs[3], graphs[0]])
    head, tail, valid = token_endpoints(batch)
    for row, s in enumerate((3, 0)):
        data = graphs[s]
        ends = torch.cat([data.edge_index, data.metapath_index], dim=1)
        n = ends.shape[1]
        assert head[row, :n].tolist() == ends[0].tolist()
        assert tail[row, :n].tolist() == ends[1].tolist()
        assert valid[row, :n].all() and not valid[row, n:].any()


def test_edge_token_is_the_mlp_of_its_type_and_end_node_types(graphs):
    data = graphs[0]  # edge 0: fork (question) -atlocation-> kitchen (answer), type 1 + 2
    assert data.edge_type[0] == 3 and data.node_type[data.edge_index[:, 0]].tolist() == [0, 1]
    module = GraphTokens(d_model=8)
    tokens, _ = module(collate([data]))
    one_hot = [F.one_hot(torch.tensor(i), n) for i, n in ((3, 38), (0, 4), (1, 4))]
    features = torch.cat(one_hot).float()
    torch.testing.assert_close(tokens[0, 0], module.edge_mlp(features))
    path = data.edge_index.shape[1]  # the first meta-path token follows the edges
    torch.testing.assert_close(tokens[0, path], module.path_mlp(data.metapath_attr[0]))
