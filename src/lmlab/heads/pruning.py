"""Pruning curve of θ1 (Michel et al. 2019, "Are Sixteen Heads Really Better than One?", §4):
the task metric on the fixed eval subset as a growing fraction of heads is gated off, least
important first, against random orders of the same heads.

Heads are gated off with `lmlab.heads.gates.heads_off` (gate 0 = the head's columns of W_O
zeroed) on θ1 in fp32 eval mode. The importance order ranks heads by a heads.csv score
(`heads.analysis.pruning.score`, default I_post: the loss increase of ablating the head alone
from θ1), ascending, ties in (layer, head) order; with `heads.analysis.layer_normalise` the
per-layer L2-normalised score is used, as Michel et al. do. At fraction f the first
round(f * N) heads of an order are off. Each random order is a permutation drawn from
`numpy.random.default_rng(random_seed + repeat)`, the same for every training seed. Gating one
head at a time does not account for interactions, which is why the curve (not the single-head
scores) tells how many heads can go together.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from torch import nn

from lmlab.config import Pruning
from lmlab.heads.aggregate import analysis_view, read_head_table
from lmlab.heads.gates import head_gates, heads_off
from lmlab.runtime.atomic import write_jsonl
from lmlab.runtime.logs import progress
from lmlab.tasks.evaluate import evaluate
from lmlab.tasks.examples import Examples
from lmlab.tasks.metrics import primary_metric

Head = tuple[int, int]
log = logging.getLogger(__name__)


def importance_order(table: pd.DataFrame, score: str) -> list[Head]:
    """Heads sorted by `score` ascending (least important first); ties keep (layer, head) order."""
    ordered = table.sort_values(["layer", "head"]).sort_values(score, kind="stable")
    return list(zip(ordered["layer"].astype(int), ordered["head"].astype(int), strict=True))


def random_order(table: pd.DataFrame, seed: int) -> list[Head]:
    """A seeded random permutation of the heads of `table`."""
    heads = sorted(zip(table["layer"].astype(int), table["head"].astype(int), strict=True))
    permutation = np.random.default_rng(seed).permutation(len(heads))
    return [heads[i] for i in permutation]


def heads_gated(order: Sequence[Head], fraction: float) -> list[Head]:
    """The first round(fraction * N) heads of `order`."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"pruning fractions must lie in [0, 1], got {fraction}")
    return list(order[: round(fraction * len(order))])


def pruning_curve(
    model: nn.Module,
    examples: Examples,
    task: str,
    orders: dict[tuple[str, int], Sequence[Head]],
    fractions: Sequence[float],
    batch_size: int,
) -> list[dict]:
    """One row per (order, repeat, fraction): heads off, loss and task metrics on `examples`.

    `orders` maps (order name, repeat) to a head order. A set of gated heads shared by several
    orders (fraction 0: none; fraction 1: all) is evaluated once.
    """
    labels = examples.labels
    majority = None if labels.dtype.kind == "f" else float(np.bincount(labels).max() / len(labels))
    cache: dict[frozenset[Head], dict[str, float]] = {}
    points = [(key, f) for key in orders for f in fractions]
    rows = []
    for (name, repeat), fraction in progress(points, desc="pruning"):
        gated = heads_gated(orders[name, repeat], fraction)
        key = frozenset(gated)
        if key not in cache:
            gates = head_gates(model, heads_off(model, gated)) if gated else None
            cache[key] = evaluate(model, examples, task, batch_size, gates)
        rows.append(
            {
                "order": name,
                "repeat": repeat,
                "fraction": fraction,
                "heads_off": len(gated),
                "heads_total": len(orders[name, repeat]),
                "examples": len(examples),
                "metric": primary_metric(task),
                "majority_accuracy": majority,
                **cache[key],
            }
        )
    return rows


def run_pruning(
    model: nn.Module,
    examples: Examples,
    task: str,
    heads_csv: str | os.PathLike,
    out: str | os.PathLike,
    pruning: Pruning,
    layer_normalise: bool,
    batch_size: int,
) -> list[dict]:
    """Write pruning.jsonl for θ1 (`model`, fp32 eval mode) on the eval-subset `examples`, with
    the `heads.analysis.pruning` settings (and `heads.analysis.layer_normalise`)."""
    table = analysis_view(read_head_table(heads_csv), layer_normalise)
    orders = {(pruning.score, 0): importance_order(table, pruning.score)}
    for repeat in range(pruning.random_orders):
        orders["random", repeat] = random_order(table, pruning.random_seed + repeat)
    rows = pruning_curve(model, examples, task, orders, sorted(pruning.fractions), batch_size)
    write_jsonl(out, rows)
    return rows


def write_pruning(
    checkpoint: str | os.PathLike,
    task: str,
    split: str,
    source: str | os.PathLike,
    subset: str | os.PathLike,
    heads_csv: str | os.PathLike,
    out: str | os.PathLike,
    max_seq_len: int,
    pruning: Pruning,
    layer_normalise: bool,
    batch_size: int = 32,
    device: str = "auto",
) -> list[dict]:
    """Stage `prune`: load θ1 from `checkpoint` in fp32 eval mode, score the eval subset (indices
    in the JSON file `subset`) of `task`'s `split` with growing sets of heads gated off, write
    `out` (JSON lines)."""
    from lmlab.heads.checkpoints import load_measured

    model, examples = load_measured(checkpoint, task, split, source, subset, max_seq_len, device)
    rows = run_pruning(model, examples, task, heads_csv, out, pruning, layer_normalise, batch_size)
    unpruned = rows[0]
    log.info(
        "pruning %d points on %d examples; unpruned %s %.4f",
        len(rows),
        len(examples),
        unpruned["metric"],
        unpruned[unpruned["metric"]],
    )
    return rows
