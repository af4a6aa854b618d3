"""Adding a seed to a finished run runs that seed's jobs and the across-seed aggregates, nothing
else: the data, graph and text stages and the other seed's runs stay done. Dry runs on the shared
finished smoke run (seeds [0]) with the same config plus seed 1."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from lmlab.workflow.dvc_yaml import Job, parse_dry_run

from .helpers import snakemake


def job_stats(output: str) -> Counter:
    """Jobs per rule from the "Job stats" table of a dry run."""
    table = output.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    counts = Counter(
        {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}
    )
    del counts["total"]
    return counts


def of_seed(path: str, seed: int) -> bool:
    return f"/seed{seed}/" in path


def own_job(job: Job, seed: int) -> bool:
    """A job that writes files of `seed` only (a training run, a per-seed figure)."""
    return bool(job.output) and all(of_seed(path, seed) for path in job.output)


@pytest.mark.slow
def test_a_new_seed_runs_its_jobs_and_the_aggregates_only(smoke_run: Path, tmp_path: Path):
    config = yaml.safe_load((smoke_run / "config" / "smoke.yaml").read_text())
    assert config["seeds"] == [0]
    two_seeds = tmp_path / "two_seeds.yaml"  # outside the shared run: it stays unchanged
    two_seeds.write_text(yaml.safe_dump({**config, "seeds": [0, 1]}))

    added = snakemake(smoke_run, "-n", "--configfile", str(two_seeds)).stdout
    everything = snakemake(smoke_run, "-n", "--forceall", "--configfile", "config/smoke.yaml")
    finished = parse_dry_run(everything.stdout)
    assert len(finished) == sum(job_stats(everything.stdout).values())

    # In the finished run: seed 0's own jobs, and the aggregates that read them
    expected = Counter(
        job.rule
        for job in finished
        if own_job(job, 0) or any(of_seed(path, 0) for path in job.input)
    )
    seed_free = {job.rule for job in finished} - set(expected)
    assert {"inspect_data", "graph_subgraph", "text_tokenize"} <= seed_free
    assert {"heads_finetune", "qat_train", "unipelt_train", "all"} <= set(expected)

    # Adding seed 1 runs as many jobs per rule: seed 1's own and the same aggregates again
    assert job_stats(added) == expected
    for job in parse_dry_run(added):
        assert not any(of_seed(path, 0) for path in job.output), job
        if own_job(job, 1):
            assert job.wildcards["seed"] == "1", job
        else:  # an aggregate: it reads both seeds
            assert any(of_seed(path, 0) for path in job.input), job
            assert any(of_seed(path, 1) for path in job.input), job
