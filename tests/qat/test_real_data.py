"""Real CommonsenseQA dev questions through every graph stage and one QAT forward pass.

The stages are the pipeline's own stage functions (statements, ConceptNet extraction, patterns,
grounding, subgraphs, meta-paths, the tokenization cache with the packaged MiniLM tokenizer) on
the real samples of `../shared/data/real`; the encoder is a tiny random BERT over MiniLM's
vocabulary. The ConceptNet sample is small (73 English concepts), so only a few statements get
concepts: the batch is the questions with the most matches.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer

from lmlab.config import SubgraphConfig
from lmlab.graph.conceptnet import extract, load_graph
from lmlab.graph.grounding import ground_statements, write_patterns
from lmlab.graph.loader import GraphDataset
from lmlab.graph.metapath import write_metapaths
from lmlab.graph.statements import write_statements
from lmlab.graph.subgraph import write_subgraphs
from lmlab.models.resolve import resolve_model
from lmlab.qat.batches import QATExamples
from lmlab.qat.config import QATConfig
from lmlab.qat.matcher import LemmaMatcher
from lmlab.qat.matches import precompute_matches
from lmlab.qat.model import QATModel
from lmlab.text.tokenize_cache import load_tokens, tokenize_statements

from .conftest import tiny_encoder


def test_real_dev_questions_reach_a_qat_forward_pass(real_data: Path, tmp_path: Path):
    statements, grounded = tmp_path / "dev.statement.jsonl", tmp_path / "dev.grounded.jsonl"
    subgraphs, paths = tmp_path / "dev.subgraph.npz", tmp_path / "dev.metapath.npz"
    write_statements(real_data / "csqa" / "dev_rand_split.jsonl", statements, "csqa")
    extract(real_data / "conceptnet" / "assertions.csv", tmp_path / "cpnet")
    write_patterns(tmp_path / "cpnet" / "concepts.txt", tmp_path / "patterns.json")
    ground_statements(statements, tmp_path / "patterns.json", grounded)
    params = SubgraphConfig(max_nodes=200, ranker="cheap", scorer_model="-", scorer_batch_size=1)
    write_subgraphs(tmp_path / "cpnet", grounded, statements, subgraphs, params)
    write_metapaths(subgraphs, paths, max_hops=2)
    tokenize_statements(statements, "embedded", 64, tmp_path / "cache", tmp_path / "tokens")
    tokens, _ = load_tokens(tmp_path / "tokens")
    assert tokens["input_ids"].shape == (1221, 5, 64)

    graphs = GraphDataset(subgraphs, paths, max_node_num=32)
    tokenizer = AutoTokenizer.from_pretrained(resolve_model("embedded"))
    concepts = load_graph(tmp_path / "cpnet").concepts
    matcher = LemmaMatcher()
    lists = precompute_matches(tokens, graphs, concepts, tokenizer, matcher)
    assert len(lists) == 6105 and 0 < lists.coverage() < 1

    per_question = np.diff(lists.offsets).reshape(-1, 5).sum(axis=1)
    busiest = np.argsort(-per_question, kind="stable")[:4].tolist()
    batch = QATExamples(tokens, graphs, lists).collate(busiest)
    assert batch["match"].any() and batch["graph"].num_graphs == 20

    torch.manual_seed(0)
    config = QATConfig("qat", k=2, d_model=32, n_heads=4, ffn_dim=64, dropout=0.1, lambda_rpe=10.0)
    model = QATModel(config, tiny_encoder("bert", len(tokenizer))).eval()
    out = model(**batch)
    assert out.logits.shape == (4, 5) and torch.isfinite(out.logits).all()
    assert torch.isfinite(out.loss)
