"""Grounding: QA-GNN's real grounded sample reproduced on a hand-made vocabulary, then each rule
(answer spans, shortest candidates, lemma forms, stopword pruning, fallback) and parallel runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lmlab.cli import main
from lmlab.graph.grounding import ConceptPatterns, Grounder, ground_statements, read_pairs

# The concepts of QA-GNN's grounded sample, plus vocabulary it must not report: stopword-only
# concepts ("there_is", "of_the"), a lemma form outside the sample ("be"), a 5-token concept.
SAMPLE_VOCAB = [
    "star", "center", "group", "celestial", "celestial_body", "celestial_bodies", "body",
    "bodies", "hollywood", "skyline", "outer", "outer_space", "space", "space_group",
    "constellation", "solar", "solar_system", "system", "there", "be", "the", "of_the", "at",
    "there_is", "star_at_the_center_of",
]  # fmt: skip


def grounder(concepts: list[str]) -> Grounder:
    return Grounder(ConceptPatterns.build(concepts))


def write_patterns_of(tmp_path: Path, concepts: list[str]) -> Path:
    """concepts.txt -> patterns.json through the `lmlab graph patterns` stage."""
    vocab, patterns = tmp_path / "concepts.txt", tmp_path / "patterns.json"
    vocab.write_text("\n".join(concepts) + "\n", encoding="utf-8")
    assert main(["graph", "patterns", str(vocab), "--output", str(patterns)]) == 0
    return patterns


def test_real_sample_equals_qagnns_grounding(real_data: Path, tmp_path: Path):
    patterns = write_patterns_of(tmp_path, SAMPLE_VOCAB)
    out = tmp_path / "test.grounded.jsonl"
    statements = real_data / "qagnn" / "statement" / "test.statement.jsonl"
    counts = ground_statements(statements, patterns, out)
    expected = real_data / "qagnn" / "grounded" / "test.grounded.jsonl"
    assert out.read_bytes() == expected.read_bytes()
    assert counts == {"statements": 5, "empty_qc": 0, "empty_ac": 0}


def test_answer_concepts_come_from_the_answer_and_leave_the_question():
    g = grounder(["ice", "cream", "ice_cream", "cold", "shop"])
    line = g.ground("you buy ice cream in a cold shop.", "ice cream")
    assert line["ac"] == ["cream", "ice", "ice_cream"]
    assert line["qc"] == ["cold", "shop"]


def test_span_spelt_like_the_answer_is_not_a_question_mention():
    g = grounder(["dog", "bark"])
    # "dog" occurs in the statement as the answer and is excluded there, but the answer text
    # still grounds it; "bark" stays a question concept.
    line = g.ground("a dog can bark.", "Dog")
    assert line == {"sent": "a dog can bark.", "ans": "Dog", "qc": ["bark"], "ac": ["dog"]}


def test_at_most_three_shortest_candidates_per_span_plus_an_exact_spelling():
    # All four concepts lemmatise to go_home, which is not a concept itself: the 3 shortest
    # (ties alphabetical) are kept, plus the one spelt exactly like the span.
    g = grounder(["went_home", "goes_home", "gone_home", "going_home"])
    assert g.mentions("he went home") == {"gone_home", "goes_home", "went_home"}
    assert g.mentions("he is going home") == {
        "gone_home", "goes_home", "went_home", "going_home",
    }  # fmt: skip


def test_candidates_collapse_to_their_lemma_form_when_it_is_among_the_shortest():
    g = grounder(["run", "ran", "runs", "running"])
    assert g.mentions("running") == {"run", "running"}
    assert g.mentions("ran") == {"run", "ran"}


def test_lemma_form_replaces_a_candidate_when_both_are_kept():
    g = grounder(["bodies", "body"])
    assert g.mentions("two bodies") == {"body", "bodies"}  # lemma form + exact spelling
    assert g.mentions("a body") == {"body"}


def test_stopword_pruning_is_any_token_for_questions_all_tokens_for_answers():
    g = grounder(["out_of_mind", "mind", "out_of", "take_out", "wheel"])
    assert g.prune(["mind", "out_of_mind", "take_out"], question=True) == ["mind"]
    assert g.prune(["out_of", "out_of_mind", "take_out"], question=False) == [
        "out_of_mind",
        "take_out",
    ]


def test_er_and_e_variants_of_a_kept_concept_are_pruned_and_unknown_concepts_dropped():
    g = grounder(["bak", "baker", "bake", "wheel"])
    assert g.prune(["bak", "bake", "baker", "wheel", "wheels"], question=True) == ["bak", "wheel"]


def test_patterns_skip_pronoun_edges_stopword_only_and_long_concepts():
    patterns = ConceptPatterns.build(
        ["my_car", "car_it", "of_the", "a_b_c_d_e", "make_sense", "someone", "car"]
    ).patterns
    assert set(patterns.values()) == {("make_sense",), ("car",)}


def test_grounding_blacklist_concepts_are_never_mentions():
    g = grounder(["someone", "want", "apple"])
    assert g.mentions("someone may want an apple") == {"apple"}


def test_empty_side_falls_back_to_single_token_lemmas():
    # "someone" is a concept without a pattern (grounding blacklist): only the fallback finds it.
    g = grounder(["someone", "apple", "here"])
    line = g.ground("someone eats an apple.", "someone")
    assert (line["qc"], line["ac"]) == (["apple"], ["someone"])
    line = g.ground("someone is here.", "apple")
    assert (line["qc"], line["ac"]) == (["someone"], ["apple"])  # "here" is a stopword


def test_saved_patterns_load_back_equal_and_refuse_another_lemmatizer(tmp_path: Path):
    built = ConceptPatterns.build(SAMPLE_VOCAB)
    path = write_patterns_of(tmp_path, SAMPLE_VOCAB)
    assert ConceptPatterns.load(path) == built
    assert built.patterns[("celestial", "body")] == ("celestial_body", "celestial_bodies")
    data = json.loads(path.read_text())
    data["lemmatizer"]["spacy"] = "0.0.1"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"patterns.json: built with .*0\.0\.1.*rebuild it"):
        ConceptPatterns.load(path)
    path.write_text('{"vocab": []}')
    with pytest.raises(ValueError, match=r"patterns.json: not a concept-pattern file"):
        ConceptPatterns.load(path)


def test_parallel_grounding_equals_sequential(tmp_path: Path):
    vocab = write_patterns_of(tmp_path, ["cat", "dog", "big_dog", "run", "house", "park"])
    statements = tmp_path / "s.jsonl"
    words = ["cat", "big dog", "house", "park", "runner"]
    with statements.open("w", encoding="utf-8") as fh:
        for i in range(40):
            choices = [{"label": "ABCDE"[k], "text": words[(i + k) % 5]} for k in range(5)]
            stmts = [{"label": k == 0, "statement": f"the {c['text']} runs to {i}."}
                     for k, c in enumerate(choices)]  # fmt: skip
            fh.write(json.dumps({"id": str(i), "question": {"stem": "x", "choices": choices},
                                 "statements": stmts}) + "\n")  # fmt: skip
    ground_statements(statements, vocab, tmp_path / "one.jsonl", workers=1)
    ground_statements(statements, vocab, tmp_path / "two.jsonl", workers=2)
    one = (tmp_path / "one.jsonl").read_text()
    assert one == (tmp_path / "two.jsonl").read_text()
    assert len(one.splitlines()) == 200 == len(read_pairs(statements))


def test_statement_file_without_statements_is_an_error(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "question": {"stem": "x", "choices": []}}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="line 1: not a statement line"):
        read_pairs(bad)
