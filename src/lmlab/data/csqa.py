"""CommonsenseQA / OpenBookQA readers (the QAT data path) and the MHGRN/QA-GNN in-house split.

Both datasets share one jsonl shape: `{"id", "question": {"stem", "choices": [{"label", "text"}],
["question_concept"]}, ["answerKey"], ["fact1"]}`: CommonsenseQA has 5 choices and a question
concept, OpenBookQA 4 choices and no concept (a `fact1` in its "additional" variant); test files
have no `answerKey`. Each `Question` keeps its original line in `raw`, so the statement files of
QA-GNN's format can be written from it later without re-reading the source.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lmlab.data.rows import Skipped, check_rows, iter_lines


@dataclass
class Question:
    """One multiple-choice question; `choices` are (label, text) pairs in file order."""

    id: str
    stem: str
    question_concept: str | None
    choices: list[tuple[str, str]]
    answer_key: str | None
    raw: dict

    @property
    def answer_index(self) -> int | None:
        """Position of the answer among `choices`, or None for an unlabeled (test) question."""
        if self.answer_key is None:
            return None
        return [label for label, _ in self.choices].index(self.answer_key)


@dataclass
class QASplit:
    """The good questions of one jsonl file, the skipped lines as (line number, reason), the
    number of lines read and the number of choices every kept question has."""

    path: str
    questions: list[Question]
    skipped: list[Skipped]
    n_lines: int
    n_choices: int

    @property
    def dataset(self) -> str:
        """`csqa` when every question names its concept (CommonsenseQA), else `obqa`."""
        return "csqa" if all(q.question_concept is not None for q in self.questions) else "obqa"


def read_qa_jsonl(path: str | os.PathLike) -> QASplit:
    """Read a CommonsenseQA (5 choices) or OpenBookQA (4 choices) jsonl file, with or without
    `answerKey`.

    A line that is not JSON, lacks a field, has duplicate choice labels, an id seen before, or a
    number of choices other than the file's most common one is skipped and recorded with its line
    number. An `answerKey` that is not one of its question's choice labels is an unknown label
    (SPEC §10): a `ValueError` naming the file and line. More than half of the lines malformed,
    or no good line, is a `ValueError` naming the file.
    """
    skipped: list[Skipped] = []
    parsed: list[tuple[int, Question]] = []
    seen: set[str] = set()
    n_lines = 0
    for number, line in iter_lines(path, skipped):
        n_lines = number
        try:
            question = _question(line)
        except ValueError as err:
            skipped.append((number, str(err)))
            continue
        labels = [label for label, _ in question.choices]
        if question.answer_key is not None and question.answer_key not in labels:
            raise ValueError(
                f"{path}:{number}: answerKey {question.answer_key!r} is not among the choice "
                f"labels {labels} of question {question.id!r}"
            )
        if question.id in seen:
            skipped.append((number, f"duplicate id {question.id!r}"))
            continue
        seen.add(question.id)
        parsed.append((number, question))

    n_lines = max(n_lines, skipped[-1][0] if skipped else 0)  # a last line may be undecodable
    counts = Counter(len(q.choices) for _, q in parsed)
    n_choices = counts.most_common(1)[0][0] if counts else 0
    questions = []
    for number, question in parsed:
        if len(question.choices) == n_choices:
            questions.append(question)
        else:
            skipped.append((number, f"{len(question.choices)} choices, expected {n_choices}"))
    skipped.sort()
    check_rows(path, len(questions), skipped)
    return QASplit(str(path), questions, skipped, n_lines, n_choices)


def _question(line: str) -> Question:
    """Parse one jsonl line; a `ValueError` says what is wrong with it."""
    if not line.strip():
        raise ValueError("empty line")
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"bad JSON ({err.msg})") from None
    body = raw.get("question") if isinstance(raw, dict) else None
    if not isinstance(body, dict):
        raise ValueError("no 'question' object")
    if not isinstance(raw.get("id"), str) or not isinstance(body.get("stem"), str):
        raise ValueError("missing 'id' or 'question.stem'")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise ValueError("missing 'question.choices'")
    if not all(
        isinstance(c, dict) and isinstance(c.get("label"), str) and isinstance(c.get("text"), str)
        for c in choices
    ):
        raise ValueError("a choice lacks a string 'label' or 'text'")
    pairs = [(c["label"], c["text"]) for c in choices]
    labels = [label for label, _ in pairs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"duplicate choice labels {labels}")
    concept = body.get("question_concept")
    return Question(
        id=raw["id"],
        stem=body["stem"],
        question_concept=concept if isinstance(concept, str) else None,
        choices=pairs,
        answer_key=raw.get("answerKey"),
        raw=raw,
    )


def inhouse_split(
    train: QASplit, qids_path: str | os.PathLike
) -> tuple[list[Question], list[Question]]:
    """Split official CommonsenseQA train into the in-house train and test of MHGRN/QA-GNN/QAT.

    In-house train is the questions whose id is listed in `qids_path` (`inhouse_split_qids.txt`,
    8500 ids), in-house test the rest of official train; both keep the train file's order (not the
    qids file's), so the split is a pure filter of `train`. An id in the qids file that is not in
    `train` is a `ValueError` naming the file: it means the wrong train file or qids file.
    """
    qids = [line.strip() for line in Path(qids_path).read_text(encoding="utf-8").splitlines()]
    wanted = {qid for qid in qids if qid}
    if not wanted:
        raise ValueError(f"{qids_path}: no question ids")
    known = {q.id for q in train.questions}
    unknown = wanted - known
    if unknown:
        raise ValueError(
            f"{qids_path}: {len(unknown)} of {len(wanted)} ids are not in {train.path} "
            f"(e.g. {sorted(unknown)[:3]})"
        )
    inhouse_train = [q for q in train.questions if q.id in wanted]
    inhouse_test = [q for q in train.questions if q.id not in wanted]
    return inhouse_train, inhouse_test
