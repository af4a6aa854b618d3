"""GPU slots: which physical GPUs a job may use.

Snakemake's `resources: gpu=N` only limits how many GPU jobs run at once; it never says *which*
GPU a job gets. Each GPU job therefore claims N free GPU indices itself, with a non-blocking
`flock` on one lock file per GPU, and exports `CUDA_VISIBLE_DEVICES` before torch initialises
CUDA. The locks belong to the open file descriptors, so they are released by the kernel when the
process ends, even after a crash or `kill -9`: no stale lock can block a later job.

Hand-written because no maintained library assigns GPUs across independent processes this way
(filelock's locks are per-path, not "any N of these"; Snakemake leaves it to the job).

Environment:
- `LMLAB_GPU_COUNT`: pretend the host has this many GPUs (tests; hosts without nvidia-smi).
- `LMLAB_GPU_LOCK_DIR`: where the lock files live (default: a per-user directory in /tmp; one
  subdirectory per Slurm job inside a Slurm allocation).
- `CUDA_VISIBLE_DEVICES` already set (slurm does this): slots are taken among those indices.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

_held: list[IO] = []  # lock files held for the life of the process


def visible_gpus() -> list[str]:
    """The GPU identifiers this process may choose from."""
    preset = os.environ.get("CUDA_VISIBLE_DEVICES")
    if preset is not None:
        return [g.strip() for g in preset.split(",") if g.strip() and g.strip() != "-1"]
    fake = os.environ.get("LMLAB_GPU_COUNT")
    if fake is not None:
        return [str(i) for i in range(int(fake))]
    if shutil.which("nvidia-smi") is None:
        return []
    out = subprocess.run(
        ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def lock_dir() -> Path:
    """Directory holding one lock file per GPU index (shared by every job on this host). Inside a
    Slurm job it is private to the job: Slurm numbers each job's own GPUs from 0, so two jobs on
    one node must not contend for the same `gpu0.lock`."""
    default = Path(tempfile.gettempdir()) / f"lmlab-gpu-locks-{os.getuid()}"
    path = Path(os.environ.get("LMLAB_GPU_LOCK_DIR", default))
    if "SLURM_JOB_ID" in os.environ:
        path = path / f"slurm-{os.environ['SLURM_JOB_ID']}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _try_lock(gpu: str) -> IO | None:
    fh = open(lock_dir() / f"gpu{gpu}.lock", "a+")  # noqa: SIM115 - held open on purpose
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def acquire(n: int, timeout: float = 3600.0, poll: float = 1.0) -> list[str]:
    """Claim `n` free GPUs, set `CUDA_VISIBLE_DEVICES` to them, and return their identifiers.

    `n == 0` hides every GPU (CPU job). If the host has no GPU at all, the job runs on the CPU
    with a warning, so a GPU rule still works on a laptop. If all GPUs are busy (a second
    Snakemake on the same host, say) it waits up to `timeout` seconds.
    """
    if n <= 0:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        return []
    gpus = visible_gpus()
    if not gpus:
        log.warning("%d GPU(s) requested but none is visible: running on the CPU", n)
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        return []
    if n > len(gpus):
        raise RuntimeError(f"{n} GPUs requested but only {len(gpus)} exist: {gpus}")
    deadline = time.monotonic() + timeout
    while True:
        taken: list[tuple[str, IO]] = []
        for gpu in gpus:
            fh = _try_lock(gpu)
            if fh is not None:
                taken.append((gpu, fh))
                if len(taken) == n:
                    break
        if len(taken) == n:
            _held.extend(fh for _, fh in taken)
            chosen = [gpu for gpu, _ in taken]
            os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(chosen)
            log.info("GPU slots %s taken (lock dir %s)", chosen, lock_dir())
            return chosen
        for _, fh in taken:
            fh.close()
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {n} free GPU(s) among {gpus} after {timeout:.0f}s")
        time.sleep(poll)


def release() -> None:
    """Release every slot this process holds (also happens automatically at exit)."""
    while _held:
        _held.pop().close()
