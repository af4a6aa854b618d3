"""Seeding of every random source a stage touches, so that the same config and seed on CPU give
identical numbers (SPEC §10)."""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed python, numpy and torch (if installed); optionally force deterministic torch kernels.

    Deterministic algorithms are requested with `warn_only=True`: on CPU every kernel we use has a
    deterministic implementation; on GPU a few (e.g. scatter-add) do not, and a warning is better
    than a crash in the middle of a long run.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import torch
    except ImportError:  # the data stages run without torch
        return
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
