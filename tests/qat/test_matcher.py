"""The word matchers on hand-made words, concepts, embeddings and a tiny GloVe file."""

from __future__ import annotations

import numpy as np
import pytest

from lmlab.qat.config import MatcherConfig
from lmlab.qat.matcher import (
    EmbeddingMatcher,
    LemmaMatcher,
    WordVectorMatcher,
    build_matcher,
    read_word_vectors,
)


def phrases_match(matcher, word: str, concept: str) -> bool:
    a, b = matcher.units(word), matcher.units(concept)
    matcher.prepare([*a, *b])
    return bool(a and b and matcher.similar(a, b).any())


def test_lemma_matches_inflections_and_any_word_of_a_multiword_concept():
    matcher = LemmaMatcher()
    assert phrases_match(matcher, "kitchens", "kitchen")
    assert phrases_match(matcher, "table", "kitchen_table")
    assert phrases_match(matcher, "kitchens", "kitchen_table")
    assert phrases_match(matcher, "mice", "mouse")
    assert not phrases_match(matcher, "kitchen", "table")


def test_stopwords_and_punctuation_never_match():
    matcher = LemmaMatcher()
    assert matcher.units("go_to_school") == ("go", "school")
    assert matcher.units("?") == () and matcher.units("the") == ()
    assert not phrases_match(matcher, "to", "go_to_school")


def test_embedding_cosine_uses_the_mean_embedding_of_a_words_pieces(tokenizer):
    vocab = tokenizer.get_vocab()
    embeddings = np.zeros((len(tokenizer), 3), dtype=np.float32)
    embeddings[vocab["kitchen"]] = [1, 0, 0]
    embeddings[vocab["table"]] = [0.9, 0.1, 0]  # cosine 0.99 with kitchen
    embeddings[vocab["spoon"]] = [0, 1, 0]
    embeddings[vocab["fork"]] = [1, 1, 0]  # forks = fork ##s: mean of [1, 1, 0] and [0, 0, 1]
    embeddings[vocab["##s"]] = [0, 0, 1]
    matcher = EmbeddingMatcher(tokenizer, embeddings, threshold=0.9)
    assert phrases_match(matcher, "table", "kitchen")
    assert not phrases_match(matcher, "spoon", "kitchen")
    assert phrases_match(matcher, "spoon", "spoon")
    matcher.prepare(["forks"])
    expected = np.array([0.5, 0.5, 0.5]) / np.linalg.norm([0.5, 0.5, 0.5])
    np.testing.assert_allclose(matcher._vectors["forks"], expected, rtol=1e-6)
    assert not phrases_match(matcher, "forks", "kitchen")  # cosine 0.577


@pytest.fixture
def glove(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text(
        "kitchen 1.0 0.0 0.0\n"
        "table 0.9 0.1 0.0\n"
        "spoon 0.0 1.0 0.0\n"
        "kitchen 0.0 0.0 1.0\n"  # a later duplicate: the first line wins
        ". . . 0.5 0.5 0.5\n"  # GloVe-840B has words with spaces
    )
    return path


def test_glove_file_cosine(glove):
    matcher = WordVectorMatcher(glove, threshold=0.9)
    assert phrases_match(matcher, "tables", "kitchen") is False  # `tables` is not in the file
    assert phrases_match(matcher, "table", "kitchen")
    assert phrases_match(matcher, "table", "kitchen_table")
    assert not phrases_match(matcher, "spoon", "kitchen")


def test_reading_vectors_keeps_only_the_wanted_words(glove, tmp_path):
    found = read_word_vectors(glove, {"kitchen", ". . .", "missing"})
    assert sorted(found) == [". . .", "kitchen"]
    np.testing.assert_array_equal(found["kitchen"], [1.0, 0.0, 0.0])
    header = tmp_path / "w2v.txt"
    header.write_text("2 2\nkitchen 1 0\ntable 0 1\n")
    assert sorted(read_word_vectors(header, {"kitchen", "table"})) == ["kitchen", "table"]
    bad = tmp_path / "bad.txt"
    bad.write_text("kitchen 1 0\ntable 1\n")
    with pytest.raises(ValueError, match="line 2: 1 numbers, expected 2"):
        read_word_vectors(bad, {"table"})


def test_build_matcher_from_config(tokenizer, glove):
    assert isinstance(build_matcher(MatcherConfig("lemma", 0.5, None)), LemmaMatcher)
    embeddings = np.eye(len(tokenizer), 4, dtype=np.float32)
    config = MatcherConfig("lm_embedding", 0.5, None)
    assert isinstance(build_matcher(config, tokenizer, embeddings), EmbeddingMatcher)
    with pytest.raises(ValueError, match="needs the tokenizer"):
        build_matcher(config)
    glove_config = MatcherConfig("word_vectors", 0.5, str(glove))
    assert isinstance(build_matcher(glove_config), WordVectorMatcher)
    with pytest.raises(ValueError, match="threshold must be in"):
        build_matcher(MatcherConfig("word_vectors", 0.0, str(glove)))
