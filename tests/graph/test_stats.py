"""`lmlab graph stats`: the JSON summary of one dataset's subgraphs and meta-paths."""

from __future__ import annotations

import json
import shutil

import pytest

from lmlab.cli import main
from lmlab.config import SubgraphConfig
from lmlab.graph.metapath import write_metapaths
from lmlab.graph.subgraph import write_subgraphs

from ..config_defaults import default_section
from .handmade import AC, QC, write_cpnet, write_split

SUBGRAPH = default_section(SubgraphConfig, "graph.subgraph", max_nodes=5)


@pytest.fixture
def result_dir(tmp_path):
    """dev: question 0 = (apple, red | tree) and (eat | lonely); question 1 ungrounded twice."""
    cpnet = write_cpnet(tmp_path / "cpnet")
    root = tmp_path / "csqa"
    statements = [(QC, AC), (["eat"], ["lonely"]), ([], ["pie"]), (["pie"], [])]
    statement_path, grounded = write_split(root / "grounded", statements, choices=2)
    shutil.move(statement_path, tmp_path / "dev.statement.jsonl")
    subgraph = root / "subgraph" / "dev.subgraph.npz"
    write_subgraphs(cpnet, grounded, tmp_path / "dev.statement.jsonl", subgraph, SUBGRAPH)
    write_metapaths(subgraph, root / "metapath" / "dev.metapath.npz", 2)
    return root


def stats_argv(root, output):
    return [
        "graph", "stats", "--splits", "dev",
        "--grounded", str(root / "grounded" / "dev.grounded.jsonl"),
        "--subgraph", str(root / "subgraph" / "dev.subgraph.npz"),
        "--metapath", str(root / "metapath" / "dev.metapath.npz"),
        "--output", str(output),
    ]  # fmt: skip


def test_summary_counts_nodes_edges_paths_and_grounding(result_dir, capsys):
    assert main(stats_argv(result_dir, result_dir / "stats.json")) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((result_dir / "stats.json").read_text())
    dev = printed["splits"]["dev"]
    assert (dev["questions"], dev["statements"]) == (2, 4)
    # nodes: 5 (cut), eat + lonely, pie, pie; edges: the 9 of handmade.EDGES among nodes 0-4
    assert (dev["nodes_max"], dev["nodes_mean"]) == (5, 2.25)
    assert (dev["edges_max"], dev["edges_mean"]) == (9, 2.25)
    assert dev["statements_without_qa_path"] == 0.75
    assert dev["questions_without_qa_path"] == 0.5
    assert dev["grounding_coverage"] == 0.5
    assert printed["all"] == dev


def test_missing_results_are_an_error(tmp_path):
    assert main(stats_argv(tmp_path, tmp_path / "stats.json")) == 2
    assert not (tmp_path / "stats.json").exists()
