"""Words rebuilt from cached token ids, for WordPiece, byte-level BPE and SentencePiece pieces."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from lmlab.qat.lm_words import WordSplitter

TEXTS = ["where would you put kitchens?", "a kitchen table is in the kitchen", "dogs bark"]


def trained(kind: str) -> PreTrainedTokenizerFast:
    """A small byte-level BPE (RoBERTa-style) or Metaspace unigram (DeBERTa-v3-style)."""
    if kind == "bpe":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=300,
            special_tokens=["<s>", "</s>", "<pad>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )
    else:
        tok = Tokenizer(models.Unigram())
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        trainer = trainers.UnigramTrainer(
            vocab_size=80, special_tokens=["<s>", "</s>", "<pad>"], unk_token="<pad>"
        )
    tok.train_from_iterator(TEXTS * 20, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )


def test_wordpieces_merge_into_words_and_punctuation_is_no_word(tokenizer):
    ids = tokenizer("where do you keep forks?", " kitchen table")["input_ids"]
    assert tokenizer.convert_ids_to_tokens(ids)[5:7] == ["fork", "##s"]
    words = WordSplitter(tokenizer).words(ids)
    assert words.texts == ["where", "do", "you", "keep", "forks", "kitchen", "table"]
    # [CLS] where do you keep fork ##s ? [SEP] kitchen table [SEP]
    assert words.word_of.tolist() == [-1, 0, 1, 2, 3, 4, 4, -1, -1, 5, 6, -1]


def test_masked_positions_belong_to_no_word(tokenizer):
    ids = tokenizer("where do you keep forks?")["input_ids"]
    mask = [1] * 4 + [0] * (len(ids) - 4)
    words = WordSplitter(tokenizer).words(ids, mask)
    assert words.texts == ["where", "do", "you"]
    assert words.word_of.tolist()[4:] == [-1] * (len(ids) - 4)


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_bpe_and_sentencepiece_pieces_merge_into_the_same_words(kind):
    tok = trained(kind)
    ids = [tok.bos_token_id, *tok("where would you put kitchens?")["input_ids"], tok.eos_token_id]
    ids += tok(" kitchen table")["input_ids"]
    words = WordSplitter(tok).words(ids)
    assert words.texts == ["where", "would", "you", "put", "kitchens", "kitchen", "table"]
    pieces = tok.convert_ids_to_tokens(ids)
    question_mark = pieces.index("?")
    assert words.word_of[question_mark] == -1  # glued to `kitchens` by BPE, yet no word
    assert words.word_of[0] == -1 and words.word_of[pieces.index("</s>")] == -1


def test_slow_tokenizers_are_rejected():
    class Slow:
        is_fast = False

    with pytest.raises(ValueError, match="not a fast tokenizer"):
        WordSplitter(Slow())
