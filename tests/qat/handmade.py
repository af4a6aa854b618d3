"""A hand-made QA split for the QAT tests: two questions of three choices, a WordPiece tokenizer
over their words, and subgraphs written out by hand.

Concepts (id name): 0 kitchen, 1 kitchen_table, 2 table, 3 fork, 4 drawer, 5 eat, 6 food,
7 cook, 8 spoon, 9 wood. Question 0 is short with small graphs (2-3 nodes); question 1 is long
with larger graphs (5-7 nodes), so batching them together pads question 0 on both sides.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import BertTokenizer

from lmlab.data.csqa import Question
from lmlab.graph.loader import GraphDataset
from lmlab.graph.metapath import metapaths
from lmlab.graph.subgraph_store import Subgraph, Subgraphs
from lmlab.text.tokenize_cache import encode

CONCEPTS = ["kitchen", "kitchen_table", "table", "fork", "drawer", "eat", "food", "cook",
            "spoon", "wood"]  # fmt: skip
ID = {name: i for i, name in enumerate(CONCEPTS)}
WORDS = ["where", "do", "you", "keep", "fork", "##s", "a", "the", "kitchen", "table", "drawer",
         "eat", "food", "what", "is", "used", "for", "spoon", "cook", "?", "in", "of", "big",
         "old", "wooden", "very", "to"]  # fmt: skip
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
QUESTIONS = [
    ("where do you keep forks?", ["kitchen", "drawer", "table"], "B"),
    ("what is a very big old wooden kitchen table used for in the kitchen?",
     ["eat food", "cook", "spoon"], "A"),
]  # fmt: skip
ATLOCATION, ISA, MADEOF, RELATEDTO, USEDFOR = 1, 5, 11, 15, 16
# Per statement: (question concepts, answer concepts, other concepts, (rel, src, dst) edges)
# with src/dst positions in the node list question + answer + other.
GRAPHS = [
    (["fork"], ["kitchen"], ["table"], [(ATLOCATION, 0, 1), (RELATEDTO, 2, 1)]),
    (["fork"], ["drawer"], [], [(ATLOCATION, 0, 1)]),
    (["fork"], ["table"], ["kitchen"], [(ATLOCATION, 0, 1), (ATLOCATION, 1, 2)]),
    (["kitchen", "kitchen_table"], ["eat", "food"], ["wood", "table", "fork"],
     [(ATLOCATION, 1, 0), (ISA, 1, 5), (MADEOF, 1, 4), (RELATEDTO, 2, 3), (USEDFOR, 1, 2),
      (USEDFOR, 6, 2)]),
    (["kitchen", "kitchen_table"], ["cook"], ["wood", "food", "spoon"],
     [(ATLOCATION, 1, 0), (MADEOF, 1, 3), (RELATEDTO, 2, 4), (USEDFOR, 5, 2)]),
    (["kitchen", "kitchen_table"], ["spoon"], ["fork", "drawer"],
     [(ATLOCATION, 2, 4), (ATLOCATION, 3, 4), (RELATEDTO, 2, 3), (RELATEDTO, 0, 1)]),
]  # fmt: skip
MAX_SEQ_LEN = 32


def tokenizer(directory: Path, words: list[str] = WORDS) -> BertTokenizer:
    """A WordPiece tokenizer over `words`, saved and reloaded like a real checkpoint's."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.txt").write_text("\n".join(SPECIAL + words) + "\n")
    BertTokenizer(str(directory / "vocab.txt")).save_pretrained(directory)
    return BertTokenizer.from_pretrained(directory)


def questions() -> list[Question]:
    return [
        Question(f"q{i}", stem, None, list(zip("ABC", choices, strict=True)), key, {})
        for i, (stem, choices, key) in enumerate(QUESTIONS)
    ]


def tokens(tok: BertTokenizer) -> dict[str, torch.Tensor]:
    """The token cache tensors of the split (lmlab.text.tokenize_cache.encode)."""
    return {k: torch.from_numpy(v) for k, v in encode(questions(), tok, MAX_SEQ_LEN).items()}


def subgraphs() -> Subgraphs:
    graphs = []
    for qc, ac, other, edges in GRAPHS:
        nodes = np.array([ID[c] for c in qc + ac + other], dtype=np.int32)
        rel, src, dst = (np.array(col, dtype=np.int64) for col in zip(*sorted(edges), strict=True))
        graphs.append(
            Subgraph(nodes, np.ones(len(nodes), np.float32), len(qc), len(ac), 1.0, rel, src, dst)
        )
    return Subgraphs.from_list(graphs, num_relations=17, num_choices=3)


def graph_dataset(max_node_num: int = 32) -> GraphDataset:
    sub = subgraphs()
    return GraphDataset(sub, metapaths(sub), max_node_num)
