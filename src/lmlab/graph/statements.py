"""Statement files: one statement per answer choice, in QA-GNN's jsonl format (SPEC §5.2).

A statement line is the question's original JSON object with `"statements": [{"label": bool,
"statement": str}, ...]` appended, one entry per choice in choice order, written with
`json.dumps`' defaults, so the bytes equal QA-GNN's `convert_csqa.py` / `convert_obqa.py` output.
The rules below re-implement theirs (Yasunaga et al., NAACL 2021, after the fill-in-the-blank
conversion of Khot et al.'s SciTail tools); they are implemented here from that description:

- CommonsenseQA: the stem becomes a fill-in-the-blank sentence by replacing its wh-word (which,
  what, where, when, how, who, why; "who" is skipped when the stem contains "people who") with
  the blank. A wh-word followed by `?` and only a trailing non-sentence tail wins at once; else the
  earliest wh-word followed by a space or comma in the last sentence. The final `?` becomes `.`,
  and "of the following" / "of these" after the blank are dropped. Without a wh-word: a few fixed
  phrasings ("them called?", "meaning he was not?", "one of these?"), else a blank appended to a
  stem that does not end in `.`/`?`, else " this" is the blank; a result without any blank gets
  one appended to the stripped stem. The choice fills every blank: capitalised when the blank
  starts the text or a sentence, lower-cased otherwise, its final periods removed unless the blank
  ends the text. Before matching, "What's" -> "What is", "whats" -> "what", "U.S." -> "US".
- OpenBookQA: stem + " " + choice text.
- `label` is choice label == `answerKey`, with QA-GNN's default answerKey "A" for unlabeled
  (test) questions: every statement of such a file marks choice A true, as in their files.

Intentional difference: the choice is inserted literally (QA-GNN passes it to `re.sub` as a
replacement template, so a backslash in a choice is an escape there), and an empty choice text
gives an empty fill instead of an IndexError.

Splits follow the in-house convention of MHGRN/QA-GNN/QAT for CommonsenseQA: `train` = the
in-house train ids of official train, `test` = the rest of official train, `dev` = official dev
(`lmlab.data.csqa.inhouse_split`); OpenBookQA splits are its official files.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

from lmlab.data.csqa import Question, inhouse_split, read_qa_jsonl
from lmlab.runtime.atomic import write_jsonl

log = logging.getLogger(__name__)

DATASETS = ("csqa", "obqa")
BLANK = "___"
WH_WORDS = ("which", "what", "where", "when", "how", "who", "why")
_FIXED_PHRASINGS = (  # stems without a wh-word: (phrase, replacement)
    (" them called?", f" {BLANK}."),
    (" meaning he was not?", f" he was not {BLANK}."),
    (" one of these?", f" {BLANK}."),
)


def fill_in_the_blank(stem: str) -> str:
    """The stem as a sentence with `___` where the answer goes (CommonsenseQA rules above)."""
    text = _blank_wh_word(stem)
    if not re.match(r".*_+.*", text):
        text = re.sub(r"[\.\? ]*$", "", stem.strip()) + " " + BLANK
    return text


def _blank_wh_word(stem: str) -> str:
    text = stem.replace("What's", "What is").replace("whats", "what").replace("U.S.", "US")
    lower = text.lower()
    found: list[tuple[int, str]] = []
    for wh in WH_WORDS:
        if wh == "who" and "people who" in text:
            continue
        final = re.search(wh + r"\?[^\.]*[\. ]*$", lower)
        if final:
            found = [(final.start(), wh)]
            break
        inner = re.search(wh + r"[ ,][^\.]*[\. ]*$", lower)
        if inner:
            found.append((inner.start(), wh))
    if found:
        start, wh = min(found, key=lambda hit: hit[0])
        text = re.sub(r"\?$", ".", text.strip())  # offsets are from before the strip, as QA-GNN's
        text = text[:start] + BLANK + text[start + len(wh) :]
        return text.replace(f"{BLANK} of the following", BLANK).replace(f"{BLANK} of these", BLANK)
    for phrase, replacement in _FIXED_PHRASINGS:
        if phrase in text:
            return text.replace(phrase, replacement)
    if re.match(r".*[^\.\?] *$", text):
        return f"{text} {BLANK}"
    return re.sub(r" this[ \?]", f" {BLANK} ", text)


def fill_choice(template: str, choice: str) -> str:
    """Put `choice` into every blank (`__` or longer) of a fill-in-the-blank `template`."""
    if f". {BLANK}" in template or template.startswith(BLANK):
        choice = choice[:1].upper() + choice[1:]
    else:
        choice = choice.lower()
    if not template.endswith(BLANK):
        choice = choice.rstrip(".")
    return re.sub(r"__+", lambda _: choice, template)


def statements_of(question: Question, dataset: str) -> list[dict]:
    """The `statements` entries of one question, one per choice, in choice order."""
    answer = question.answer_key if question.answer_key is not None else "A"
    if dataset == "csqa":
        template = fill_in_the_blank(question.stem)
        texts = [fill_choice(template, text) for _, text in question.choices]
    elif dataset == "obqa":
        texts = [f"{question.stem} {text}" for _, text in question.choices]
    else:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")
    return [
        {"label": label == answer, "statement": text}
        for (label, _), text in zip(question.choices, texts, strict=True)
    ]


def statement_lines(questions: Iterable[Question], dataset: str) -> Iterable[dict]:
    """QA-GNN statement lines: each question's original JSON object plus its `statements`."""
    for question in questions:
        yield {**question.raw, "statements": statements_of(question, dataset)}


def select_questions(
    questions_path: str | os.PathLike,
    inhouse_qids: str | os.PathLike | None = None,
    inhouse_part: str | None = None,
) -> list[Question]:
    """The questions of one split: a whole file, or the in-house `train`/`test` part of it."""
    split = read_qa_jsonl(questions_path)
    if inhouse_qids is None:
        return split.questions
    parts = dict(zip(("train", "test"), inhouse_split(split, inhouse_qids), strict=True))
    if inhouse_part not in parts:
        raise ValueError(f"inhouse_part must be 'train' or 'test', got {inhouse_part!r}")
    return parts[inhouse_part]


def write_statements(
    questions_path: str | os.PathLike,
    output: str | os.PathLike,
    dataset: str,
    inhouse_qids: str | os.PathLike | None = None,
    inhouse_part: str | None = None,
) -> int:
    """Write the statement jsonl of one split; return its number of questions."""
    questions = select_questions(questions_path, inhouse_qids, inhouse_part)
    write_jsonl(output, statement_lines(questions, dataset))
    log.info("%s: %d questions -> %s", questions_path, len(questions), output)
    return len(questions)
