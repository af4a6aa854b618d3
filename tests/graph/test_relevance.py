"""Relevance rankers: the co-occurrence cosine, and QA-GNN's LM-loss score with tiny models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import (
    AutoTokenizer,
    BertConfig,
    BertForMaskedLM,
    BertModel,
    RobertaConfig,
    RobertaForMaskedLM,
)

from lmlab.config import SubgraphConfig
from lmlab.graph.adjacency import read_cpnet
from lmlab.graph.relevance import LMRanker, SentenceLoss, make_ranker
from lmlab.graph.subgraph import GroundedStatements, candidates, extract_subgraphs
from lmlab.models.resolve import embedded_model_dir

from ..config_defaults import default_section
from .handmade import AC, ID, QC, write_cpnet

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64)


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(str(embedded_model_dir()))


def save_tiny(tmp_path, tokenizer, model_cls, config_cls):
    torch.manual_seed(0)
    config = config_cls(
        vocab_size=tokenizer.vocab_size, pad_token_id=tokenizer.pad_token_id, **TINY
    )
    path = tmp_path / model_cls.__name__
    model_cls(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.mark.parametrize(
    ("model_cls", "config_cls"),
    [(BertForMaskedLM, BertConfig), (RobertaForMaskedLM, RobertaConfig)],
)
def test_batched_padded_losses_equal_one_sentence_at_a_time(
    tmp_path, tokenizer, model_cls, config_cls
):
    path = save_tiny(tmp_path, tokenizer, model_cls, config_cls)
    sentences = ["where is an apple? tree.", "x", "where is an apple? tree. fruit orchard hub pie."]
    batched = SentenceLoss(str(path), "cpu", batch_size=2)(sentences)
    model = model_cls.from_pretrained(path).eval()
    for sentence, loss in zip(sentences, batched, strict=True):
        ids = tokenizer(sentence, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0]
        expected = torch.nn.functional.cross_entropy(logits, ids[0], reduction="sum").item()
        assert loss == pytest.approx(expected, abs=1e-3)


def test_model_without_a_masked_lm_head_is_refused(tmp_path, tokenizer):
    path = save_tiny(tmp_path, tokenizer, BertModel, BertConfig)
    with pytest.raises(ValueError, match="no trained masked-LM head"):
        SentenceLoss(str(path), "cpu")


class RecordingLoss:
    """Stands in for SentenceLoss: loss = sentence length, so shorter concepts rank higher."""

    def __init__(self):
        self.sentences = []

    def __call__(self, sentences):
        self.sentences += list(sentences)
        return np.array([float(len(s)) for s in sentences])


def test_lm_ranker_scores_qagnn_sentences_and_orders_extra_nodes(tmp_path):
    adj = read_cpnet(write_cpnet(tmp_path / "cpnet"))
    qc, ac = [np.array(sorted(ID[c] for c in QC))], [np.array([ID[c] for c in AC])]
    split = GroundedStatements(qc, ac, ["Where is an Apple? tree."], 1)
    loss = RecordingLoss()
    sub = extract_subgraphs(adj, split, LMRanker(loss), max_nodes=200)
    context = "where is an apple? tree."
    assert loss.sentences[0] == context
    assert set(loss.sentences[1:]) == {
        f"{context} {c}." for c in ("apple", "red", "tree", "fruit", "orchard", "hub")
    }
    names = [adj.concepts[c] for c in sub[0].concepts]
    assert names == ["apple", "red", "tree", "hub", "fruit", "orchard"]  # extras: shortest first
    assert sub[0].context_score == -len(context)


def test_cheap_score_is_qa_neighbours_over_root_degree(tmp_path):
    adj = read_cpnet(write_cpnet(tmp_path / "cpnet"))
    cand = candidates(adj, [np.array([ID["apple"], ID["red"]])], [np.array([ID["tree"]])])
    scores = make_ranker(default_section(SubgraphConfig, "graph.subgraph", ranker="cheap"))(
        adj, cand, [""]
    )
    assert dict(
        zip(cand.extra_concepts.tolist(), scores.extra.tolist(), strict=True)
    ) == pytest.approx({ID["fruit"]: 3 / 2, ID["orchard"]: 2 / 3**0.5, ID["hub"]: 3 / 7**0.5})


def test_unknown_ranker_is_a_config_error():
    with pytest.raises(ValueError, match=r"graph\.subgraph\.ranker"):
        make_ranker(default_section(SubgraphConfig, "graph.subgraph", ranker="glove"))


def test_lm_ranker_with_worker_processes_matches_one_process(tmp_path):
    adj = read_cpnet(write_cpnet(tmp_path / "cpnet"))
    qc = [np.array(sorted(ID[c] for c in QC)), np.array([ID["pie"]])] * 3
    ac = [np.array([ID[c] for c in AC]), np.array([ID["eat"]])] * 3
    split = GroundedStatements(qc, ac, ["Where? tree.", "What? eat."] * 3, 2)
    one = extract_subgraphs(adj, split, LMRanker(RecordingLoss()), 4, threads=1, chunk_size=2)
    two = extract_subgraphs(adj, split, LMRanker(RecordingLoss()), 4, threads=2, chunk_size=2)
    for name in ("concepts", "scores", "context_score", "edge_rel", "edge_src", "edge_dst"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))
