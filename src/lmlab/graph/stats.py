"""`lmlab graph stats`: a JSON summary of one dataset's graph preprocessing (a DVC metric).

Per split (train, dev, test, whichever exist) and over all of them: questions and statements,
mean and max nodes and ConceptNet edges per subgraph (forward edges, before the loader adds
context edges and inverses), the share of statements — and of questions, counting a question
when none of its statements has one — without any question-answer meta-path, and grounding
coverage: the share of statements with at least one question concept and one answer concept.

Input per split: its `<split>.grounded.jsonl`, `<split>.subgraph.npz` and `<split>.metapath.npz`
(named on the command line; `lmlab.paths` says where the pipeline keeps them).
"""

from __future__ import annotations

import json
import os

import numpy as np

from lmlab.graph.metapath import MetaPaths
from lmlab.graph.subgraph_store import Subgraphs

SplitFiles = dict[str, str | os.PathLike]
"""One split's files: `grounded`, `subgraph`, `metapath`."""


def graph_stats(splits: dict[str, SplitFiles]) -> dict:
    """The summary of the given splits, by split name, and over all of them (module
    docstring)."""
    if not splits:
        raise ValueError("graph stats: no split given")
    columns = {split: _columns(files) for split, files in splits.items()}
    summary = {split: _summary(**cols) for split, cols in columns.items()}
    everything = {
        key: np.concatenate([cols[key] for cols in columns.values()])
        for key in ("nodes", "edges", "no_path", "grounded")
    }
    no_path_q = np.concatenate([cols["no_path_questions"] for cols in columns.values()])
    return {"all": _summary(**everything, no_path_questions=no_path_q), "splits": summary}


def _columns(files: SplitFiles) -> dict[str, np.ndarray]:
    subgraphs = Subgraphs.load(files["subgraph"])
    paths = MetaPaths.load(files["metapath"])
    if len(paths) != len(subgraphs):
        raise ValueError(
            f"{files['metapath']}: {len(paths)} statements, subgraphs have {len(subgraphs)}"
        )
    grounded = []
    with open(files["grounded"], encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                grounded.append(bool(row["qc"]) and bool(row["ac"]))
    if len(grounded) != len(subgraphs):
        raise ValueError(f"{files['grounded']}: {len(grounded)} lines, {len(subgraphs)} subgraphs")
    no_path = paths.is_placeholder()
    return {
        "nodes": subgraphs.num_nodes,
        "edges": subgraphs.num_edges,
        "no_path": no_path,
        "no_path_questions": no_path.reshape(-1, subgraphs.num_choices).all(axis=1),
        "grounded": np.array(grounded, dtype=bool),
    }


def _summary(
    nodes: np.ndarray,
    edges: np.ndarray,
    no_path: np.ndarray,
    no_path_questions: np.ndarray,
    grounded: np.ndarray,
) -> dict:
    return {
        "questions": len(no_path_questions),
        "statements": len(nodes),
        "nodes_mean": round(float(nodes.mean()), 3),
        "nodes_max": int(nodes.max()),
        "edges_mean": round(float(edges.mean()), 3),
        "edges_max": int(edges.max()),
        "statements_without_qa_path": round(float(no_path.mean()), 4),
        "questions_without_qa_path": round(float(no_path_questions.mean()), 4),
        "grounding_coverage": round(float(grounded.mean()), 4),
    }
