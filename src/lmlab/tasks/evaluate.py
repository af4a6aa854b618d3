"""Scoring a classifier on a set of examples: mean loss and the task's GLUE metrics.

An intervention is any context manager that changes the model's forward pass while it is active
(forward hooks): the head study's pruning curve passes `head_gates(model, gates)` to score θ1 with
heads gated off (Michel et al. 2019); a PEFT method can pass its own. The dev metric that selects
a checkpoint in `lmlab.training` comes from here too.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import numpy as np
import torch
from torch import nn

from lmlab.tasks.examples import Examples, batches, model_inputs
from lmlab.tasks.metrics import per_example_loss, task_metrics


@torch.no_grad()
def predict(
    model: nn.Module,
    examples: Examples,
    batch_size: int,
    intervention: AbstractContextManager | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(logits `[N, C]`, per-example losses `[N]`) in the order of `examples`, in eval mode,
    with `intervention` (a context manager, e.g. forward hooks) active during every forward."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    logits = np.zeros((len(examples), model.config.num_labels), dtype=np.float32)
    losses = np.zeros(len(examples), dtype=np.float64)
    try:
        with intervention or nullcontext():
            for batch in batches(examples, batch_size, device):
                out = model(**model_inputs(batch)).logits
                index = batch["index"].cpu().numpy()
                logits[index] = out.float().cpu().numpy()
                losses[index] = per_example_loss(out, batch["labels"]).double().cpu().numpy()
    finally:
        model.train(was_training)
    return logits, losses


def evaluate(
    model: nn.Module,
    examples: Examples,
    task: str,
    batch_size: int = 64,
    intervention: AbstractContextManager | None = None,
) -> dict[str, float]:
    """`loss` (mean per-example loss) and the task metrics of `model` on `examples`, with
    `intervention` active (e.g. `head_gates(model, heads_off(model, pruned))`)."""
    logits, losses = predict(model, examples, batch_size, intervention)
    return {"loss": float(losses.mean()), **task_metrics(task, logits, examples.labels)}
