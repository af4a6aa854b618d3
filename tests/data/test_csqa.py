"""CommonsenseQA / OpenBookQA reader and the in-house split: real files with counts verified by
grep, and hand-written lines for every kind of malformed record."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from lmlab.data.csqa import QASplit, Question, inhouse_split, read_qa_jsonl

# Counted with `grep -o '"answerKey": "[A-E]"' | sort | uniq -c` and `grep -c answerKey`.
DEV_ANSWER_KEYS = {"A": 239, "B": 255, "C": 241, "D": 251, "E": 235}


def csqa_line(qid: str, answer: str | None = "A", n_choices: int = 5, **question) -> str:
    """One CommonsenseQA-shaped jsonl line (OpenBookQA-shaped with n_choices=4, no concept)."""
    body = {
        "question_concept": "door",
        "choices": [{"label": "ABCDE"[i], "text": f"choice {i}"} for i in range(n_choices)],
        "stem": "Where is a door?",
        **question,
    }
    line = {"id": qid, "question": body}
    if answer is not None:
        line["answerKey"] = answer
    return json.dumps(line)


def test_real_csqa_dev_counts(real_data: Path) -> None:
    dev = read_qa_jsonl(real_data / "csqa" / "dev_rand_split.jsonl")
    assert (len(dev.questions), dev.n_lines, dev.n_choices, dev.skipped) == (1221, 1221, 5, [])
    assert dev.dataset == "csqa"
    assert dict(Counter(q.answer_key for q in dev.questions)) == DEV_ANSWER_KEYS
    assert Counter(q.answer_index for q in dev.questions) == {
        "ABCDE".index(key): n for key, n in DEV_ANSWER_KEYS.items()
    }
    first = dev.questions[0]
    assert first.id == "1afa02df02c908a558b4036e80242fac"
    assert first.question_concept == "revolving door"
    assert first.choices[0] == ("A", "bank") and len(first.choices) == 5
    assert first.stem.endswith("but it also serves as a security measure at a what?")
    assert first.raw["question"]["choices"][4]["text"] == "new york"


def test_real_csqa_test_has_no_answer_keys(real_data: Path) -> None:
    test = read_qa_jsonl(real_data / "csqa" / "test_rand_split_no_answers.jsonl")
    assert (len(test.questions), test.n_lines, test.n_choices, test.skipped) == (1140, 1140, 5, [])
    assert all(q.answer_key is None and q.answer_index is None for q in test.questions)
    assert all(q.question_concept for q in test.questions)


def test_real_inhouse_qids_split_a_train_file_in_its_own_order(real_data: Path, tmp_path) -> None:
    qids_path = real_data / "csqa" / "inhouse_split_qids.txt"
    qids = qids_path.read_text().split()
    assert len(qids) == len(set(qids)) == 8500
    extra = ["extra-1", "extra-2", "extra-3"]
    order = [*reversed(qids[:4000]), extra[0], *qids[4000:], *extra[1:]]  # not the qids order
    train_path = tmp_path / "train_rand_split.jsonl"
    train_path.write_text("".join(csqa_line(qid) + "\n" for qid in order))
    train = read_qa_jsonl(train_path)

    inhouse_train, inhouse_test = inhouse_split(train, qids_path)
    assert [q.id for q in inhouse_train] == [qid for qid in order if qid not in extra]
    assert [q.id for q in inhouse_test] == extra


def test_real_inhouse_qids_are_not_dev_questions(real_data: Path) -> None:
    dev = read_qa_jsonl(real_data / "csqa" / "dev_rand_split.jsonl")
    with pytest.raises(ValueError, match=r"inhouse_split_qids\.txt: 8500 of 8500 ids are not in"):
        inhouse_split(dev, real_data / "csqa" / "inhouse_split_qids.txt")


def test_inhouse_split_unknown_ids_are_an_error_with_count(write) -> None:
    train = read_qa_jsonl(write("train.jsonl", csqa_line("q1") + "\n" + csqa_line("q2") + "\n"))
    qids = write("qids.txt", "q2\nq9\nq8\n")
    with pytest.raises(ValueError, match=r"qids\.txt: 2 of 3 ids are not in .*train\.jsonl"):
        inhouse_split(train, qids)
    inhouse_train, inhouse_test = inhouse_split(train, write("ok.txt", "q2\n\n"))
    assert ([q.id for q in inhouse_train], [q.id for q in inhouse_test]) == (["q2"], ["q1"])


def test_openbookqa_four_choices_with_fact_and_no_concept(write) -> None:
    line = json.loads(csqa_line("7-980", answer="D", n_choices=4))
    del line["question"]["question_concept"]
    line["fact1"] = "the sun is the source of energy for physical cycles on Earth"
    second = json.loads(csqa_line("7-584", answer="B", n_choices=4))
    del second["question"]["question_concept"]
    data = read_qa_jsonl(write("obqa/dev.jsonl", json.dumps(line) + "\n" + json.dumps(second)))
    assert (data.dataset, data.n_choices, len(data.questions)) == ("obqa", 4, 2)
    first = data.questions[0]
    assert first.question_concept is None
    assert (first.answer_key, first.answer_index) == ("D", 3)
    assert first.raw["fact1"].startswith("the sun")


def test_csqa_without_answer_key_is_unlabeled(write) -> None:
    data = read_qa_jsonl(write("test.jsonl", csqa_line("q1", answer=None) + "\n"))
    assert isinstance(data, QASplit) and data.dataset == "csqa"
    question = data.questions[0]
    assert isinstance(question, Question)
    assert (question.answer_key, question.answer_index) == (None, None)


def test_malformed_lines_are_skipped_with_their_line_numbers(write) -> None:
    no_stem = json.loads(csqa_line("q5"))
    del no_stem["question"]["stem"]
    lines = [
        csqa_line("q1"),
        "{not json",  # line 2
        csqa_line("q3", answer="B"),
        json.dumps(no_stem),  # line 4
        csqa_line("q5", answer="C"),
        csqa_line("q6", answer="C", choices=[{"label": "A", "text": 1}]),  # line 6: not a string
        csqa_line("q7", answer="D"),
        csqa_line("q8", n_choices=4),  # line 8: 4 choices in a 5-choice file
        csqa_line("q9", answer="E"),
        csqa_line("q1"),  # line 10: duplicate id
        "",  # line 11
        csqa_line("q12", answer="E"),
        csqa_line("q13", answer="E"),
    ]
    data = read_qa_jsonl(write("dev.jsonl", "\n".join(lines)))
    assert [q.id for q in data.questions] == ["q1", "q3", "q5", "q7", "q9", "q12", "q13"]
    assert data.n_lines == 13
    assert [line for line, _ in data.skipped] == [2, 4, 6, 8, 10, 11]
    reasons = dict(data.skipped)
    assert reasons[2].startswith("bad JSON")
    assert "stem" in reasons[4]
    assert reasons[6] == "a choice lacks a string 'label' or 'text'"
    assert reasons[8] == "4 choices, expected 5"
    assert reasons[10] == "duplicate id 'q1'"
    assert reasons[11] == "empty line"


def test_mostly_malformed_file_is_an_error_naming_it(write) -> None:
    path = write("bad.jsonl", csqa_line("q1") + "\n[1, 2]\n{}\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl: 2 of 3 records are malformed"):
        read_qa_jsonl(path)


def test_empty_file_is_an_error_naming_it(write) -> None:
    with pytest.raises(ValueError, match=r"empty\.jsonl: no records"):
        read_qa_jsonl(write("empty.jsonl", ""))


def test_answer_key_not_among_the_choices_is_an_error_naming_file_and_line(write) -> None:
    lines = [csqa_line("q1"), csqa_line("q2", answer="B"), csqa_line("q3", answer="F")]
    path = write("dev.jsonl", "\n".join(lines))
    with pytest.raises(
        ValueError,
        match=r"dev\.jsonl:3: answerKey 'F' is not among the choice labels "
        r"\['A', 'B', 'C', 'D', 'E'\] of question 'q3'",
    ):
        read_qa_jsonl(path)
    four = write("obqa.jsonl", csqa_line("q1", answer="E", n_choices=4))  # no E with 4 choices
    with pytest.raises(ValueError, match=r"obqa\.jsonl:1: answerKey 'E'"):
        read_qa_jsonl(four)


def test_csqa_file_with_four_choices_is_accepted_down_to_the_statement_tokens(write, tmp_path):
    """OpenBookQA has 4 choices: a CSQA-shaped file with 4 is read, and its statements and
    token tensors have 4 per question (the QAT batches take any number: tests/qat)."""
    from lmlab.graph.statements import write_statements
    from lmlab.text.tokenize_cache import load_tokens, tokenize_statements

    lines = [csqa_line(f"q{i}", answer="ABCD"[i], n_choices=4) for i in range(4)]
    data = read_qa_jsonl(write("four/dev.jsonl", "\n".join(lines) + "\n"))
    assert (data.dataset, data.n_choices, len(data.questions), data.skipped) == ("csqa", 4, 4, [])
    assert [q.answer_index for q in data.questions] == [0, 1, 2, 3]

    statements = tmp_path / "dev.statement.jsonl"
    write_statements(data.path, statements, "csqa")
    rows = [json.loads(line) for line in statements.read_text().splitlines()]
    assert [len(row["statements"]) for row in rows] == [4] * 4
    assert [[s["label"] for s in row["statements"]].index(True) for row in rows] == [0, 1, 2, 3]
    cached = tokenize_statements(statements, "embedded", 16, tmp_path / "cache")
    tensors, _ = load_tokens(cached.entry, framework="np")
    assert tensors["input_ids"].shape == (4, 4, 16)
    assert tensors["labels"].tolist() == [0, 1, 2, 3]
