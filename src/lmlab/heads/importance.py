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
from dataclasses import dataclass

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


@dataclass
class Ablations:
    """Per-example losses of one checkpoint on the eval subset: `base` `[n]` of the unchanged
    model, `ablated` `[L, H, n]` with head (l, h) gated off. I and its standard error are means
    over the examples; the per-example differences are kept for the bootstrap (aggregate)."""

    base: np.ndarray
    ablated: np.ndarray

    @property
    def delta(self) -> np.ndarray:
        """`[L, H, n]` loss increase of every example when the head is gated off."""
        return self.ablated - self.base

    def rows(self) -> list[dict]:
        """One row per head: I, I_se (standard error of I over the examples, ddof 1),
        loss_base and loss_ablate."""
        delta = self.delta
        n = delta.shape[-1]
        importance = delta.mean(-1)
        se = delta.std(-1, ddof=1) / np.sqrt(n) if n > 1 else np.full(importance.shape, np.nan)
        base = float(self.base.mean())
        layers, heads = importance.shape
        return [
            {
                "layer": layer,
                "head": head,
                "I": float(importance[layer, head]),
                "I_se": float(se[layer, head]),
                "loss_base": base,
                "loss_ablate": float(self.ablated[layer, head].mean()),
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
) -> Ablations:
    """Per-example losses of every single-head ablation, via layer-input caching with
    `heads_per_pass` ablations of one layer per re-run (the batch tiled that many times)."""
    device = _prepare(model)
    layers, heads, _ = head_shape(model)
    chunk = max(1, min(heads_per_pass, heads))
    base, ablated = [], []
    n_batches = -(-len(examples) // batch_size)
    for batch in progress(batches(examples, batch_size, device), "importance", n_batches):
        labels = batch["labels"]
        cache = LayerCache.capture(model, model_inputs(batch))
        base.append(_losses(cache.logits, labels))
        losses = np.zeros((layers, heads, len(labels)))
        for layer in range(layers):
            for start in range(0, heads, chunk):
                group = list(range(start, min(start + chunk, heads)))
                logits = cache.logits_with_head_off(layer, group)
                for j, head in enumerate(group):
                    losses[layer, head] = _losses(logits[j], labels)
        ablated.append(losses)
    return Ablations(np.concatenate(base), np.concatenate(ablated, axis=-1))


def _losses(logits: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
    return per_example_loss(logits, labels).double().cpu().numpy()


@torch.no_grad()
def naive_importance(model: nn.Module, examples: Examples, batch_size: int = 32) -> Ablations:
    """The same losses by brute force: one full forward pass per head and batch."""
    device = _prepare(model)
    layers, heads, _ = head_shape(model)
    base, ablated = [], []
    n_batches = -(-len(examples) // batch_size)
    for batch in progress(batches(examples, batch_size, device), "naive importance", n_batches):
        inputs, labels = model_inputs(batch), batch["labels"]
        base.append(_losses(model(**inputs).logits, labels))
        losses = np.zeros((layers, heads, len(labels)))
        for layer in range(layers):
            for head in range(heads):
                with head_gates(model, heads_off(model, [(layer, head)])):
                    losses[layer, head] = _losses(model(**inputs).logits, labels)
        ablated.append(losses)
    return Ablations(np.concatenate(base), np.concatenate(ablated, axis=-1))


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
    """Stage `importance`: load a checkpoint (θ0 through a readout, or θ1) in fp32, score the eval
    subset (indices in the JSON file `subset`) of `task`'s `split`, write `out` (JSON lines, one
    row per head) and the per-example losses beside it (`lmlab.heads.per_example`)."""
    from lmlab.heads.checkpoints import load_measured
    from lmlab.heads.per_example import write_measurement

    model, examples = load_measured(checkpoint, task, split, source, subset, max_seq_len, device)
    ablations = cached_importance(model, examples, batch_size, heads_per_pass)
    rows = ablations.rows()
    write_measurement(out, rows, {"base": ablations.base, "delta": ablations.delta})
    log.info(
        "importance of %d heads on %d examples: base loss %.4f, max I %.4f",
        len(rows),
        len(examples),
        rows[0]["loss_base"],
        max(row["I"] for row in rows),
    )
    return rows
