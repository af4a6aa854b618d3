"""Gate gradients and Fisher information of every head at θ0 (SPEC §8; Michel et al. 2019 use
|d loss / d xi_h| as their head-importance proxy).

With a gate xi_h on every head (`lmlab.heads.gates`) at xi = 1, per example i:

    g_i(l, h) = d loss_i / d xi_(l,h)
    G = mean_i |g_i|        F = mean_i g_i^2        Ppred = G^2 / (F + eps)
    Gsigned = mean_i g_i    Psign = Gsigned^2 / (F + eps)

The per-example gradients come from ONE backward pass per batch: each layer gets a gate of shape
[B, H] (a separate leaf per example) and the loss is the SUM of the per-example losses, so the
gradient of row i is example i's own gradient. The model's weights are frozen meanwhile, so the
backward pass computes no weight gradients.

Both ratios lie in [0, 1] (Jensen) and are scale-free: they say how CONSISTENT the per-example
gradients are, not how LARGE (G and F say that), so neither is an importance score of its own.
Ppred is 1 when every example's |g_i| is the same and about p when a fraction p of the examples
carries the gradient (it ignores signs); Psign is 1 only when every example pushes the gate the
same way by the same amount and near 0 when the signs cancel (the sign consistency of the
gradient; the full-batch gradient is Gsigned, whose square is Psign * F).
"""

from __future__ import annotations

import logging
import os

import numpy as np
import torch
from torch import nn

from lmlab.heads.gates import head_gates, ones
from lmlab.runtime.logs import progress
from lmlab.tasks.examples import Examples, batches, model_inputs
from lmlab.tasks.metrics import per_example_loss

log = logging.getLogger(__name__)

EPS = 1e-20


def per_example_gate_gradients(model: nn.Module, batch: dict) -> torch.Tensor:
    """d loss_i / d xi_(l,h) for every example i of `batch`: a `[L, B, H]` tensor (one backward)."""
    gates = ones(model, batch=batch["labels"].shape[0], requires_grad=True)
    with head_gates(model, gates):
        logits = model(**model_inputs(batch)).logits
    loss = per_example_loss(logits, batch["labels"]).sum()
    return torch.stack(torch.autograd.grad(loss, gates))


def gate_gradients(model: nn.Module, examples: Examples, batch_size: int = 32) -> np.ndarray:
    """`[L, H, n]` per-example gate gradients d loss_i / d xi_(l,h) over `examples`, in eval
    mode (the model's dtype; fp32 when loaded by `load_classifier`), in float64."""
    model.eval()
    device = next(model.parameters()).device
    frozen = [p.requires_grad for p in model.parameters()]
    for param in model.parameters():
        param.requires_grad_(False)
    parts = []
    try:
        n_batches = -(-len(examples) // batch_size)
        for batch in progress(batches(examples, batch_size, device), "gate gradients", n_batches):
            grads = per_example_gate_gradients(model, batch).double()  # [L, B, H]
            parts.append(grads.permute(0, 2, 1).cpu().numpy())
    finally:
        for param, flag in zip(model.parameters(), frozen, strict=True):
            param.requires_grad_(flag)
    return np.concatenate(parts, axis=-1)


def gradient_rows(grads: np.ndarray) -> list[dict]:
    """One row per head: {layer, head, G, F, Ppred, Gsigned, Psign} from `[L, H, n]` per-example
    gate gradients."""
    g_signed, g_mean, fisher = grads.mean(-1), np.abs(grads).mean(-1), (grads**2).mean(-1)
    layers, heads = g_mean.shape
    return [
        {
            "layer": layer,
            "head": head,
            "G": float(g_mean[layer, head]),
            "F": float(fisher[layer, head]),
            "Ppred": float(g_mean[layer, head] ** 2 / (fisher[layer, head] + EPS)),
            "Gsigned": float(g_signed[layer, head]),
            "Psign": float(g_signed[layer, head] ** 2 / (fisher[layer, head] + EPS)),
        }
        for layer in range(layers)
        for head in range(heads)
    ]


def write_gradfisher(
    checkpoint: str | os.PathLike,
    task: str,
    split: str,
    source: str | os.PathLike,
    subset: str | os.PathLike,
    out: str | os.PathLike,
    max_seq_len: int,
    batch_size: int = 32,
    device: str = "auto",
) -> list[dict]:
    """Stage `gradfisher`: G, F and Ppred of the checkpoint (θ0 through a readout) on the eval
    subset -> `out`, and the per-example gradients beside it (`lmlab.heads.per_example`)."""
    from lmlab.heads.checkpoints import load_measured
    from lmlab.heads.per_example import write_measurement

    model, examples = load_measured(checkpoint, task, split, source, subset, max_seq_len, device)
    grads = gate_gradients(model, examples, batch_size)
    rows = gradient_rows(grads)
    write_measurement(out, rows, {"grad": grads})
    log.info("gate gradients of %d heads on %d examples", len(rows), len(examples))
    return rows
