"""Snakemake's own cost on this workflow, next to its goals: `snakemake -n` on config/paper.yaml
(all families, 5 seeds, every task and K) in under 5 s, and a no-op `snakemake` on a finished
default run in under 3 s. Both print wall and CPU seconds (user + system of the snakemake
process, median of `--repeats`) with the job count, in one run.

- Dry run: in a throw-away copy of the workflow, with empty stand-ins for the CSQA and ConceptNet
  files paper.yaml names (tests/workflow/standins.py); GLUE is a hub id, read only by the jobs.
  The job count is the total of Snakemake's "Job stats" table.
- No-op: plain `snakemake` (it takes the lock and writes its log, as a user's run does) in
  `--project` (default: this checkout) on its default config. A dry run checks first that the
  run is finished; if it is not, the script says how many jobs are pending and skips the no-op,
  unless `--smoke` asks it to finish config/smoke.yaml in a throw-away copy (about 2 minutes on
  2 cores) and time the no-op there: the same rules with 1 seed instead of 2, so fewer jobs (the
  job count printed is the finished DAG's, from a `--forceall` dry run).

    .venv/bin/python benchmarks/dag_overhead.py                # after `make run`
    .venv/bin/python benchmarks/dag_overhead.py --smoke        # no finished run at hand
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' project copy and stand-ins, shared rather than copied

from tests.conftest import copy_project  # noqa: E402
from tests.workflow.helpers import BIN, NOTHING_TO_DO, user_env  # noqa: E402
from tests.workflow.standins import make_paper_inputs  # noqa: E402

DRY_RUN_GOAL_S = 5.0
NO_OP_GOAL_S = 3.0


class Row(NamedTuple):
    what: str
    jobs: int
    wall: float  # median seconds
    cpu: float  # median user + system seconds
    goal: float  # wall seconds


def snakemake(project: Path, *args: str) -> tuple[str, float, float]:
    """Run snakemake in `project`; return its output, wall seconds and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "snakemake"), *args],
        cwd=project,
        env=user_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed in {project}:\n{proc.stdout}\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc.stdout + proc.stderr, wall, cpu


def job_count(output: str) -> int:
    """The total of the "Job stats" table of a (dry) run."""
    match = re.search(r"^total\s+(\d+)$", output, flags=re.M)
    if match is None:
        sys.exit(f"no job stats in snakemake's output:\n{output}")
    return int(match.group(1))


def timed(project: Path, args: list[str], repeats: int) -> tuple[str, float, float]:
    """`repeats` runs of the same command: the last output and the median wall and CPU seconds."""
    runs = [snakemake(project, *args) for _ in range(repeats)]
    wall = statistics.median(run[1] for run in runs)
    return runs[-1][0], wall, statistics.median(run[2] for run in runs)


def paper_dry_run(scratch: Path, repeats: int) -> Row:
    project = copy_project(scratch / "paper")
    make_paper_inputs(project)
    output, wall, cpu = timed(project, ["-n", "--configfile", "config/paper.yaml"], repeats)
    return Row("dry run, config/paper.yaml", job_count(output), wall, cpu, DRY_RUN_GOAL_S)


def finished_jobs(project: Path, configfile: str) -> int | None:
    """The job count of `project`'s DAG if its run is finished, None (with a message) if not."""
    pending, _, _ = snakemake(project, "-n", "--configfile", configfile)
    if NOTHING_TO_DO not in pending:
        print(f"{project}: {job_count(pending)} jobs pending on {configfile}: not a finished run")
        return None
    everything, _, _ = snakemake(project, "-n", "--forceall", "--configfile", configfile)
    return job_count(everything)


def no_op(project: Path, configfile: str, jobs: int, repeats: int) -> Row:
    _, wall, cpu = timed(project, ["--configfile", configfile], repeats)
    return Row(f"no-op, finished run of {configfile}", jobs, wall, cpu, NO_OP_GOAL_S)


def smoke_project(scratch: Path) -> Path:
    """A throw-away copy of the workflow in which config/smoke.yaml has finished."""
    project = copy_project(scratch / "smoke")
    print(f"finishing config/smoke.yaml in {project} (about 2 minutes on 2 cores) ...", flush=True)
    subprocess.run(
        [str(BIN / "snakemake"), "--configfile", "config/smoke.yaml", "--quiet", "all"],
        cwd=project,
        env=user_env(),
        check=True,
    )
    return project


def print_table(rows: list[Row], repeats: int) -> None:
    load = os.getloadavg()[0]
    print(f"\nmedian of {repeats} runs; load average {load:.1f} on {os.cpu_count()} CPUs")
    print("(wall time includes waiting for a CPU on a busy machine; CPU time does not)\n")
    print("| what | jobs | wall s | CPU s | goal (wall) | met |")
    print("|---|---:|---:|---:|---:|---|")
    for row in rows:
        met = "yes" if row.wall < row.goal else "NO"
        print(
            f"| {row.what} | {row.jobs:,} | {row.wall:.2f} | {row.cpu:.2f} | < {row.goal:g} s "
            f"| {met} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=ROOT, help="a finished default run")
    parser.add_argument("--configfile", default="config.yaml", help="its config (default run)")
    parser.add_argument("--smoke", action="store_true", help="if --project is not finished, "
                        "finish config/smoke.yaml in a throw-away copy and time that")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dag-overhead-") as tmp:
        scratch = Path(tmp)
        rows = [paper_dry_run(scratch, args.repeats)]
        project, configfile = args.project, args.configfile
        jobs = finished_jobs(project, configfile)
        if jobs is None and args.smoke:
            project, configfile = smoke_project(scratch), "config/smoke.yaml"
            jobs = finished_jobs(project, configfile)
        if jobs is None:
            print("no-op skipped: run `make run` first, or pass --smoke")
        else:
            rows.append(no_op(project, configfile, jobs, args.repeats))
    print_table(rows, args.repeats)


if __name__ == "__main__":
    main()
