"""The sparse views of ConceptNet: relation bitmasks, the undirected simple graph, degrees."""

from __future__ import annotations

import numpy as np
import pytest

from lmlab.graph.adjacency import ConceptAdjacency, read_cpnet

from .handmade import CONCEPTS, ID, RELATIONS, R, triple_arrays, write_cpnet


def test_oriented_pair_holds_every_relation_of_both_directions(tmp_path):
    adj = read_cpnet(write_cpnet(tmp_path / "cpnet"))
    # orchard (degree 3) is below tree (degree 4): the pair lives in orchard's row only
    forward = (1 << R["relatedto"]) | (1 << R["atlocation"])  # orchard -> tree
    backward = 1 << R["partof"]  # tree -> orchard
    assert adj.oriented[ID["orchard"], ID["tree"]] == forward | (backward << 32)
    assert adj.oriented[ID["tree"], ID["orchard"]] == 0


def test_each_linked_pair_is_stored_once_in_its_lower_degree_row():
    adj = ConceptAdjacency.from_triples(CONCEPTS, RELATIONS, *triple_arrays())
    linked = adj.oriented.astype(bool)
    assert ((linked + linked.T) != adj.undirected.astype(bool)).nnz == 0
    assert (linked.multiply(linked.T)).nnz == 0
    assert adj.oriented[ID["hub"]].nnz == 0  # the highest degree: every pair is in the other row


def test_undirected_graph_is_symmetric_binary_and_gives_degrees():
    adj = ConceptAdjacency.from_triples(CONCEPTS, RELATIONS, *triple_arrays())
    dense = adj.undirected.toarray()
    assert (dense == dense.T).all() and set(np.unique(dense)) <= {0, 1}
    assert adj.degree[ID["hub"]] == 7 and adj.degree[ID["orchard"]] == 3
    assert adj.degree[ID["lonely"]] == 0


def test_repeated_triples_and_self_loops_do_not_change_the_graph():
    head, rel, tail = triple_arrays()
    noisy = ConceptAdjacency.from_triples(
        CONCEPTS,
        RELATIONS,
        np.concatenate([head, head[:3], [ID["red"]]]),
        np.concatenate([rel, rel[:3], [R["isa"]]]),
        np.concatenate([tail, tail[:3], [ID["red"]]]),
    )
    clean = ConceptAdjacency.from_triples(CONCEPTS, RELATIONS, head, rel, tail)
    assert (noisy.oriented != clean.oriented).nnz == 0
    assert (noisy.undirected != clean.undirected).nnz == 0


def test_ids_outside_the_vocabulary_are_rejected():
    head, rel, tail = triple_arrays()
    with pytest.raises(ValueError, match="tail ids"):
        ConceptAdjacency.from_triples(CONCEPTS, RELATIONS, head, rel, tail + 100)
