"""2-hop subgraph extraction on the hand-made graph of handmade.py (expected values there)."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from lmlab.cli import main
from lmlab.config import SubgraphConfig
from lmlab.graph.adjacency import read_cpnet
from lmlab.graph.relevance import CooccurrenceRanker
from lmlab.graph.safe_pickle import load_adj_pickle
from lmlab.graph.subgraph import (
    GroundedStatements,
    extract_subgraphs,
    read_grounded,
    write_subgraphs,
)
from lmlab.graph.subgraph_store import Subgraph, Subgraphs

from ..config_defaults import default_section
from .handmade import AC, EDGES, ID, NODES, QC, SCORES, write_cpnet, write_split
from .reference import edge_tuples


@pytest.fixture
def adj(tmp_path):
    return read_cpnet(write_cpnet(tmp_path / "cpnet"))


def grounded(*statements, choices=1):
    qc = [
        np.array(sorted({ID[c] for c in q} - {ID[c] for c in a}), dtype=np.int64)
        for q, a in statements
    ]
    ac = [np.array(sorted(ID[c] for c in a), dtype=np.int64) for _, a in statements]
    return GroundedStatements(qc, ac, ["ctx"] * len(statements), choices)


def test_nodes_are_question_then_answer_then_common_neighbours_by_score(adj):
    sub = extract_subgraphs(adj, grounded((QC, AC)), CooccurrenceRanker(), max_nodes=200)
    graph = sub[0]
    assert graph.concepts.tolist() == [ID[c] for c in NODES]
    assert (graph.num_qc, graph.num_ac) == (2, 1)
    np.testing.assert_allclose(graph.scores, SCORES, rtol=1e-6)
    assert graph.context_score == 1.0


def test_edges_are_the_forward_triples_among_the_nodes_sorted_by_relation(adj):
    graph = extract_subgraphs(adj, grounded((QC, AC)), CooccurrenceRanker(), max_nodes=200)[0]
    got = edge_tuples(graph)
    assert got == EDGES


def test_cut_keeps_the_best_scored_extra_nodes_and_their_edges(adj):
    graph = extract_subgraphs(adj, grounded((QC, AC)), CooccurrenceRanker(), max_nodes=5)[0]
    assert graph.concepts.tolist() == [ID[c] for c in NODES[:5]]  # hub (lowest score) dropped
    got = edge_tuples(graph)
    assert got == [e for e in EDGES if max(e[1:]) < 5]


def test_cut_below_the_grounded_concepts_truncates_answers_after_questions(adj):
    graph = extract_subgraphs(adj, grounded((QC, AC)), CooccurrenceRanker(), max_nodes=2)[0]
    assert graph.concepts.tolist() == [ID["apple"], ID["red"]]
    assert (graph.num_qc, graph.num_ac) == (2, 0)


def test_question_concepts_that_are_answer_concepts_count_as_answers(tmp_path, adj):
    statements, ground = write_split(tmp_path, [(["apple", "tree"], ["tree"])], choices=1)
    split = read_grounded(ground, statements, {c: i for i, c in enumerate(adj.concepts)})
    assert split.qc[0].tolist() == [ID["apple"]] and split.ac[0].tolist() == [ID["tree"]]
    assert split.contexts == ["Where is question 0? answer 0-0."]


def test_a_single_grounded_concept_has_no_extra_nodes(adj):
    sub = extract_subgraphs(adj, grounded((["pie"], []), ([], [])), CooccurrenceRanker(), 200)
    assert sub[0].concepts.tolist() == [ID["pie"]] and len(sub[1].concepts) == 0
    assert sub.num_edges.tolist() == [0, 0]


def test_worker_threads_give_the_same_subgraphs_as_one_thread(adj):
    split = grounded(
        *[(QC, AC), (["pie", "eat"], ["apple"]), (["orchard"], ["fruit"])] * 4, choices=3
    )
    one = extract_subgraphs(adj, split, CooccurrenceRanker(), 4, threads=1, chunk_size=3)
    two = extract_subgraphs(adj, split, CooccurrenceRanker(), 4, threads=2, chunk_size=3)
    for name in ("concepts", "scores", "node_offsets", "edge_rel", "edge_src", "edge_dst"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))


def test_concatenating_chunks_on_threads_equals_one_store_of_all_statements():
    def graph(n_nodes, n_edges, start):
        ids = np.arange(start, start + n_nodes)
        local = np.arange(n_edges) % max(n_nodes, 1)
        return Subgraph(ids, ids / 10, min(1, n_nodes), 0, 0.5, local % 17, local, local[::-1])

    graphs = [graph(3, 2, 0), graph(0, 0, 9), graph(5, 7, 20), graph(1, 0, 40), graph(2, 1, 50)]
    whole = Subgraphs.from_list(graphs, num_relations=17, num_choices=1)
    chunks = [graphs[:2], graphs[2:3], graphs[3:]]
    with ThreadPoolExecutor(2) as pool:
        joined = Subgraphs.concatenate(
            [Subgraphs.from_list(c, 17, 1) for c in chunks], map_fn=pool.map
        )
    for name in (field.name for field in dataclasses.fields(Subgraphs)):
        np.testing.assert_array_equal(getattr(joined, name), getattr(whole, name), err_msg=name)
        assert np.asarray(getattr(joined, name)).dtype == np.asarray(getattr(whole, name)).dtype


def test_stage_writes_the_npz_and_export_adj_a_qagnn_pickle_that_load_back(tmp_path):
    cpnet = write_cpnet(tmp_path / "cpnet")
    statements, ground = write_split(tmp_path / "split", [(QC, AC), (["pie"], ["eat"])], choices=2)
    out = tmp_path / "out"
    params = default_section(SubgraphConfig, "graph.subgraph", max_nodes=5, ranker="cheap")
    write_subgraphs(cpnet, ground, statements, out / "dev.subgraph.npz", params)
    sub = Subgraphs.load(out / "dev.subgraph.npz")
    assert sub.num_choices == 2 and sub[0].concepts.tolist() == [ID[c] for c in NODES[:5]]
    pickle = out / "dev.adj.pk"
    assert (
        main(["graph", "export-adj", str(out / "dev.subgraph.npz"), "--output", str(pickle)]) == 0
    )
    records = load_adj_pickle(pickle)
    assert [r["concepts"].tolist() for r in records] == [
        g.concepts.tolist() for g in (sub[0], sub[1])
    ]
    assert records[0]["adj"].shape == (17 * 5, 5)
    assert records[0]["qmask"].tolist() == [True, True, False, False, False]
    cid2score = records[0]["cid2score"]
    assert set(cid2score) == {-1, *sub[0].concepts.tolist()}  # -1: the context node
    assert list(cid2score.values()) == sorted(cid2score.values(), reverse=True)


def test_unknown_concept_is_an_error_naming_file_and_line(tmp_path, adj):
    statements, ground = write_split(tmp_path, [(["apple"], ["durian"])], choices=1)
    with pytest.raises(ValueError, match=r"grounded.jsonl: line 1: .*durian"):
        read_grounded(ground, statements, {c: i for i, c in enumerate(adj.concepts)})


def test_grounded_lines_must_match_the_statements(tmp_path, adj):
    statements, ground = write_split(tmp_path, [(QC, AC), (QC, AC)], choices=2)
    ground.write_text(ground.read_text().splitlines()[0] + "\n")
    with pytest.raises(ValueError, match="expected 2 per question"):
        read_grounded(ground, statements, {c: i for i, c in enumerate(adj.concepts)})
