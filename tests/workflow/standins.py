"""Empty stand-ins for the real datasets config/paper.yaml names, so that its whole DAG can be
built (dry runs, lint, benchmarks/dag_overhead.py) in a project copy without the data. GLUE needs
none: paper.yaml names a hub id, which only the jobs read."""

from __future__ import annotations

from pathlib import Path

import yaml

CSQA_FILES = [
    "train_rand_split.jsonl",
    "dev_rand_split.jsonl",
    "test_rand_split_no_answers.jsonl",
    "inhouse_split_qids.txt",
]


def make_paper_inputs(project: Path) -> None:
    """Create empty CSQA and ConceptNet files where `project`'s config/paper.yaml expects them."""
    files = yaml.safe_load((project / "config" / "paper.yaml").read_text())["data"]["files"]
    paths = [project / files["csqa"] / name for name in CSQA_FILES]
    for path in [*paths, project / files["conceptnet"]]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
