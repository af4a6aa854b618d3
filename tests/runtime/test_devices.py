"""Device choice of a job: one device, or the two GPUs a QAT run claimed (fake device counts)."""

import pytest
import torch

from lmlab.runtime.devices import job_devices, select_device


def test_without_a_gpu_everything_runs_on_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert job_devices("auto", 2) == [torch.device("cpu")]
    with pytest.raises(RuntimeError, match="no CUDA device"):
        select_device("cuda")


@pytest.mark.parametrize(("visible", "wanted", "expected"), [(2, 2, 2), (1, 2, 1), (2, 1, 1)])
def test_a_job_splits_over_two_gpus_only_when_it_sees_two(monkeypatch, visible, wanted, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: visible)
    devices = job_devices("auto", wanted)
    assert devices == [torch.device(f"cuda:{i}") for i in range(expected)] or devices == [
        torch.device("cuda")
    ]
    assert len(devices) == expected
    assert job_devices("cpu", wanted) == [torch.device("cpu")]
