"""The training problem of a sequence classifier on GLUE examples (head-study fine-tuning,
UniPELT): seeded shuffles, dynamically padded micro-batches, the per-example loss, and the task's
metrics on the dev split (and test, when given) after every epoch.

Epoch e visits the training examples in the order `default_rng(shuffle_seed(seed, e))`
permutes them, so a resumed run sees exactly the batches an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from lmlab.runtime.devices import autocast_dtype
from lmlab.tasks.evaluate import evaluate
from lmlab.tasks.examples import Examples, collate, model_inputs
from lmlab.tasks.metrics import per_example_loss


def shuffle_seed(seed: int, epoch: int) -> int:
    """The seed of epoch `epoch`'s training order."""
    return seed * 1000 + epoch


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """The effective batches of epoch `epoch`: indices 0..n-1 in the epoch's seeded order."""
    order = np.random.default_rng(shuffle_seed(seed, epoch)).permutation(n)
    return [order[i : i + batch_size].tolist() for i in range(0, n, batch_size)]


@dataclass
class ClassificationProblem:
    """Fine-tune a `*ForSequenceClassification` model on `train`, scored on `dev` (and `test`)."""

    task: str
    train: Examples
    dev: Examples
    seed: int
    batch_size: int
    eval_batch_size: int
    test: Examples | None = None

    def batch_indices(self, epoch: int) -> list[list[int]]:
        return epoch_batches(len(self.train), self.batch_size, self.seed, epoch)

    def collate(self, indices: Sequence[int], device: torch.device) -> dict:
        return collate(self.train, indices, device)

    def loss(self, model: nn.Module, batch: dict) -> Tensor:
        return per_example_loss(model(**model_inputs(batch)).logits, batch["labels"]).sum()

    def evaluate(self, model: nn.Module) -> dict[str, dict[str, float]]:
        device = next(model.parameters()).device
        dtype = autocast_dtype(device)
        splits = {"dev": self.dev} if self.test is None else {"dev": self.dev, "test": self.test}
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            return {
                name: evaluate(model, examples, self.task, self.eval_batch_size)
                for name, examples in splits.items()
            }
