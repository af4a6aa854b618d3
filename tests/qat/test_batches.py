"""Batches of questions: token tensors cut to the longest row, graphs, the dense match matrix."""

from __future__ import annotations

import pytest
import torch

from lmlab.qat.batches import QATExamples
from lmlab.qat.matcher import LemmaMatcher
from lmlab.qat.matches import precompute_matches

from .handmade import CONCEPTS


@pytest.fixture
def examples(tokens, graphs, tokenizer) -> QATExamples:
    lists = precompute_matches(tokens, graphs, CONCEPTS, tokenizer, LemmaMatcher())
    return QATExamples(tokens, graphs, lists)


def reference_match(examples: QATExamples, statements: list[int], length: int) -> torch.Tensor:
    """The match matrix by plain loops: token t matches graph token g (edges, then paths) when
    one of g's two end nodes is among the nodes t matches."""
    graphs = [examples.graphs[s] for s in statements]
    width = max(d.edge_index.shape[1] + d.metapath_index.shape[1] for d in graphs)
    out = torch.zeros((len(statements), length, width), dtype=torch.bool)
    for row, (s, data) in enumerate(zip(statements, graphs, strict=True)):
        ends = torch.cat([data.edge_index, data.metapath_index], dim=1).T.tolist()
        token, node = examples.matches[s]
        for t, n in zip(token.tolist(), node.tolist(), strict=True):
            for g, (head, tail) in enumerate(ends):
                if n in (head, tail):
                    out[row, t, g] = True
    return out


def test_batch_keys_shapes_and_labels(examples, tokens):
    batch = examples.collate([1, 0])
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids", "labels", "graph",
                          "match"}  # fmt: skip
    length = int(tokens["attention_mask"].sum(-1).max())
    assert batch["input_ids"].shape == (2, 3, length) and length < tokens["input_ids"].shape[-1]
    torch.testing.assert_close(batch["input_ids"], tokens["input_ids"][[1, 0], :, :length])
    assert batch["labels"].tolist() == [0, 1]  # answers A and B
    assert batch["graph"].num_graphs == 6
    assert batch["graph"].x.tolist()[:8] == examples.graphs[3].x.tolist()  # statement 1 * 3 + 0
    assert batch["match"].shape[:2] == (6, length) and batch["match"].dtype == torch.bool


def test_match_matrix_equals_the_loop_reference(examples):
    batch = examples.collate([1, 0])
    length = batch["input_ids"].shape[-1]
    expected = reference_match(examples, [3, 4, 5, 0, 1, 2], length)
    assert torch.equal(batch["match"], expected)
    # statement 0: `fork` (5) and `##s` (6) touch node fork (1) = edges 0, 2, 4, 6 and the path
    assert batch["match"][3, 5].nonzero().ravel().tolist() == [0, 2, 4, 6, 8]
    assert torch.equal(batch["match"][3, 6], batch["match"][3, 5])


def test_lm_only_batches_carry_no_graph(tokens):
    batch = QATExamples(tokens).collate([0])
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids", "labels"}


def test_a_data_loader_yields_the_batches(examples):
    loader = torch.utils.data.DataLoader(examples, batch_size=2, collate_fn=examples.collate)
    (batch,) = list(loader)
    assert batch["labels"].tolist() == [1, 0]


def test_mismatched_parts_are_rejected(tokens, graphs, examples):
    with pytest.raises(ValueError, match="go together"):
        QATExamples(tokens, graphs)
    short = {key: value[:1] for key, value in tokens.items()}
    with pytest.raises(ValueError, match="6 graphs for 3 statements"):
        QATExamples(short, graphs, examples.matches)
