"""Match lists of the hand-made split: the expected pairs, the cache, the node cut."""

from __future__ import annotations

import numpy as np
import pytest

from lmlab.qat.matcher import LemmaMatcher
from lmlab.qat.matches import MatchLists, precompute_matches

from .handmade import CONCEPTS, graph_dataset


def pairs(lists: MatchLists, s: int) -> list[tuple[int, int]]:
    token, node = lists[s]
    return list(zip(token.tolist(), node.tolist(), strict=True))


def test_short_statement_matches_its_words_to_their_nodes(tokens, graphs, tokenizer):
    lists = precompute_matches(tokens, graphs, CONCEPTS, tokenizer, LemmaMatcher())
    # [CLS] where do you keep fork ##s ? [SEP] kitchen [SEP]; nodes: context, fork, kitchen, table
    assert graphs[0].x.tolist() == [0, 1 + 3, 1 + 0, 1 + 2]
    assert pairs(lists, 0) == [(5, 1), (6, 1), (9, 2)]


def test_words_match_every_concept_naming_them(tokens, graphs, tokenizer):
    lists = precompute_matches(tokens, graphs, CONCEPTS, tokenizer, LemmaMatcher())
    # [CLS] what is a very big old wooden kitchen(8) table(9) used for in the kitchen(14) ?
    # [SEP] eat(17) food(18) [SEP]; nodes: context, kitchen 1, kitchen_table 2, eat 3, food 4,
    # wood 5 (`wooden` is its own lemma), table 6, fork 7
    expected = [(8, 1), (8, 2), (9, 2), (9, 6), (14, 1), (14, 2), (17, 3), (18, 4)]
    assert pairs(lists, 3) == expected
    assert len(lists) == 6 and lists.coverage() == 1.0


def test_nodes_cut_by_the_loader_are_never_matched(tokens, tokenizer):
    lists = precompute_matches(tokens, graph_dataset(3), CONCEPTS, tokenizer, LemmaMatcher())
    assert pairs(lists, 3) == [(8, 1), (8, 2), (9, 2), (14, 1), (14, 2)]


def test_inputs_of_different_sizes_are_rejected(tokens, tokenizer):
    short = {key: value[:1] for key, value in tokens.items()}
    with pytest.raises(ValueError, match="3 token sequences but 6 graphs"):
        precompute_matches(short, graph_dataset(), CONCEPTS, tokenizer, LemmaMatcher())


def test_match_lists_round_trip_through_their_file(tokens, graphs, tokenizer, tmp_path):
    lists = precompute_matches(tokens, graphs, CONCEPTS, tokenizer, LemmaMatcher())
    lists.save(tmp_path / "dev.matches.npz")
    again = MatchLists.load(tmp_path / "dev.matches.npz")
    for name in ("token", "node", "offsets"):
        np.testing.assert_array_equal(getattr(again, name), getattr(lists, name))
    np.savez(tmp_path / "other.npz", token=lists.token)
    with pytest.raises(ValueError, match="not a match-list file"):
        MatchLists.load(tmp_path / "other.npz")
