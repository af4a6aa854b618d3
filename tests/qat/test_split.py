"""A split loaded from the pipeline's files gives the batches of the in-memory inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel

from lmlab.graph.metapath import metapaths
from lmlab.qat.batches import QATExamples
from lmlab.qat.config import MatcherConfig
from lmlab.qat.matcher import LemmaMatcher
from lmlab.qat.matches import precompute_matches
from lmlab.qat.split import split_examples, write_matches
from lmlab.text.tokenize_cache import tokenize_statements

from ..tiny_models import SMALL
from . import handmade


def model_dir(directory: Path, words: list[str]) -> Path:
    """A local model directory: a tiny BERT and a WordPiece tokenizer over `words`."""
    tokenizer = handmade.tokenizer(directory, words)
    config = {**{k: v for k, v in SMALL.items() if k != "num_labels"}, "vocab_size": len(tokenizer)}
    BertModel(BertConfig(**config)).save_pretrained(directory)
    return directory


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    questions = tmp_path / "dev.jsonl"
    lines = [
        {
            "id": q.id,
            "answerKey": q.answer_key,
            "question": {
                "stem": q.stem,
                "choices": [{"label": k, "text": t} for k, t in q.choices],
            },
        }
        for q in handmade.questions()
    ]
    questions.write_text("".join(json.dumps(line) + "\n" for line in lines))
    model = model_dir(tmp_path / "model", handmade.WORDS)
    tokens = tmp_path / "dev.tokens.safetensors"
    tokenize_statements(questions, str(model), handmade.MAX_SEQ_LEN, tmp_path / "cache", tokens)
    sub = handmade.subgraphs()
    sub.save(tmp_path / "dev.subgraph.npz")
    metapaths(sub).save(tmp_path / "dev.metapath.npz")
    (tmp_path / "concepts.txt").write_text("\n".join(handmade.CONCEPTS) + "\n")
    return {
        "tokens": tokens,
        "model": model,
        "subgraph": tmp_path / "dev.subgraph.npz",
        "metapath": tmp_path / "dev.metapath.npz",
        "concepts": tmp_path / "concepts.txt",
    }


def load(files: dict[str, Path], model: Path, tmp_path: Path) -> QATExamples:
    matches = tmp_path / "dev.matches.npz"
    write_matches(
        files["tokens"], files["subgraph"], files["metapath"], files["concepts"], str(model),
        MatcherConfig("lemma", 0.5, None), 32, matches,
    )  # fmt: skip
    return split_examples("qat", files["tokens"], files["subgraph"], files["metapath"], matches, 32)


def test_files_give_the_batches_of_the_in_memory_inputs(files, tmp_path, tokenizer, tokens):
    examples = load(files, files["model"], tmp_path)
    lists = precompute_matches(
        tokens, handmade.graph_dataset(), handmade.CONCEPTS, tokenizer, LemmaMatcher()
    )
    expected = QATExamples(tokens, handmade.graph_dataset(), lists).collate([1, 0])
    batch = examples.collate([1, 0])
    for key in ("input_ids", "attention_mask", "token_type_ids", "labels", "match"):
        assert torch.equal(batch[key], expected[key]), key
    assert torch.equal(batch["graph"].edge_index, expected["graph"].edge_index)
    lm_only = split_examples("lm_only", files["tokens"], None, None, None, 32)
    assert set(lm_only.collate([0])) == {
        "input_ids", "attention_mask", "token_type_ids", "labels",
    }  # fmt: skip


def test_tokens_of_another_tokenizer_are_rejected(files, tmp_path):
    other = model_dir(tmp_path / "other", [*handmade.WORDS, "extra"])
    with pytest.raises(ValueError, match="another tokenizer"):
        load(files, other, tmp_path)
