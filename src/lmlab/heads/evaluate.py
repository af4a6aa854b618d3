"""Scoring a classifier on a set of examples, optionally with heads gated: mean loss, accuracy
and the task's GLUE metric (accuracy, MCC, F1, Pearson/Spearman as in GLUE's definitions).

Used for the dev metric that picks θ1, and by the pruning curve (accuracy with the least
important heads gated off, as in Michel et al. 2019).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import stats
from torch import nn

from lmlab.data.glue import glue_task
from lmlab.heads.examples import Examples, batches, model_inputs, per_example_loss
from lmlab.heads.gates import Gates, head_gates


def task_metrics(task: str, logits: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """The GLUE metrics of `task` (and accuracy for every classification task)."""
    spec = glue_task(task)
    if spec.is_regression:
        scores = logits.reshape(-1)
        return {
            "pearson": float(stats.pearsonr(scores, labels).statistic),
            "spearman": float(stats.spearmanr(scores, labels).statistic),
        }
    predictions = logits.argmax(-1)
    result = {"accuracy": float((predictions == labels).mean())}
    if "f1" in spec.metrics:
        tp = float(((predictions == 1) & (labels == 1)).sum())
        denominator = float((predictions == 1).sum() + (labels == 1).sum())
        result["f1"] = 2 * tp / denominator if denominator else 0.0
    if "mcc" in spec.metrics:
        with np.errstate(invalid="ignore", divide="ignore"):  # constant predictions: MCC 0
            result["mcc"] = float(np.nan_to_num(np.corrcoef(predictions, labels)[0, 1]))
    return result


def primary_metric(task: str) -> str:
    """The metric that selects the best checkpoint (the first GLUE metric of the task)."""
    return glue_task(task).metrics[0]


@torch.no_grad()
def predict(
    model: nn.Module,
    examples: Examples,
    batch_size: int,
    gates: Gates | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(logits `[N, C]`, per-example losses `[N]`) in the order of `examples`, in eval mode."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    logits = np.zeros((len(examples), model.config.num_labels), dtype=np.float32)
    losses = np.zeros(len(examples), dtype=np.float64)
    try:
        for batch in batches(examples, batch_size, device):
            if gates is None:
                out = model(**model_inputs(batch)).logits
            else:
                with head_gates(model, gates):
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
    gates: Gates | None = None,
) -> dict[str, float]:
    """`loss` (mean per-example loss) and the task metrics of `model` on `examples`.

    `gates` (`[L, H]`, e.g. `heads_off(model, pruned)` from `lmlab.heads.gates`) is applied to
    every batch.
    """
    logits, losses = predict(model, examples, batch_size, gates)
    return {"loss": float(losses.mean()), **task_metrics(task, logits, examples.labels)}
