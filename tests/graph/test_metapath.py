"""Meta-paths on the hand-made subgraph (expected paths written out in handmade.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lmlab.graph.adjacency import read_cpnet
from lmlab.graph.metapath import MetaPaths, encoding_dim, metapaths, one_hot, write_metapaths
from lmlab.graph.relevance import CooccurrenceRanker
from lmlab.graph.subgraph import GroundedStatements, extract_subgraphs

from .handmade import AC, ID, NONE, PATHS, QC, write_cpnet
from .reference import path_tuples


@pytest.fixture
def subgraphs(tmp_path):
    adj = read_cpnet(write_cpnet(tmp_path / "cpnet"))
    qc = [np.array(sorted(ID[c] for c in QC)), np.array([ID["eat"]])]
    ac = [np.array([ID[c] for c in AC]), np.array([ID["lonely"]])]
    split = GroundedStatements(qc, ac, ["", ""], num_choices=2)
    return extract_subgraphs(adj, split, CooccurrenceRanker(), max_nodes=5)


def test_paths_of_one_and_two_hops_in_both_directions(subgraphs):
    assert path_tuples(metapaths(subgraphs)[0]) == PATHS


def test_one_hop_limit_keeps_only_direct_edges(subgraphs):
    assert path_tuples(metapaths(subgraphs, max_hops=1)[0]) == PATHS[:1]


def test_statement_without_a_path_gets_the_placeholder(subgraphs):
    paths = metapaths(subgraphs)
    assert path_tuples(paths[1]) == [((0, NONE, 1, NONE, 1), -1, -1, -1)]
    assert paths.is_placeholder().tolist() == [False, True]


def test_one_hot_layout_has_45_dims_and_five_ones():
    assert encoding_dim(17) == 45
    code = np.array([[0, 5, 2, 1, 1], [1, 17, 0, 17, 0]])
    vec = one_hot(code, 17)
    assert vec.shape == (2, 45) and vec.sum(axis=1).tolist() == [5, 5]
    # type(n0) 0-2 | rel1 3-20 | type(n1) 21-23 | rel2 24-41 | type(n2) 42-44
    assert np.flatnonzero(vec[0]).tolist() == [0, 3 + 5, 21 + 2, 24 + 1, 42 + 1]
    assert np.flatnonzero(vec[1]).tolist() == [1, 3 + 17, 21 + 0, 24 + 17, 42 + 0]


def test_stage_file_round_trips(subgraphs, tmp_path):
    subgraphs.save(tmp_path / "dev.subgraph.npz")
    write_metapaths(tmp_path / "dev.subgraph.npz", tmp_path / "dev.metapath.npz", 2)
    again = MetaPaths.load(tmp_path / "dev.metapath.npz")
    assert path_tuples(again[0]) == PATHS and again.num_relations == 17


def test_bad_hop_count_is_a_config_error(subgraphs):
    with pytest.raises(ValueError, match="max_hops"):
        metapaths(subgraphs, max_hops=3)
