"""The words of cached LM inputs: which token positions form which word, and its text.

The matcher (lmlab.qat.matcher) compares words, not word pieces, but the token cache
(lmlab.text.tokenize_cache) holds ids only, and re-encoding decoded text does not always give the
cached ids back (normalisation, truncation). So words are rebuilt from the ids with the fast
tokenizer's own decoder, which knows its piece convention (WordPiece `##`, byte-level BPE `Ġ`,
SentencePiece `▁`):

- a piece starts a word when decoding it twice in a row puts a space between the copies
  (`kitchen kitchen`, ` kitchen kitchen`), and continues the word before it otherwise (`##ss`);
- special tokens, padding and pieces without a letter or digit (`?`, `,`) belong to no word and
  end the word before them, so punctuation that BPE glues to a word is never matched;
- a word's text is its pieces decoded together, stripped and lower-cased (`kitchens`).

Piece facts are computed once per token id and reused for every statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


class PieceInfo(NamedTuple):
    """What the decoder says about one token id."""

    piece: str
    starts_word: bool
    in_word: bool


class StatementWords(NamedTuple):
    """The words of one token sequence: texts, and per position the word index (-1 = none)."""

    texts: list[str]
    word_of: np.ndarray


class WordSplitter:
    """Groups the token ids of a fast tokenizer into words (rules in the module docstring)."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase) -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError(f"{type(tokenizer).__name__} is not a fast tokenizer")
        self.tokenizer = tokenizer
        self.special = frozenset(tokenizer.all_special_ids)
        self._info: dict[int, PieceInfo] = {}

    def piece_info(self, token_id: int) -> PieceInfo:
        info = self._info.get(token_id)
        if info is None:
            piece = self.tokenizer.convert_ids_to_tokens(token_id)
            text = self.tokenizer.convert_tokens_to_string([piece])
            twice = self.tokenizer.convert_tokens_to_string([piece, piece]).strip()
            info = PieceInfo(
                piece,
                starts_word=" " in twice,
                in_word=token_id not in self.special and any(ch.isalnum() for ch in text),
            )
            self._info[token_id] = info
        return info

    def words(self, ids: Sequence[int], mask: Sequence[int] | None = None) -> StatementWords:
        """The words of one sequence; positions where `mask` is 0 belong to no word."""
        word_of = np.full(len(ids), -1, dtype=np.int64)
        pieces: list[list[str]] = []
        current = False
        for position, token_id in enumerate(ids):
            info = self.piece_info(int(token_id))
            if not info.in_word or (mask is not None and not mask[position]):
                current = False
                continue
            if info.starts_word or not current:
                pieces.append([])
                current = True
            pieces[-1].append(info.piece)
            word_of[position] = len(pieces) - 1
        texts = [self.tokenizer.convert_tokens_to_string(p).strip().lower() for p in pieces]
        return StatementWords(texts, word_of)
