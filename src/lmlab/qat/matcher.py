"""Word matchers: does an LM word name the same thing as a word of a ConceptNet concept? (SPEC §6)

QAT's cross-modal bias needs to know which LM token and which graph token talk about the same
entity. The paper's Matcher compares GloVe-840B vectors of LM words and KG entities; GloVe is not
available offline, so the matcher is pluggable (config `MatcherConfig.kind`):

- `lemma` (default): exact lemma match, with the lemmatizer of the grounding stage
  (lmlab.graph.grounding: spaCy `blank("en")` + lookup lemmatizer), so `kitchens` matches
  `kitchen`;
- `lm_embedding`: cosine of the LM's input embeddings >= threshold, a word's vector being the
  mean embedding of its pieces (the tokenizer's pieces of " word");
- `word_vectors`: cosine of the vectors of a user-supplied GloVe-format text file (one
  `word v1 ... vd` per line) >= threshold; words the file lacks match nothing.

Both sides are phrases cut into units: an LM word (`kitchens`, or `dog's`) and a concept with its
underscores read as spaces (`kitchen_table` -> `kitchen`, `table`). Units are the spaCy tokens
that contain a letter and are not stopwords (NLTK's list, by text or lemma, as grounding prunes
them): lemmas for `lemma`, lower-cased texts for the vector matchers. Two phrases match when any
pair of their units does, so a multi-word concept matches any of its content words, and `the`,
`of` or `?` never create matches. The unit lists are cached per phrase.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from lmlab.graph.grounding import english_pipeline, stopwords
from lmlab.qat.config import MatcherConfig

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase


class Matcher(Protocol):
    """A word-level similarity (see the module docstring)."""

    def units(self, phrase: str) -> tuple[str, ...]:
        """The comparable units of a phrase (an LM word or a concept)."""
        ...

    def prepare(self, units: Iterable[str]) -> None:
        """Load whatever `similar` needs for these units (vectors); called once before it."""
        ...

    def similar(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """[len(a), len(b)] bool: which units match."""
        ...


class _UnitCache:
    """Content tokens of phrases through the grounding lemmatizer, cached per phrase."""

    def __init__(self, use_lemma: bool) -> None:
        self.nlp = english_pipeline()
        self.stop = stopwords()
        self.use_lemma = use_lemma
        self._units: dict[str, tuple[str, ...]] = {}

    def __call__(self, phrase: str) -> tuple[str, ...]:
        units = self._units.get(phrase)
        if units is None:
            doc = self.nlp(phrase.replace("_", " ").lower())
            units = tuple(
                token.lemma_.lower() if self.use_lemma else token.text
                for token in doc
                if any(ch.isalpha() for ch in token.text)
                and token.text not in self.stop
                and token.lemma_.lower() not in self.stop
            )
            self._units[phrase] = units
        return units


class LemmaMatcher:
    """Exact lemma match (the default)."""

    def __init__(self) -> None:
        self._units = _UnitCache(use_lemma=True)

    def units(self, phrase: str) -> tuple[str, ...]:
        return self._units(phrase)

    def prepare(self, units: Iterable[str]) -> None:
        """Nothing to load: lemmas compare as strings."""

    def similar(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        return np.equal.outer(np.asarray(a, dtype=object), np.asarray(b, dtype=object))


class _CosineMatcher:
    """Cosine >= threshold between unit vectors; units without a vector match nothing."""

    def __init__(self, threshold: float) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"config qat matcher threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self._units = _UnitCache(use_lemma=False)
        self._vectors: dict[str, np.ndarray | None] = {}
        self._dim = 0

    def units(self, phrase: str) -> tuple[str, ...]:
        return self._units(phrase)

    def prepare(self, units: Iterable[str]) -> None:
        missing = sorted(set(units) - self._vectors.keys())
        found = self._load(missing)
        for unit in missing:
            vector = found.get(unit)
            if vector is not None:
                norm = float(np.linalg.norm(vector))
                vector = vector / norm if norm > 0 else None
            self._vectors[unit] = vector
        self._dim = self._dim or next((len(v) for v in found.values()), 0)

    def _load(self, units: list[str]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _matrix(self, units: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(units), self._dim), dtype=np.float32)
        for row, unit in enumerate(units):
            vector = self._vectors[unit]
            if vector is not None:
                out[row] = vector
        return out

    def similar(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        return self._matrix(a) @ self._matrix(b).T >= self.threshold


class EmbeddingMatcher(_CosineMatcher):
    """Cosine of the LM's input embeddings: a unit's vector is the mean of its pieces' rows."""

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, embeddings: np.ndarray, threshold: float
    ) -> None:
        super().__init__(threshold)
        self.tokenizer = tokenizer
        self.embeddings = np.asarray(embeddings, dtype=np.float32)

    def _load(self, units: list[str]) -> dict[str, np.ndarray]:
        if not units:
            return {}
        pieces = self.tokenizer([f" {u}" for u in units], add_special_tokens=False)["input_ids"]
        return {
            unit: self.embeddings[ids].mean(axis=0)
            for unit, ids in zip(units, pieces, strict=True)
            if ids
        }


class WordVectorMatcher(_CosineMatcher):
    """Cosine of the vectors of a GloVe-format text file (only the needed words are kept)."""

    def __init__(self, path: str | os.PathLike, threshold: float) -> None:
        super().__init__(threshold)
        self.path = path

    def _load(self, units: list[str]) -> dict[str, np.ndarray]:
        return read_word_vectors(self.path, set(units))


def read_word_vectors(path: str | os.PathLike, words: set[str]) -> dict[str, np.ndarray]:
    """The vectors of `words` in a GloVe text file, streamed (GloVe-840B is 5.6 GB).

    Each line is a word and its d numbers separated by spaces; d comes from the first line. The
    word is everything before the last d fields (a few GloVe-840B words contain spaces). A
    word2vec-style header line (`count dim`) is skipped; a word's first line wins.
    """
    found: dict[str, np.ndarray] = {}
    dim = None
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            fields = line.rstrip("\n").rstrip(" ").split(" ")
            if dim is None:
                if len(fields) == 2 and all(f.isdigit() for f in fields):
                    continue
                dim = len(fields) - 1
                if dim < 1:
                    raise ValueError(f"{path}: line {number}: no vector after the word")
            if len(fields) <= dim:
                raise ValueError(
                    f"{path}: line {number}: {len(fields) - 1} numbers, expected {dim}"
                )
            word = " ".join(fields[:-dim])
            if word in words and word not in found:
                found[word] = np.asarray(fields[-dim:], dtype=np.float32)
                if len(found) == len(words):
                    break
    return found


def build_matcher(
    config: MatcherConfig,
    tokenizer: PreTrainedTokenizerBase | None = None,
    embeddings: np.ndarray | torch.Tensor | None = None,
) -> Matcher:
    """The matcher of a config section; `lm_embedding` needs the tokenizer and the input
    embedding matrix [vocab, hidden] of the encoder (numpy or torch)."""
    if config.kind == "lemma":
        return LemmaMatcher()
    if config.kind == "lm_embedding":
        if tokenizer is None or embeddings is None:
            raise ValueError("the lm_embedding matcher needs the tokenizer and input embeddings")
        if not isinstance(embeddings, np.ndarray):
            embeddings = embeddings.detach().float().cpu().numpy()
        return EmbeddingMatcher(tokenizer, embeddings, config.threshold)
    return WordVectorMatcher(config.word_vectors, config.threshold)
