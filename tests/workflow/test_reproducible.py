"""Two runs of the smoke config on a CPU give byte-identical metrics files: every file the
generated dvc.yaml declares as a DVC metric. The runs are independent (one by Snakemake, one by
`dvc repro`, each in its own project copy), so this also shows that `dvc repro` reproduces a
Snakemake run. Machine timings are kept out of metrics files (`efficiency.json`, a plain out)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

FAMILIES = ("results/data/", "results/graph/", "results/heads/", "results/qat/", "results/unipelt/")


def declared_metrics(project: Path) -> list[str]:
    """The metrics files of `project`'s dvc.yaml, over every stage (an entry is a path, or a
    one-key mapping of a path to its options)."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    entries = [entry for stage in stages.values() for entry in stage.get("metrics", [])]
    return sorted(entry if isinstance(entry, str) else next(iter(entry)) for entry in entries)


def text_diff(path: str, first: Path, second: Path) -> str:
    """Unified diff of `path` in two project directories (first and second run)."""
    a, b = ((root / path).read_text().splitlines(keepends=True) for root in (first, second))
    return "".join(difflib.unified_diff(a, b, f"first/{path}", f"second/{path}"))


@pytest.mark.slow
def test_two_runs_of_the_smoke_config_give_byte_identical_metrics_files(smoke_run, dvc_smoke_run):
    metrics = declared_metrics(dvc_smoke_run)
    assert all(any(p.startswith(f) for p in metrics) for f in FAMILIES), metrics
    missing = [p for p in metrics if not (smoke_run / p).is_file()]
    assert not missing, f"declared metrics the Snakemake run did not write: {missing}"
    differing = [
        p for p in metrics if (smoke_run / p).read_bytes() != (dvc_smoke_run / p).read_bytes()
    ]
    diffs = [text_diff(p, smoke_run, dvc_smoke_run) for p in differing[:3]]
    assert not differing, f"{len(differing)} of {len(metrics)} differ:\n" + "\n".join(diffs)
