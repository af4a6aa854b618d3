"""Device and precision selection: CUDA when present (after GPU-slot assignment), else CPU."""

from __future__ import annotations

import torch


def select_device(prefer: str = "auto") -> torch.device:
    """Return `cuda` when requested or available (`auto`), else `cpu`.

    `prefer` is one of `auto`, `cpu`, `cuda`; asking for `cuda` without a GPU is an error rather
    than a silent fall-back, so a mis-configured cluster job fails fast.
    """
    if prefer not in {"auto", "cpu", "cuda"}:
        raise ValueError(f"device must be auto, cpu or cuda, got {prefer!r}")
    if prefer == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if prefer == "cuda":
        raise RuntimeError("device=cuda requested but no CUDA device is visible")
    return torch.device("cpu")


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Mixed-precision dtype for training on `device`: bf16 > fp16 > None (fp32).

    CPU training stays in fp32: CPU autocast is slower than fp32 on most hosts and changes numbers.
    """
    if device.type != "cuda":
        return None
    if torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16


def job_devices(prefer: str, count: int) -> list[torch.device]:
    """The devices a job spreads its model over: `count` CUDA devices (the job's claimed GPUs,
    renumbered from 0 by CUDA_VISIBLE_DEVICES) when that many are visible, else the one device
    `select_device(prefer)` picks."""
    device = select_device(prefer)
    if device.type == "cuda" and count > 1 and torch.cuda.device_count() >= count:
        return [torch.device(f"cuda:{i}") for i in range(count)]
    return [device]
