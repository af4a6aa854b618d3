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
