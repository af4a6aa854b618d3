"""Statement files: byte-identical to QA-GNN's real sample, the fill-in-the-blank rules, OBQA,
the in-house split and the labels of unlabeled questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lmlab.graph.statements import (
    fill_choice,
    fill_in_the_blank,
    select_questions,
    write_statements,
)


def qa_line(qid: str, stem: str, answer: str | None = "B", n: int = 5, **extra) -> str:
    labels = "ABCDE"[:n]
    line = {
        **({"answerKey": answer} if answer else {}),
        "id": qid,
        "question": {
            "question_concept": "x",
            "choices": [{"label": label, "text": f"choice {label}"} for label in labels],
            "stem": stem,
        },
        **extra,
    }
    return json.dumps(line) + "\n"


def test_real_sample_is_byte_identical_to_qagnns_statement_file(real_data: Path, tmp_path):
    out = tmp_path / "test.statement.jsonl"
    write_statements(real_data / "qagnn" / "test_data.jsonl", out, "csqa")
    expected = real_data / "qagnn" / "statement" / "test.statement.jsonl"
    assert out.read_bytes() == expected.read_bytes()


@pytest.mark.parametrize(
    ("stem", "template"),
    [
        ("Where would you find a cat?", "___ would you find a cat."),
        ("The cat sat on a what?", "The cat sat on a ___."),
        ("What's a cat's favourite food?", "___ is a cat's favourite food."),
        ("I saw it. Which of the following is red?", "I saw it. ___ is red."),
        ("Bob is tired.  Where might he go?", "Bob is tired.  ___ might he go."),
        ("The people who run fast are called", "The people who run fast are called ___"),
        ("What are they called?", "___ are they called."),
        ("John was upset. He was", "John was upset. He was ___"),
        ("It was one of these?", "It was ___."),
        ("The U.S. capital is where?", "The US capital is ___."),
    ],
)
def test_fill_in_the_blank_replaces_the_wh_word(stem: str, template: str):
    assert fill_in_the_blank(stem) == template


def test_choice_is_capitalised_at_a_sentence_start_and_lowered_elsewhere():
    assert (
        fill_choice("___ would you find a cat.", "big house") == "Big house would you find a cat."
    )
    assert fill_choice("I saw it. ___ is red.", "apple") == "I saw it. Apple is red."
    assert fill_choice("The cat sat on a ___.", "Big Mat.") == "The cat sat on a big mat."
    assert fill_choice("He was ___", "Tired.") == "He was tired."  # blank ends: period kept
    assert fill_choice("He was ___", "tired.") == "He was tired."
    assert fill_choice("A ___ b.", r"c\1d") == r"A c\1d b."  # inserted literally
    assert fill_choice("___ is red.", "") == " is red."


def test_obqa_statement_is_stem_and_choice(tmp_path: Path):
    src = tmp_path / "obqa.jsonl"
    src.write_text(qa_line("q1", "The sun is a", "C", n=4, fact1="the sun is a star"), "utf-8")
    write_statements(src, tmp_path / "out.jsonl", "obqa")
    line = json.loads((tmp_path / "out.jsonl").read_text())
    assert [s["statement"] for s in line["statements"]] == [
        f"The sun is a choice {label}" for label in "ABCD"
    ]
    assert [s["label"] for s in line["statements"]] == [False, False, True, False]
    assert line["fact1"] == "the sun is a star"


def test_statement_line_is_the_question_line_plus_statements(tmp_path: Path):
    src = tmp_path / "dev.jsonl"
    src.write_text(qa_line("q1", "Where is a cat?") + qa_line("q2", "What is red?", None), "utf-8")
    write_statements(src, tmp_path / "out.jsonl", "csqa")
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert list(lines[0]) == ["answerKey", "id", "question", "statements"]
    assert [s["label"] for s in lines[0]["statements"]] == [False, True, False, False, False]
    # No answerKey: QA-GNN's default "A" marks the first choice, as in its test files.
    assert [s["label"] for s in lines[1]["statements"]] == [True, False, False, False, False]
    assert lines[1]["statements"][2]["statement"] == "Choice C is red."


def test_inhouse_parts_partition_official_train_in_file_order(tmp_path: Path):
    src = tmp_path / "train.jsonl"
    src.write_text("".join(qa_line(f"q{i}", "Where is it?") for i in range(6)), "utf-8")
    qids = tmp_path / "qids.txt"
    qids.write_text("q4\nq1\nq2\n", "utf-8")
    train = select_questions(src, qids, "train")
    test = select_questions(src, qids, "test")
    assert [q.id for q in train] == ["q1", "q2", "q4"]
    assert [q.id for q in test] == ["q0", "q3", "q5"]
    with pytest.raises(ValueError, match="inhouse_part"):
        select_questions(src, qids, "dev")


def test_unknown_dataset_is_an_error(tmp_path: Path):
    src = tmp_path / "dev.jsonl"
    src.write_text(qa_line("q1", "Where is a cat?"), "utf-8")
    with pytest.raises(ValueError, match="unknown dataset"):
        write_statements(src, tmp_path / "out.jsonl", "piqa")
    assert not (tmp_path / "out.jsonl").exists()
