"""The fixed evaluation subset (SPEC §8): `size` indices of the eval split drawn without
replacement with a fixed seed (999), stored as a sorted JSON list and reused by every measurement
of every seed, so importance, gradients and pruning curves all score the same examples."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from lmlab.data.glue import load_glue
from lmlab.runtime.atomic import write_json


def choose_eval_subset(n_examples: int, size: int, seed: int) -> list[int]:
    """`size` distinct indices of range(n_examples) chosen with `seed`, sorted; all if fewer."""
    if n_examples < 1:
        raise ValueError("the eval split is empty")
    if size < 1:
        raise ValueError(f"heads.eval_subset_size must be >= 1, got {size}")
    if size >= n_examples:
        return list(range(n_examples))
    chosen = np.random.default_rng(seed).choice(n_examples, size=size, replace=False)
    return sorted(int(i) for i in chosen)


def write_eval_subset(
    task: str, split: str, source: str | os.PathLike, size: int, seed: int, out: str | os.PathLike
) -> list[int]:
    """Choose the subset of `task`'s `split` (read from `source`) and write it to `out`."""
    n_examples = len(load_glue(task, split, source).frame)
    indices = choose_eval_subset(n_examples, size, seed)
    write_json(out, indices, indent=None)
    return indices


def read_eval_subset(path: str | os.PathLike) -> list[int]:
    """The indices stored by `write_eval_subset`."""
    path = Path(path)
    indices = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(indices, list) or not all(isinstance(i, int) and i >= 0 for i in indices):
        raise ValueError(f"{path}: expected a JSON list of non-negative integers")
    return indices
