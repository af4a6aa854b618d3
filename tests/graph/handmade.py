"""A hand-made ConceptNet graph whose 2-hop subgraph, node order, edges and meta-paths are
written out below by hand (PyG-style tests: tiny graphs with known answers).

Concepts (id name): 0 apple, 1 tree, 2 fruit, 3 red, 4 eat, 5 orchard, 6 hub, 7 lonely, 8 pie.
Statement: question concepts {apple, red}, answer concept {tree}, so QA = {0, 1, 3}.

Undirected neighbours and how many QA concepts each neighbours (the 2-hop rule keeps >= 2):
  fruit   {apple, tree, red, hub}                 3 of QA, degree 4 -> score 3/sqrt(4) = 1.5
  orchard {apple, tree, hub}                      2 of QA, degree 3 -> 2/sqrt(3) = 1.1547
  hub     {apple, tree, fruit, red, eat, orchard, pie}   3 of QA, degree 7 -> 3/sqrt(7) = 1.1339
  pie     {apple, eat, hub}                       1 of QA -> not kept; eat, lonely: 0
Node order: apple, red (question, ascending id), tree (answer), fruit, orchard, hub (by score).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

RELATIONS = [
    "antonym", "atlocation", "capableof", "causes", "createdby", "isa", "desires",
    "hassubevent", "partof", "hascontext", "hasproperty", "madeof", "notcapableof",
    "notdesires", "receivesaction", "relatedto", "usedfor",
]  # fmt: skip
R = {name: i for i, name in enumerate(RELATIONS)}
CONCEPTS = ["apple", "tree", "fruit", "red", "eat", "orchard", "hub", "lonely", "pie"]
ID = {name: i for i, name in enumerate(CONCEPTS)}

TRIPLES = [
    ("apple", "isa", "fruit"),
    ("apple", "atlocation", "tree"),
    ("apple", "hasproperty", "red"),
    ("fruit", "atlocation", "tree"),
    ("orchard", "relatedto", "apple"),
    ("orchard", "relatedto", "tree"),
    ("orchard", "atlocation", "tree"),
    ("tree", "partof", "orchard"),
    ("pie", "madeof", "apple"),
    ("eat", "relatedto", "pie"),
    ("red", "relatedto", "fruit"),
    *[("hub", "relatedto", c) for c in ("apple", "tree", "fruit", "red", "eat", "orchard", "pie")],
]
QC, AC = ["apple", "red"], ["tree"]

# The subgraph with max_nodes >= 6: nodes and (rel, src, dst) edges in local positions
# (apple 0, red 1, tree 2, fruit 3, orchard 4, hub 5), sorted by (rel, src, dst).
NODES = ["apple", "red", "tree", "fruit", "orchard", "hub"]
SCORES = [
    2 / math.sqrt(6),
    1 / math.sqrt(3),
    1 / math.sqrt(4),
    1.5,
    2 / math.sqrt(3),
    3 / math.sqrt(7),
]
EDGES = [
    (R["atlocation"], 0, 2), (R["atlocation"], 3, 2), (R["atlocation"], 4, 2),
    (R["isa"], 0, 3),
    (R["partof"], 2, 4),
    (R["hasproperty"], 0, 1),
    (R["relatedto"], 1, 3), (R["relatedto"], 4, 0), (R["relatedto"], 4, 2),
    (R["relatedto"], 5, 0), (R["relatedto"], 5, 1), (R["relatedto"], 5, 2),
    (R["relatedto"], 5, 3), (R["relatedto"], 5, 4),
]  # fmt: skip

# Meta-paths of the 5-node subgraph (max_nodes 5 drops hub; hub has no edge into it anyway):
# (code = (type n0, rel1, type n1, rel2, type n2), head, mid, tail); Q 0, A 1, C 2, 17 = none.
NONE = len(RELATIONS)
PATHS = [
    ((0, R["atlocation"], 1, NONE, 1), 0, -1, 2),  # apple -atlocation-> tree
    ((0, R["isa"], 2, R["atlocation"], 1), 0, 3, 2),  # apple -isa-> fruit -atlocation-> tree
    ((0, R["relatedto"], 2, R["atlocation"], 1), 1, 3, 2),  # red -> fruit -> tree
    ((1, R["partof"], 2, R["relatedto"], 0), 2, 4, 0),  # tree -partof-> orchard -> apple (A->Q)
]


def triple_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    head = np.array([ID[h] for h, _, _ in TRIPLES], dtype=np.int32)
    rel = np.array([R[r] for _, r, _ in TRIPLES], dtype=np.int32)
    tail = np.array([ID[t] for _, _, t in TRIPLES], dtype=np.int32)
    return head, rel, tail


def write_cpnet(directory: Path) -> Path:
    """The graph stage's output layout: concepts.txt, relations.txt, graph.npz."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "concepts.txt").write_text("\n".join(CONCEPTS) + "\n")
    (directory / "relations.txt").write_text("\n".join(RELATIONS) + "\n")
    head, rel, tail = triple_arrays()
    order = np.lexsort((tail, head, rel))
    np.savez(
        directory / "graph.npz",
        head=head[order],
        rel=rel[order],
        tail=tail[order],
        weight=np.ones(len(head), dtype=np.float32),
        num_concepts=np.int64(len(CONCEPTS)),
    )
    return directory


def write_split(
    directory: Path, statements: list[tuple[list[str], list[str]]], choices: int
) -> tuple[Path, Path]:
    """A statement jsonl (one question per `choices` statements) and its grounded jsonl."""
    directory.mkdir(parents=True, exist_ok=True)
    statement_path = directory / "dev.statement.jsonl"
    grounded_path = directory / "dev.grounded.jsonl"
    questions = []
    for q in range(len(statements) // choices):
        answers = [f"answer {q}-{c}" for c in range(choices)]
        questions.append(
            {
                "id": f"q{q}",
                "question": {
                    "stem": f"Where is question {q}?",
                    "choices": [{"label": "ABCDE"[c], "text": a} for c, a in enumerate(answers)],
                },
                "statements": [
                    {"label": c == 0, "statement": f"{a} is it."} for c, a in enumerate(answers)
                ],
            }
        )
    statement_path.write_text("".join(json.dumps(q) + "\n" for q in questions))
    grounded_path.write_text(
        "".join(
            json.dumps(
                {"sent": "s", "ans": f"answer {i // choices}-{i % choices}", "qc": qc, "ac": ac}
            )
            + "\n"
            for i, (qc, ac) in enumerate(statements)
        )
    )
    return statement_path, grounded_path
