"""Each GLUE task's metrics (accuracy, MCC, F1, Pearson/Spearman as GLUE defines them) and the
per-example loss every family trains and scores with."""

from __future__ import annotations

import numpy as np
from scipy import stats
from torch import Tensor
from torch.nn import functional as F

from lmlab.data.glue import glue_task


def per_example_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Cross-entropy per example for classifiers, squared error for one-output regression, in
    fp32 (the same losses as the models' own `loss`, before averaging)."""
    logits = logits.float()
    if logits.shape[-1] == 1:
        return (logits.squeeze(-1) - labels.float()) ** 2
    return F.cross_entropy(logits, labels, reduction="none")


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
