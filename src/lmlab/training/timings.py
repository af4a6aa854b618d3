"""What the machine measured during a training run, kept apart from what the model achieved.

Every training stage writes two files: its metrics (dev and test scores, parameter counts, the
per-epoch history: byte-identical between two runs of a config on a CPU, and between a run killed
and resumed and an uninterrupted one; tests check both) and `efficiency.json`
(`lmlab.paths.EFFICIENCY`: seconds, throughput, whether the run resumed, and for UniPELT
inference latency and peak memory), which no two runs share. This module gives the loop's part
of the latter, with the same keys in every family.
"""

from __future__ import annotations

from typing import Any

import torch

from lmlab.training.loop import TrainResult

EPOCH_SECONDS = "seconds"  # the key of an epoch's wall time in `TrainResult.history` rows


def run_timings(result: TrainResult) -> dict[str, Any]:
    """Wall time of the run (this process), time spent in its training passes, training
    examples per second, the wall time of every epoch (training and evaluation; epochs before a
    resume as they were measured then), the epoch the run resumed from (0: none; the first three
    cover only the epochs after it) and the intra-op threads torch used."""
    return {
        "wall_seconds": result.seconds,
        "train_seconds": result.train_seconds,
        "train_examples_per_second": result.examples_per_second,
        "epoch_seconds": [row[EPOCH_SECONDS] for row in result.history],
        "resumed_from_epoch": result.resumed_from,
        "threads": torch.get_num_threads(),
    }


def without_timings(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The per-epoch history without its wall times: what belongs in a metrics file."""
    return [{k: v for k, v in row.items() if k != EPOCH_SECONDS} for row in history]
