"""QA-GNN adj pickles: the restricted unpickler, the real sample, and conversion both ways."""

from __future__ import annotations

import collections
import os
import pickle

import numpy as np
import pytest

from lmlab.graph.safe_pickle import BadPickle, dump_adj_pickle, load_adj_pickle
from lmlab.graph.subgraph_store import Subgraphs


@pytest.fixture
def real_adj(real_data):
    path = real_data / "qagnn" / "graph" / "test.graph.adj.pk"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


def test_real_qagnn_pickle_loads_and_follows_the_format_rules(real_adj):
    records = load_adj_pickle(real_adj)
    assert len(records) == 5  # one question, five choices
    for record in records:
        n = len(record["concepts"])
        adj, qmask, amask = record["adj"], record["qmask"], record["amask"]
        assert adj.shape == (17 * n, n) and adj.dtype == np.uint8
        assert record["concepts"].dtype == np.int32 and len(set(record["concepts"])) == n
        nq, na = int(qmask.sum()), int(amask.sum())
        assert nq > 0 and na > 0 and not (qmask & amask).any()
        # node order: question concepts, answer concepts (each ascending), then the rest
        assert qmask[:nq].all() and amask[nq : nq + na].all()
        concepts = record["concepts"].tolist()
        assert concepts[:nq] == sorted(concepts[:nq])
        assert concepts[nq : nq + na] == sorted(concepts[nq : nq + na])
        scores = [record["cid2score"][c] for c in concepts[nq + na :]]
        assert scores == sorted(scores, reverse=True)  # extra nodes by descending LM score
        assert -1 in record["cid2score"]  # the QA context node


def test_real_pickle_converts_to_our_format_and_back_unchanged(real_adj, tmp_path):
    records = load_adj_pickle(real_adj)
    sub = Subgraphs.from_qagnn(records, num_choices=5)
    sub.save(tmp_path / "test.subgraph.npz")
    back = Subgraphs.load(tmp_path / "test.subgraph.npz").to_qagnn()
    for original, again in zip(records, back, strict=True):
        assert (original["adj"].toarray() == again["adj"].toarray()).all()
        for key in ("concepts", "qmask", "amask"):
            np.testing.assert_array_equal(original[key], again[key])
        assert list(again["cid2score"]) == [
            c for c in original["cid2score"] if c == -1 or c in set(original["concepts"].tolist())
        ]


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_a_pickle_that_calls_os_system_is_refused(tmp_path):
    path = tmp_path / "evil.adj.pk"
    path.write_bytes(pickle.dumps([_Exploit()]))
    with pytest.raises(pickle.UnpicklingError, match=r"evil\.adj\.pk: refusing .*\.system"):
        load_adj_pickle(path)


@pytest.mark.parametrize(
    ("records", "refused"),
    [
        ([{"cid2score": collections.Counter({1: 2})}], "collections.Counter"),
        ([{"adj": Subgraphs}], "lmlab.graph.subgraph_store.Subgraphs"),
    ],
)
def test_a_class_outside_the_allow_list_is_refused_naming_file_and_class(
    tmp_path, records, refused
):
    path = tmp_path / "from_elsewhere.graph.adj.pk"
    path.write_bytes(pickle.dumps(records))
    with pytest.raises(BadPickle) as err:
        load_adj_pickle(path)
    assert str(err.value).startswith(f"{path}: refusing to load global {refused}:")
    assert isinstance(err.value, ValueError)  # bad input: the CLI reports it without a traceback


def test_truncated_pickle_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "cut.adj.pk"
    path.write_bytes(pickle.dumps([np.arange(100)])[:40])
    with pytest.raises(BadPickle, match=r"cut\.adj\.pk: .*truncated"):
        load_adj_pickle(path)


def test_written_pickle_round_trips_through_the_restricted_unpickler(tmp_path):
    sub = Subgraphs.from_qagnn(
        [
            {
                "adj": _coo([(2, 0, 1), (0, 1, 2)], 3),
                "concepts": np.array([5, 9, 7], dtype=np.int32),
                "qmask": np.array([True, False, False]),
                "amask": np.array([False, True, False]),
                "cid2score": {-1: 0.5, 5: 0.1, 9: 0.2, 7: 0.3},
            }
        ],
        num_choices=1,
    )
    dump_adj_pickle(tmp_path / "x.pk", sub.to_qagnn())
    again = Subgraphs.from_qagnn(load_adj_pickle(tmp_path / "x.pk"), num_choices=1)
    assert again[0].edge_rel.tolist() == [0, 2] and again[0].edge_src.tolist() == [1, 0]
    np.testing.assert_allclose(again[0].scores, [0.1, 0.2, 0.3])


def test_records_out_of_node_order_are_rejected():
    record = {
        "adj": _coo([], 2),
        "concepts": np.array([1, 2], dtype=np.int32),
        "qmask": np.array([False, True]),
        "amask": np.array([True, False]),
    }
    with pytest.raises(ValueError, match="question, then answer"):
        Subgraphs.from_qagnn([record], num_choices=1)


def _coo(edges, n):
    import scipy.sparse as sp

    rows = [r * n + s for r, s, _ in edges]
    cols = [d for *_, d in edges]
    return sp.coo_matrix((np.ones(len(rows), np.uint8), (rows, cols)), shape=(17 * n, n))
