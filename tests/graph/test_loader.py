"""The model-side graph: context node, node and edge types, the node cut, meta-path tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lmlab.graph.adjacency import read_cpnet
from lmlab.graph.loader import GraphDataset, collate, num_edge_types
from lmlab.graph.metapath import metapaths, one_hot, placeholder_code
from lmlab.graph.relevance import CooccurrenceRanker
from lmlab.graph.subgraph import GroundedStatements, extract_subgraphs

from .handmade import AC, ID, PATHS, QC, R, write_cpnet


@pytest.fixture
def dataset(tmp_path):
    """Graph 0: apple, red (question), tree (answer), fruit, orchard; graph 1: pie, eat, hub."""
    adj = read_cpnet(write_cpnet(tmp_path / "cpnet"))
    qc = [np.array(sorted(ID[c] for c in QC)), np.array([ID["pie"]])]
    ac = [np.array([ID[c] for c in AC]), np.array([ID["eat"]])]
    sub = extract_subgraphs(adj, GroundedStatements(qc, ac, ["", ""], 2), CooccurrenceRanker(), 5)
    return lambda max_node_num: GraphDataset(sub, metapaths(sub), max_node_num)


def test_context_node_first_and_concept_ids_shifted_by_one(dataset):
    data = dataset(44)[0]
    assert data.x.tolist() == [0] + [
        ID[c] + 1 for c in ("apple", "red", "tree", "fruit", "orchard")
    ]
    assert data.node_type.tolist() == [3, 0, 0, 1, 2, 2]
    assert data.num_nodes == 6 and data.node_score[0] == 1.0


def test_cut_to_max_node_num_drops_nodes_edges_and_paths(dataset):
    data = dataset(4)[0]  # context + apple, red, tree
    assert data.x.tolist() == [0, ID["apple"] + 1, ID["red"] + 1, ID["tree"] + 1]
    # forward: apple->tree atlocation (1+2), apple->red hasproperty (10+2); context->q, q; ->a
    forward = [
        (1, 3, R["atlocation"] + 2),
        (1, 2, R["hasproperty"] + 2),
        (0, 1, 0),
        (0, 2, 0),
        (0, 3, 1),
    ]
    inverse = [(d, s, t + 19) for s, d, t in forward]
    got = list(zip(*data.edge_index.tolist(), data.edge_type.tolist(), strict=True))
    assert got == forward + inverse
    # only the 1-hop path apple -> tree survives (the others pass through fruit or orchard)
    assert data.metapath_index.tolist() == [[1], [3]]
    torch.testing.assert_close(data.metapath_attr, torch.from_numpy(one_hot([PATHS[0][0]], 17)))


def test_graph_left_without_paths_gets_the_placeholder_at_the_context_node(dataset):
    data = dataset(3)[0]  # context + apple, red: no answer node left
    assert data.metapath_index.tolist() == [[0], [0]]
    torch.testing.assert_close(
        data.metapath_attr, torch.from_numpy(one_hot(placeholder_code(17), 17))
    )


def test_edge_types_stay_within_the_38_types(dataset):
    data = dataset(44)[0]
    assert num_edge_types(17) == 38
    assert data.edge_type.min() >= 0 and data.edge_type.max() < 38


def test_batch_shifts_indices_and_maps_paths_to_graphs(dataset):
    ds = dataset(44)
    batch = collate([ds[0], ds[1]])
    n0 = ds[0].num_nodes
    assert batch.num_graphs == 2 and batch.ptr.tolist() == [0, n0, n0 + ds[1].num_nodes]
    p0 = ds[0].metapath_attr.shape[0]
    assert batch.metapath_attr_batch.tolist() == [0] * p0 + [1]
    # graph 1's only path: eat -relatedto-> pie (answer -> question), nodes 2 and 1 there
    assert batch.metapath_index[:, p0:].tolist() == [[n0 + 2], [n0 + 1]]
    assert batch.edge_index[:, -1].min() >= n0


def test_files_from_different_runs_are_rejected(dataset):
    ds = dataset(44)
    paths = metapaths(ds.subgraphs)
    paths.offsets = paths.offsets[:2]  # meta-paths of the first statement only
    with pytest.raises(ValueError, match="different runs"):
        GraphDataset(ds.subgraphs, paths, 44)
