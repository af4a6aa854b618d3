"""Ablation importance of every attention head (SPEC §8; Michel et al. 2019, Voita et al. 2019):

    I(l, h) = mean loss with head (l, h) gated to 0  -  mean loss of the unchanged model

on the fixed eval subset, in fp32 and `model.eval()` (dropout would randomise the differences,
bf16 rounding is as large as an unimportant head's I). Raw scores are written; any per-layer
normalisation is left to the analysis as an explicit variant.

`cached_importance` is the fast exact sweep (layer-input caching, several ablations per pass,
dynamic padding; see `lmlab.heads.layer_cache`); `naive_importance` runs one full gated forward
pass per head and is the reference the tests and `benchmarks/head_ablation.py` compare against.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import torch
from torch import nn

from lmlab.heads.gates import head_gates, heads_off
from lmlab.heads.layer_cache import LayerCache
from lmlab.models.architecture import head_shape
from lmlab.runtime.logs import progress
from lmlab.tasks.examples import Examples, batches, model_inputs
from lmlab.tasks.metrics import per_example_loss

log = logging.getLogger(__name__)


def _rows(base_sum: float, ablated_sums: np.ndarray, n: int) -> list[dict]:
    base = base_sum / n
    layers, heads = ablated_sums.shape
    return [
        {
            "layer": layer,
            "head": head,
            "I": float(ablated_sums[layer, head] / n - base),
            "loss_base": float(base),
            "loss_ablate": float(ablated_sums[layer, head] / n),
        }
        for layer in range(layers)
        for head in range(heads)
    ]


def _prepare(model: nn.Module) -> torch.device:
    if next(model.parameters()).dtype != torch.float32:
        raise ValueError("importance is measured in fp32: load the model with dtype float32")
    model.eval()
    return next(model.parameters()).device


@torch.no_grad()
def cached_importance(
    model: nn.Module, examples: Examples, batch_size: int = 32, heads_per_pass: int = 4
) -> list[dict]:
    """One row per head: {layer, head, I, loss_base, loss_ablate}, via layer-input caching with
    `heads_per_pass` ablations of one layer per re-run (the batch tiled that many times)."""
    device = _prepare(model)
    layers, heads, _ = head_shape(model)
    chunk = max(1, min(heads_per_pass, heads))
    base_sum, ablated = 0.0, np.zeros((layers, heads))
    n_batches = -(-len(examples) // batch_size)
    for batch in progress(batches(examples, batch_size, device), "importance", n_batches):
        labels = batch["labels"]
        cache = LayerCache.capture(model, model_inputs(batch))
        base_sum += float(per_example_loss(cache.logits, labels).double().sum())
        for layer in range(layers):
            for start in range(0, heads, chunk):
                group = list(range(start, min(start + chunk, heads)))
                logits = cache.logits_with_head_off(layer, group)
                for j, head in enumerate(group):
                    ablated[layer, head] += float(
                        per_example_loss(logits[j], labels).double().sum()
                    )
    return _rows(base_sum, ablated, len(examples))


@torch.no_grad()
def naive_importance(model: nn.Module, examples: Examples, batch_size: int = 32) -> list[dict]:
    """The same rows by brute force: one full forward pass per head and batch."""
    device = _prepare(model)
    layers, heads, _ = head_shape(model)
    base_sum, ablated = 0.0, np.zeros((layers, heads))
    n_batches = -(-len(examples) // batch_size)
    for batch in progress(batches(examples, batch_size, device), "naive importance", n_batches):
        inputs, labels = model_inputs(batch), batch["labels"]
        base_sum += float(per_example_loss(model(**inputs).logits, labels).double().sum())
        for layer in range(layers):
            for head in range(heads):
                with head_gates(model, heads_off(model, [(layer, head)])):
                    logits = model(**inputs).logits
                ablated[layer, head] += float(per_example_loss(logits, labels).double().sum())
    return _rows(base_sum, ablated, len(examples))


def write_importance(
    checkpoint: str | os.PathLike,
    task: str,
    split: str,
    source: str | os.PathLike,
    subset: str | os.PathLike,
    out: str | os.PathLike,
    max_seq_len: int,
    batch_size: int = 32,
    heads_per_pass: int = 4,
    device: str = "auto",
) -> list[dict]:
    """Stage `importance`: load a checkpoint (θ0 or θ1) in fp32, score the eval subset (indices
    in the JSON file `subset`) of `task`'s `split`, write `out` (JSON lines)."""
    from lmlab.heads.checkpoints import load_measured
    from lmlab.runtime.atomic import write_jsonl

    model, examples = load_measured(checkpoint, task, split, source, subset, max_seq_len, device)
    rows = cached_importance(model, examples, batch_size, heads_per_pass)
    write_jsonl(out, rows)
    log.info(
        "importance of %d heads on %d examples: base loss %.4f, max I %.4f",
        len(rows),
        len(examples),
        rows[0]["loss_base"],
        max(row["I"] for row in rows),
    )
    return rows
