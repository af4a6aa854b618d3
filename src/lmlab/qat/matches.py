"""Per-statement match lists: which LM token positions match which graph nodes (SPEC §6).

QAT's cross-modal bias applies between an LM token and a graph token whose endpoint concept
matches the token's word. Matching lemmatises or looks up vectors, far too slow for every
training step, and it depends only on the inputs; so it runs once per split (rule `qat_matches`)
and every seed and variant reads the file.

What is stored is the (LM token position, graph node) pairs of each statement: node positions
are those of the loader graph (lmlab.graph.loader: 0 = the context node, which has no concept
and never matches; node j > 0 is concept `x[j] - 1`). Graph tokens are edges and meta-paths, so
the collate (lmlab.qat.batches) turns these lists into the dense [statements, T, G] matrix of a
batch by looking up each graph token's head and tail node: a token matches a graph token when
it matches either endpoint. Node pairs are fewer than token pairs, and do not depend on how a
batch orders or pads its graph tokens.

Steps (module docstrings of lmlab.qat.lm_words and lmlab.qat.matcher give the rules): the words
of every statement's token ids; the units of those words and of the concepts of its graph nodes;
one `similar` call per statement; word-node pairs expanded to the word's token positions.

File (`<split>.matches.npz`): `token`, `node` int32 [M] and `offsets` int64 [S+1] (statement s
owns pairs offsets[s]:offsets[s+1], sorted by token then node).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lmlab.graph.loader import GraphDataset
from lmlab.qat.lm_words import StatementWords, WordSplitter
from lmlab.qat.matcher import Matcher
from lmlab.runtime.atomic import atomic_path
from lmlab.runtime.logs import progress

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)


@dataclass
class MatchLists:
    """The (token position, node) match pairs of every statement of a split."""

    token: np.ndarray
    node: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        part = slice(self.offsets[s], self.offsets[s + 1])
        return self.token[part], self.node[part]

    def coverage(self) -> float:
        """Fraction of statements with at least one match."""
        return float((np.diff(self.offsets) > 0).mean()) if len(self) else 0.0

    def save(self, path: str | os.PathLike) -> None:
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            np.savez(fh, token=self.token, node=self.node, offsets=self.offsets)

    @classmethod
    def load(cls, path: str | os.PathLike) -> MatchLists:
        with np.load(path) as npz:
            missing = {"token", "node", "offsets"} - set(npz.files)
            if missing:
                raise ValueError(f"{path}: not a match-list file (missing {sorted(missing)})")
            return cls(npz["token"], npz["node"], npz["offsets"])


def precompute_matches(
    tokens: Mapping[str, object],
    graphs: GraphDataset,
    concepts: Sequence[str],
    tokenizer: PreTrainedTokenizerBase,
    matcher: Matcher,
) -> MatchLists:
    """The match lists of a split: `tokens` from `load_tokens` ([questions, choices, T] ids and
    mask), `graphs` its loader graphs (statement i = question i // choices, choice i % choices),
    `concepts` the concept vocabulary (line i of concepts.txt is concept id i)."""
    ids = np.asarray(tokens["input_ids"])
    mask = np.asarray(tokens["attention_mask"])
    ids, mask = ids.reshape(-1, ids.shape[-1]), mask.reshape(-1, mask.shape[-1])
    if len(ids) != len(graphs):
        raise ValueError(
            f"{len(ids)} token sequences but {len(graphs)} graphs: inputs of different splits"
        )
    splitter = WordSplitter(tokenizer)
    words = [splitter.words(ids[s], mask[s]) for s in progress(range(len(ids)), "LM words")]
    nodes = [graphs[s].x.numpy()[1:] - 1 for s in progress(range(len(graphs)), "graph nodes")]

    concept_units = {c: matcher.units(concepts[c]) for c in np.unique(np.concatenate(nodes))}
    word_units = {w: matcher.units(w) for sw in words for w in sw.texts}
    matcher.prepare({u for units in (*concept_units.values(), *word_units.values()) for u in units})

    token_parts, node_parts, counts = [], [], []
    for sw, concept_ids in progress(zip(words, nodes, strict=True), "matches", len(words)):
        token, node = _statement_matches(sw, concept_ids, word_units, concept_units, matcher)
        token_parts.append(token)
        node_parts.append(node)
        counts.append(len(token))
    lists = MatchLists(
        np.concatenate(token_parts).astype(np.int32),
        np.concatenate(node_parts).astype(np.int32),
        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
    )
    log.info("%d statements, %.1f%% with at least one match, %.1f pairs per statement",
             len(lists), 100 * lists.coverage(), len(lists.token) / max(len(lists), 1))  # fmt: skip
    return lists


def _statement_matches(
    words: StatementWords,
    concept_ids: np.ndarray,
    word_units: Mapping[str, tuple[str, ...]],
    concept_units: Mapping[int, tuple[str, ...]],
    matcher: Matcher,
) -> tuple[np.ndarray, np.ndarray]:
    """(token positions, node positions) of one statement; nodes counted from 1 (0 = context)."""
    lm = [(w, u) for w, text in enumerate(words.texts) for u in word_units[text]]
    kg = [(n + 1, u) for n, c in enumerate(concept_ids) for u in concept_units[int(c)]]
    if not lm or not kg:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lm_word, lm_unit = zip(*lm, strict=True)
    kg_node, kg_unit = zip(*kg, strict=True)
    unit_a, unit_b = np.nonzero(matcher.similar(lm_unit, kg_unit))
    word_node = np.zeros((len(words.texts), len(concept_ids) + 1), dtype=bool)
    word_node[np.asarray(lm_word)[unit_a], np.asarray(kg_node)[unit_b]] = True
    positions = np.flatnonzero(words.word_of >= 0)
    row, node = np.nonzero(word_node[words.word_of[positions]])
    return positions[row], node
