"""Rule 2, CommonsenseQA: `csqa/*.jsonl`, questions whose answer is reachable only via the graph.

The files have the real line shape; the test file has no `answerKey`. Each question has its own
question concept `qc`; train, dev and test use disjoint ones. A relation r is drawn per question
and decides the stem template (`common.STEMS`: it contains qc's text and a wh-word, "Where would
you find a {qc}?" for /r/AtLocation), so the template names the relation to follow, as in real
CSQA. The answer is a random concept joined to qc by an added edge `qc -r-> answer` (half the
questions) or an added path `qc -r-> m -s-> answer` (the other half); the realised shortest-path
lengths are in `manifest["csqa"]["hops"]`.

Distractors are chosen after every edge of the file exists (`write_corpus` adds the noise rows
in between): no distractor (nor a word of a two-word one) is within 2 hops of qc (or a word of
qc) in the full English graph, noise rows included, edge direction ignored. Within a split, each
concept appears as a distractor 4 times as often as it is an answer (quota filling;
`distractor_fallbacks` counts the rare slots that had to go beyond a quota), so an answer is not
guessable from the choices, and the answer itself is a random concept, so a model without the
graph is at chance (20%). answerKey is balanced over A-E, ids are 32 hex digits.
`inhouse_split_qids.txt` lists the first `inhouse_train` train ids, in shuffled order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lmlab.data.synth.common import STEMS, article, pick
from lmlab.data.synth.conceptnet import Graph, adjacency

N_CHOICES = 5
LABELS = "ABCDE"
_BRIDGE_RELATIONS = ("IsA", "RelatedTo", "PartOf", "AtLocation", "UsedFor", "HasProperty")


@dataclass(slots=True)
class Question:
    """One question before rendering: its split, concept, relation, answer and distractors."""

    split: str
    qc: str
    relation: str
    answer: str
    distractors: list[str] = field(default_factory=list)


def _components(term: str) -> set[str]:
    return {term, *term.split("_")}


def build_csqa(
    graph: Graph, concepts: list[str], sizes: dict[str, int], rng: np.random.Generator
) -> list[Question]:
    """Choose question concepts, relations and answers; add the answer paths to the graph."""
    order = rng.permutation(len(concepts))
    questions: list[Question] = []
    for split in ("train", "dev", "test"):
        n = sizes[split]
        hops = rng.permutation(np.arange(n) % 2 + 1)
        candidates = [concepts[i] for i in rng.permutation(len(concepts))]
        for i in range(n):
            qc = concepts[order[len(questions)]]
            relation = pick(rng, list(STEMS))
            answer = _answer(graph, concepts, qc, relation, int(hops[i]), candidates, rng)
            questions.append(Question(split, qc, relation, answer))
    return questions


def _answer(
    graph: Graph,
    concepts: list[str],
    qc: str,
    relation: str,
    hop: int,
    candidates: list[str],
    rng: np.random.Generator,
) -> str:
    """Take the first fitting answer from `candidates` (moved to the back) and add its path.

    A 1-hop answer gets the edge `qc -relation-> answer`, a 2-hop one the path
    `qc -relation-> middle -bridge-> answer` through a random concept. The answer shares no word
    with qc and is not yet joined to it.
    """
    for position, answer in enumerate(candidates):
        if _components(answer) & _components(qc) or not graph.free(qc, answer):
            continue
        if hop == 1:
            graph.add(relation, qc, answer, "answer")
        else:
            middle = _middle(graph, concepts, qc, answer, rng)
            if middle is None:
                continue
            graph.add(relation, qc, middle, "answer")
            graph.add(pick(rng, _BRIDGE_RELATIONS), middle, answer, "answer")
        candidates.append(candidates.pop(position))
        return answer
    raise ValueError(
        f"data.synthetic.edges_per_concept: no concept can answer a question about {qc!r} "
        "(the graph is too dense)"
    )


def _middle(
    graph: Graph, concepts: list[str], qc: str, answer: str, rng: np.random.Generator
) -> str | None:
    """A random intermediate concept for a 2-hop answer path, or None if none is free."""
    for i in rng.permutation(len(concepts)):
        middle = concepts[i]
        if middle not in (qc, answer) and graph.free(qc, middle) and graph.free(middle, answer):
            return middle
    return None


def choose_distractors(
    graph: Graph, concepts: list[str], questions: list[Question]
) -> dict[str, Any]:
    """Give every question 4 distractors far from qc, filling per-concept quotas.

    Within a split a concept's quota is 4 times its answer count. Questions are served in random
    order; each takes the 4 allowed concepts of highest urgency, the remaining quota divided by
    the number of still unserved questions that allow the concept (random tie-break), so scarce
    concepts are placed while they still can be. Every concept thus ends up a distractor 4 times
    as often as an answer unless the distance rule forbids it; `distractor_fallbacks` counts the
    picks made beyond a quota. Returns the CSQA summary: those fallbacks and the realised answer
    hop counts on the clean graph.
    """
    rng = graph.rng
    full = adjacency(graph)
    index = {c: i for i, c in enumerate(concepts)}
    multiword = [(index[c], [index[w] for w in c.split("_")]) for c in concepts if "_" in c]
    fallbacks: dict[str, int] = {}
    for split in ("train", "dev", "test"):
        chosen = [q for q in questions if q.split == split]
        quota = np.zeros(len(concepts))
        allowed = np.ones((len(chosen), len(concepts)), dtype=bool)
        for row, q in zip(allowed, chosen, strict=True):
            quota[index[q.answer]] += N_CHOICES - 1
            row[[index[t] for t in _ball2(full, _components(q.qc)) if t in index]] = False
            for m, words in multiword:
                row[m] &= row[words].all()
            row[index[q.answer]] = False
            if row.sum() < N_CHOICES - 1:
                raise ValueError(
                    f"data.synthetic.edges_per_concept: only {row.sum()} concepts are more "
                    f"than 2 hops from {q.qc!r}; a question needs {N_CHOICES - 1} distractors"
                )
        unserved = allowed.sum(axis=0)
        fallbacks[split] = 0
        for i in rng.permutation(len(chosen)):
            options = np.flatnonzero(allowed[i])
            urgency = quota[options] / unserved[options]
            picks = options[np.lexsort((rng.random(len(options)), -urgency))[: N_CHOICES - 1]]
            fallbacks[split] += int((quota[picks] <= 0).sum())
            quota[picks] -= 1
            unserved -= allowed[i]
            chosen[i].distractors = [concepts[p] for p in picks]
    clean = adjacency(graph, {"clean", "answer"})
    hops: dict[str, dict[str, int]] = {}
    for q in questions:
        counter = hops.setdefault(q.split, {"1": 0, "2": 0})
        if q.answer in clean[q.qc]:
            counter["1"] += 1
        elif clean[q.qc] & clean[q.answer]:
            counter["2"] += 1
        else:
            raise RuntimeError(f"answer {q.answer!r} of {q.qc!r} is not within 2 hops")
    return {"hops": hops, "distractor_fallbacks": fallbacks}


def _ball2(neighbours: dict[str, set[str]], starts: set[str]) -> set[str]:
    """Every term within 2 undirected hops of any of `starts` (the starts included)."""
    ball = set(starts)
    for start in starts:
        for neighbour in neighbours.get(start, ()):
            ball.add(neighbour)
            ball.update(neighbours.get(neighbour, ()))
    return ball


def csqa_files(
    questions: list[Question], n_inhouse: int, rng: np.random.Generator
) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Render the three jsonl files and the in-house id list; return them and answerKey counts."""
    names = {"train": "train_rand_split.jsonl", "dev": "dev_rand_split.jsonl",
             "test": "test_rand_split_no_answers.jsonl"}  # fmt: skip
    files: dict[str, str] = {}
    ids: set[str] = set()
    train_ids: list[str] = []
    key_counts: dict[str, dict[str, int]] = {}
    for split, name in names.items():
        chosen = [q for q in questions if q.split == split]
        keys = rng.permutation(np.arange(len(chosen)) % N_CHOICES)
        lines = []
        for q, key in zip(chosen, keys, strict=True):
            qid = rng.bytes(16).hex()
            while qid in ids:
                qid = rng.bytes(16).hex()
            ids.add(qid)
            texts = [str(d).replace("_", " ") for d in rng.permutation(q.distractors)]
            texts.insert(int(key), q.answer.replace("_", " "))
            qc_text = q.qc.replace("_", " ")
            stem = pick(rng, STEMS[q.relation]).format(a=article(qc_text), qc=qc_text)
            choices = [{"label": label, "text": t} for label, t in zip(LABELS, texts, strict=True)]
            row: dict[str, Any] = {
                "id": qid,
                "question": {"question_concept": qc_text, "choices": choices, "stem": stem},
            }
            if split != "test":
                row = {"answerKey": LABELS[int(key)], **row}
            lines.append(json.dumps(row) + "\n")
            if split == "train":
                train_ids.append(qid)
        files[f"csqa/{name}"] = "".join(lines)
        key_counts[split] = {label: int((keys == i).sum()) for i, label in enumerate(LABELS)}
    inhouse = [train_ids[i] for i in rng.permutation(n_inhouse)]
    files["csqa/inhouse_split_qids.txt"] = "".join(qid + "\n" for qid in inhouse)
    return files, key_counts
