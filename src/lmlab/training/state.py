"""The training loop's checkpoint: everything a killed run needs to continue as if uninterrupted.

One file per run (`torch.save` of plain containers and tensors, read back with
`weights_only=True`, so loading a checkpoint never executes code): model and best-model state
dicts, optimizer, scheduler and loss-scaler states, the RNG states of python, numpy's legacy
generator and torch (CPU and every CUDA device), the per-epoch history and the micro-batch size
the out-of-memory policy settled on. A `fingerprint` of the run's settings and data is stored
with it: a checkpoint of another configuration is never resumed. Written atomically.

Integrity (lmlab.runtime.integrity): `torch.load` fails on a truncated file but loads one with a
changed byte inside a tensor, so the file also holds the `content_sha256` of everything else in
it. A checkpoint that fails to load or to match it is never used: it is discarded with a warning
naming it and training starts over from epoch 1 (rebuilt, not reported: a damaged checkpoint
costs time, never a failed or wrong run).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lmlab.runtime.atomic import atomic_path
from lmlab.runtime.integrity import CorruptFileError, check_content, content_sha256, reading

log = logging.getLogger(__name__)

FORMAT = 2
"""2: a `sha256` entry, the `content_sha256` of the rest of the file."""


@dataclass
class TrainState:
    """One end-of-epoch checkpoint of the training loop."""

    epoch: int
    model: dict[str, torch.Tensor]
    best_model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    scaler: dict[str, Any]
    rng: dict[str, Any]
    history: list[dict[str, Any]]
    best_epoch: int
    micro_batch_size: int


def rng_state() -> dict[str, Any]:
    """The state of every random source a training step draws from (tensors and ints only)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {
        "python": [list(internal), version, gauss_next],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng(state: dict[str, Any]) -> None:
    """Put back the random sources saved by `rng_state`."""
    internal, version, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_state(path: str | os.PathLike, state: TrainState, fingerprint: str) -> None:
    """Write `state` to `path` atomically (a kill mid-write leaves the previous checkpoint), with
    the sha256 of its content (hashing streams about 1 GB/s: seconds per epoch for the largest
    models, against minutes of training)."""
    # vars(), not dataclasses.asdict: asdict deep-copies every tensor, on the GPU too.
    content = {"format": FORMAT, "fingerprint": fingerprint, **vars(state)}
    with atomic_path(path) as tmp:
        torch.save({"sha256": content_sha256(content), **content}, tmp)


def load_state(path: str | os.PathLike, fingerprint: str) -> TrainState | None:
    """The checkpoint at `path` if it exists, is intact and belongs to the run `fingerprint`,
    else None (a damaged one is discarded with a warning: the run starts over)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with reading(path):
            saved = torch.load(path, map_location="cpu", weights_only=True)
        recorded = saved.pop("sha256", None) if isinstance(saved, dict) else None
        check_content(path, recorded, saved)
    except CorruptFileError as err:
        log.warning(
            "%s is truncated or corrupted (%s): discarded, training starts over from epoch 1",
            err.path,
            err.reason,
        )
        return None
    if saved.get("format") != FORMAT or saved.get("fingerprint") != fingerprint:
        log.warning("ignoring checkpoint %s: it belongs to another configuration", path)
        return None
    del saved["format"], saved["fingerprint"]
    return TrainState(**saved)


def fingerprint(**run: object) -> str:
    """The identity of a run (its settings and data sizes, JSON-able): a checkpoint is resumed
    only by a run with the same fingerprint."""
    text = json.dumps(run, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def clear_state(path: str | os.PathLike) -> None:
    """Remove a finished run's checkpoint (its outputs are written)."""
    Path(path).unlink(missing_ok=True)
