"""A one-machine stand-in for the Slurm commands snakemake-executor-plugin-slurm calls, for the
profiles/slurm test: `sbatch` records its options and runs the job in the background, `sacct`
and `squeue` report it RUNNING, then COMPLETED or FAILED from its exit status.

Snakemake polls less and less often while no job ends (10 s more each time): to keep the test
short, `sacct` (and `squeue`) wait up to LONG_POLL_SECONDS for a running job to end before they
answer, so that every end is seen at the next poll.

Run as `python fake_slurm.py COMMAND ARGS...` (the test puts one wrapper per command on PATH).
Everything lives under $FAKE_SLURM_DIR, one folder per job id: `sbatch.json` (the submitted
options and job name), `srun.jsonl` (the options of each `srun` inside the job), `job.log`,
`pid`, and `rc` (the exit status, written once the job has ended); `ended-RUN.json` holds the
jobs a status query last reported ended. Only the calls and output formats the plugin uses are
covered: `sbatch --parsable ... --wrap=CMD`, `sacct -X --parsable2 --format=JobIdRaw,State
--name RUN`, `squeue --format=%i|%T --name RUN`, `scancel ID...`, `srun OPTIONS CMD...`,
`sinfo -o %P`, `sacctmgr ... format=account`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ACCOUNT = "lmlab-test"  # the one account `sacctmgr` knows
PARTITIONS = ["cpu*", "gpu"]  # `sinfo -o %P`: * marks the default partition
ROOT = Path(os.environ.get("FAKE_SLURM_DIR", "."))
LONG_POLL_SECONDS = 30  # below the plugin's 60 s timeout on a status query


def options(argv: list[str]) -> dict[str, str | None]:
    """`--key=value`, `--key value`, `-k value` and bare flags as one mapping."""
    found: dict[str, str | None] = {}
    i = 0
    while i < len(argv):
        word = argv[i]
        if "=" in word:
            key, value = word.split("=", 1)
            found[key] = value
        elif i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            found[word] = argv[i + 1]
            i += 1
        else:
            found[word] = None
        i += 1
    return found


def new_job() -> tuple[str, Path]:
    """The next free job id and its folder (mkdir is atomic: concurrent sbatch calls differ)."""
    ROOT.mkdir(parents=True, exist_ok=True)
    number = 1000
    while True:
        folder = ROOT / str(number)
        try:
            folder.mkdir()
        except FileExistsError:
            number += 1
            continue
        return str(number), folder


def sbatch(argv: list[str]) -> int:
    given = options(argv)
    command = given.pop("--wrap")
    job_id, folder = new_job()
    record = {"options": given, "name": given["--job-name"]}
    (folder / "sbatch.json").write_text(json.dumps(record))
    env = {**os.environ, "SLURM_JOB_ID": job_id, "SLURM_JOBID": job_id}
    if given.get("--gpus"):
        env["SLURM_GPUS"] = given["--gpus"]
    # The job outlives sbatch; its output goes to a file, never to sbatch's pipes (the plugin
    # waits for them to close). rc is renamed into place so sacct never reads half of it.
    script = f'{command}\necho $? > "{folder}/rc.tmp" && mv "{folder}/rc.tmp" "{folder}/rc"'
    with (folder / "job.log").open("w") as log:
        process = subprocess.Popen(
            ["/bin/sh", "-c", script],
            cwd=given.get("-D") or None,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (folder / "pid").write_text(str(process.pid))
    print(job_id)  # --parsable: the id alone
    return 0


def state(folder: Path) -> str:
    if (folder / "cancelled").exists():
        return "CANCELLED"
    if not (folder / "rc").exists():
        return "RUNNING"
    return "COMPLETED" if (folder / "rc").read_text().strip() == "0" else "FAILED"


def job_states(argv: list[str]) -> int:
    """sacct or squeue: `id|STATE` for every job named `--name` (other queries: no rows), once a
    job has ended since the last answer, none is running, or LONG_POLL_SECONDS have passed."""
    name = options(argv).get("--name")
    if name is None:
        return 0
    folders = [record.parent for record in sorted(ROOT.glob("*/sbatch.json"))
               if json.loads(record.read_text())["name"] == name]  # fmt: skip
    answered = ROOT / f"ended-{name}.json"
    ended_before = set(json.loads(answered.read_text())) if answered.exists() else set()
    deadline = time.monotonic() + LONG_POLL_SECONDS
    while True:
        states = {folder.name: state(folder) for folder in folders}
        ended = {job_id for job_id, now in states.items() if now != "RUNNING"}
        if ended - ended_before or len(ended) == len(states) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    answered.write_text(json.dumps(sorted(ended)))
    for job_id, now in states.items():
        print(f"{job_id}|{now}")
    return 0


def scancel(argv: list[str]) -> int:
    for job_id in (word for word in argv if not word.startswith("-")):
        folder = ROOT / job_id
        (folder / "cancelled").touch()
        if not (folder / "rc").exists():
            os.killpg(int((folder / "pid").read_text()), signal.SIGTERM)
    return 0


def srun(argv: list[str]) -> int:
    """Record the step's options (`srun -n1 --cpus-per-task=2 CMD ...`), then become CMD."""
    first = next(i for i, word in enumerate(argv) if not word.startswith("-"))
    with (ROOT / os.environ["SLURM_JOB_ID"] / "srun.jsonl").open("a") as fh:
        fh.write(json.dumps(options(argv[:first])) + "\n")
    os.execvp(argv[first], argv[first:])


def print_lines(lines: list[str]) -> int:
    print("\n".join(lines))
    return 0


COMMANDS = {
    "sbatch": sbatch,
    "sacct": job_states,
    "squeue": job_states,
    "scancel": scancel,
    "srun": srun,
    "sinfo": lambda argv: print_lines(["PARTITION", *PARTITIONS]),
    "sacctmgr": lambda argv: print_lines([ACCOUNT]),
    "scontrol": lambda argv: 0,  # no config: the plugin's defaults (array size, MinJobAge)
}

if __name__ == "__main__":
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
