"""GPU slots: concurrent jobs never share a GPU index (fake GPU count, real flock)."""

import os
import subprocess
import sys
import time

import pytest

from lmlab.runtime import gpu_slots

WORKER = """
import os, sys, time
from lmlab.runtime import gpu_slots
gpus = gpu_slots.acquire(int(sys.argv[1]), timeout=60, poll=0.05)
start = time.time()
time.sleep(float(sys.argv[2]))
print(os.environ["CUDA_VISIBLE_DEVICES"], start, time.time(), flush=True)
"""


@pytest.fixture
def fake_gpus(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    monkeypatch.setenv("LMLAB_GPU_LOCK_DIR", str(tmp_path / "locks"))

    def set_count(n):
        monkeypatch.setenv("LMLAB_GPU_COUNT", str(n))

    yield set_count
    gpu_slots.release()


def _run_workers(n_workers, per_job, hold):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(per_job), str(hold)],
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for _ in range(n_workers)
    ]
    rows = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        gpus, start, end = out.split()
        rows.append((set(gpus.split(",")), float(start), float(end)))
    return rows


def test_concurrent_jobs_never_share_a_gpu(fake_gpus):
    fake_gpus(2)
    rows = _run_workers(n_workers=5, per_job=1, hold=0.4)
    assert all(len(gpus) == 1 for gpus, _, _ in rows)
    for i, (gpus_a, start_a, end_a) in enumerate(rows):
        for gpus_b, start_b, end_b in rows[i + 1 :]:
            overlap = start_a < end_b and start_b < end_a
            assert not (overlap and gpus_a & gpus_b), "two running jobs held the same GPU"


def test_multi_gpu_job_gets_distinct_indices(fake_gpus):
    fake_gpus(3)
    rows = _run_workers(n_workers=2, per_job=2, hold=0.2)
    assert all(len(gpus) == 2 for gpus, _, _ in rows)


def test_zero_gpus_hides_devices(fake_gpus):
    fake_gpus(2)
    assert gpu_slots.acquire(0) == []
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""


def test_no_gpu_host_falls_back_to_cpu(fake_gpus):
    fake_gpus(0)
    assert gpu_slots.acquire(1) == []
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""


def test_slots_are_taken_among_preset_visible_devices(fake_gpus, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,7")
    assert gpu_slots.acquire(1) == ["5"]
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "5"


def test_busy_gpus_time_out(fake_gpus):
    fake_gpus(1)
    held = gpu_slots.acquire(1)
    assert held == ["0"]
    os.environ.pop("CUDA_VISIBLE_DEVICES")
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        gpu_slots.acquire(1, timeout=0.3, poll=0.05)
    assert time.monotonic() - start < 5


def test_lock_is_released_when_holder_dies(fake_gpus):
    fake_gpus(1)
    proc = subprocess.run(
        [sys.executable, "-c", WORKER + "\nos._exit(1)", "1", "0"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.returncode == 1
    assert gpu_slots.acquire(1, timeout=1) == ["0"]


def test_slurm_jobs_lock_their_own_gpu_numbers_apart(fake_gpus, monkeypatch, tmp_path):
    """Slurm numbers each job's GPUs from 0: jobs on one node get separate lock directories."""
    fake_gpus(1)
    monkeypatch.setenv("SLURM_JOB_ID", "101")
    assert gpu_slots.lock_dir() == tmp_path / "locks" / "slurm-101"
    monkeypatch.setenv("SLURM_JOB_ID", "102")
    assert gpu_slots.lock_dir() == tmp_path / "locks" / "slurm-102"
