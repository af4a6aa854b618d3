"""GPU scheduling on a 2-GPU box: `snakemake --cores 8 --resources gpu=2` with the project's
profile (profiles/default) and its slot code (lmlab.runtime.gpu_slots), on short stand-in jobs.

Snakemake's `gpu` resource bounds how many GPUs the running jobs ask for in total; the slots
decide which index each job gets. The stand-in jobs claim their slots as `python -m lmlab --gpus
{resources.gpu} ...` does (`gpu_slots.acquire` before any work) on a fake host of two GPUs
(`LMLAB_GPU_COUNT=2`, a private lock directory), hold them for a moment and record the indices,
`CUDA_VISIBLE_DEVICES` and when they started, claimed and ended.
"""

from __future__ import annotations

import itertools
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from ..conftest import ROOT
from .helpers import BIN, run

HOLD_S = 1.0  # how long a GPU job holds its slots; CPU jobs run twice as long
GPU_JOBS = {"one_a": 1, "one_b": 1, "one_c": 1, "one_d": 1, "two": 2}
CPU_JOBS = ["cpu_a", "cpu_b", "cpu_c"]

PROBE = textwrap.dedent(
    """
    import json, os, sys, time

    started = time.time()
    from lmlab.runtime import gpu_slots

    gpus, hold, output = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    claimed = gpu_slots.acquire(gpus)  # what `python -m lmlab --gpus N` does first
    acquired = time.time()
    time.sleep(hold)
    record = {
        "asked": gpus, "claimed": claimed, "visible": os.environ["CUDA_VISIBLE_DEVICES"],
        "started": started, "acquired": acquired, "ended": time.time(),
    }
    with open(output, "w") as fh:
        json.dump(record, fh)
    """
)

SNAKEFILE = textwrap.dedent(
    f"""
    GPU_JOBS = {GPU_JOBS!r}


    def gpus(wildcards):
        return GPU_JOBS[wildcards.job]


    rule all:
        input:
            expand("records/{{job}}.json", job=GPU_JOBS),
            expand("records/{{job}}.json", job={CPU_JOBS!r}),


    rule gpu_job:
        output:
            "records/{{job}}.json",
        wildcard_constraints:
            job="|".join(GPU_JOBS),
        resources:
            gpu=gpus,
        shell:
            "python probe.py {{resources.gpu}} {HOLD_S} {{output}}"


    rule cpu_job:
        output:
            "records/{{job}}.json",
        wildcard_constraints:
            job="cpu_.*",
        resources:
            gpu=0,
        shell:
            "python probe.py {{resources.gpu}} {2 * HOLD_S} {{output}}"
    """
)


def overlap(a: dict, b: dict, since: str) -> bool:
    """Whether two jobs' intervals [since, ended] overlap in time."""
    return a[since] < b["ended"] and b[since] < a["ended"]


def most_at_once(records: list[dict], since: str, weight) -> int:
    """The largest total `weight` of the records running at one moment (an interval starts at
    `since` and ends at `ended`)."""
    events = sorted(
        [(r[since], weight(r)) for r in records] + [(r["ended"], -weight(r)) for r in records],
        key=lambda event: (event[0], event[1]),  # at a tie, an end comes before a start
    )
    return max(itertools.accumulate(change for _, change in events))


def two_gpu_run(project: Path) -> tuple[dict[str, dict], str]:
    """Run the stand-in workflow in `project` with the project's profile: the records of the
    jobs, and Snakemake's log."""
    shutil.copytree(ROOT / "profiles" / "default", project / "profiles" / "default")
    (project / "Snakefile").write_text(SNAKEFILE)
    (project / "probe.py").write_text(PROBE)
    proc = run(project, str(BIN / "snakemake"), "--cores", "8", "--resources", "gpu=2")
    records = {p.stem: json.loads(p.read_text()) for p in (project / "records").glob("*.json")}
    return records, proc.stdout + proc.stderr


@pytest.mark.slow
def test_two_gpus_are_shared_by_index_and_cpu_jobs_run_beside_them(tmp_path, monkeypatch):
    monkeypatch.setenv("LMLAB_GPU_COUNT", "2")  # a fake 2-GPU host (private locks: helpers.run)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    records, log = two_gpu_run(tmp_path)
    assert "workflow specific profile profiles/default" in log
    assert set(records) == {*GPU_JOBS, *CPU_JOBS}
    gpu_jobs = [records[job] for job in GPU_JOBS]
    cpu_jobs = [records[job] for job in CPU_JOBS]

    # Snakemake: the GPU jobs it runs at once never ask for more than the two GPUs (so at most
    # two GPU jobs run at once); an oversubscribed job would wait here for its slot
    assert most_at_once(gpu_jobs, "started", lambda r: r["asked"]) <= 2
    # the slots: each job holds the indices it asked for, and no index is held twice at once
    for record in gpu_jobs:
        assert len(record["claimed"]) == record["asked"]
        assert record["visible"] == ",".join(record["claimed"])
    assert sorted(records["two"]["claimed"]) == ["0", "1"]
    pairs = [(a, b) for a, b in itertools.combinations(gpu_jobs, 2) if overlap(a, b, "acquired")]
    for a, b in pairs:
        assert not set(a["claimed"]) & set(b["claimed"]), (a, b)
    assert pairs, "two one-GPU jobs should have run side by side, on GPUs 0 and 1"
    # CPU jobs see no GPU and run beside the GPU jobs
    for record in cpu_jobs:
        assert record["claimed"] == [] and record["visible"] == ""
        assert any(overlap(record, gpu, "acquired") for gpu in gpu_jobs), record
