"""Stage `train`: one QAT or LM-only run per (dataset, variant, seed) on the shared training loop
(SPEC §6; the paper's `run_csqa.sh` settings live in config/paper.yaml).

Two parameter groups (encoder and decoder learning rates, weight decay on matrices only), RAdam,
warm-up then linear decay, effective batch vs micro-batch, clipping, the encoder frozen during
the first `unfreeze_epoch` epochs, early stopping on dev accuracy after `patience` epochs without
a gain, evaluation on dev and test after every epoch (CSQA: the in-house test split), resumable
per-epoch checkpoints, the out-of-memory policy and AMP by device: all of it is
`lmlab.training.loop`; this module says what a QAT batch and its loss are.

Loss of a micro-batch of Q questions: the summed cross-entropy over the choices minus
Q * `lambda_rpe` * mean(tanh(bias)) (the regulariser, counted once per question so that the
loop's division by the effective batch gives the paper's per-batch loss).

Outputs: `metrics.json` (best dev accuracy, test accuracy at the best dev epoch, best epoch,
trainable parameters, the run's settings), `efficiency.json` (what the machine measured, apart:
wall time, training examples/s, `lmlab.training.timings`) and `curve.csv` (per epoch: train
loss, dev and test loss and accuracy).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from lmlab.qat.batches import QATExamples
from lmlab.qat.config import QATConfig, QATTrain
from lmlab.qat.model import QATModel
from lmlab.runtime.atomic import atomic_path, write_json
from lmlab.training.classification import epoch_batches
from lmlab.training.loop import LoopSettings, ParamGroup, train
from lmlab.training.state import clear_state, fingerprint
from lmlab.training.timings import run_timings

log = logging.getLogger(__name__)


@dataclass
class QATProblem:
    """Train on `train` questions, score on `dev` and `test` (lmlab.training.loop.Problem)."""

    train: QATExamples
    dev: QATExamples
    test: QATExamples
    seed: int
    batch_size: int
    eval_batch_size: int
    lambda_rpe: float

    def batch_indices(self, epoch: int) -> list[list[int]]:
        return epoch_batches(len(self.train), self.batch_size, self.seed, epoch)

    def collate(self, indices: Sequence[int], device: torch.device) -> dict:
        return self.train.collate(indices)  # QATModel.forward sends each part to its device

    def loss(self, model: QATModel, batch: dict) -> Tensor:
        labels = batch.pop("labels")
        logits = model(**batch).logits
        labels = labels.to(logits.device)
        regulariser = self.lambda_rpe * model.regulariser() * len(labels)
        return F.cross_entropy(logits.float(), labels, reduction="sum") - regulariser

    @torch.no_grad()
    def score(self, model: nn.Module, examples: QATExamples) -> dict[str, float]:
        """Mean cross-entropy and accuracy over every question of `examples`, in eval mode."""
        was_training = model.training
        model.eval()
        loss, correct = 0.0, 0
        try:
            for start in range(0, len(examples), self.eval_batch_size):
                indices = range(start, min(start + self.eval_batch_size, len(examples)))
                batch = examples.collate(list(indices))
                labels = batch.pop("labels")
                logits = model(**batch).logits.float()
                labels = labels.to(logits.device)
                loss += float(F.cross_entropy(logits, labels, reduction="sum"))
                correct += int((logits.argmax(-1) == labels).sum())
        finally:
            model.train(was_training)
        return {"loss": loss / len(examples), "accuracy": correct / len(examples)}

    def evaluate(self, model: nn.Module) -> dict[str, dict[str, float]]:
        return {"dev": self.score(model, self.dev), "test": self.score(model, self.test)}


def parameter_groups(model: QATModel, settings: QATTrain) -> list[ParamGroup]:
    """Encoder and decoder groups, each split into decayed matrices and undecayed biases and
    norms; the encoder's groups are frozen for the first `unfreeze_epoch` epochs."""
    groups = []
    for name, params in model.parameter_groups().items():
        lr = settings.encoder_lr if name == "encoder" else settings.decoder_lr
        frozen = settings.unfreeze_epoch if name == "encoder" else 0
        matrices = [p for p in params if p.dim() >= 2]
        others = [p for p in params if p.dim() < 2]
        groups.append(ParamGroup(f"{name}", matrices, lr, settings.weight_decay, frozen))
        groups.append(ParamGroup(f"{name}_no_decay", others, lr, 0.0, frozen))
    return groups


def loop_settings(settings: QATTrain) -> LoopSettings:
    return LoopSettings(
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        micro_batch_size=settings.micro_batch_size,
        warmup_ratio=settings.warmup_ratio,
        max_grad_norm=settings.max_grad_norm,
        optimizer="radam",
        patience=settings.patience,
        metric="accuracy",
    )


class QATRun(NamedTuple):
    """What one run writes: `metrics` (what the model achieved), `efficiency` (what the machine
    measured) and the per-epoch `curve`."""

    metrics: dict
    efficiency: dict
    curve: pd.DataFrame


def run_training(
    model: QATModel,
    splits: dict[str, QATExamples],
    config: QATConfig,
    settings: QATTrain,
    seed: int,
    state_path: str | os.PathLike | None,
    identity: dict,
) -> QATRun:
    """Train `model` on `splits` (train, dev, test); return its records."""
    problem = QATProblem(
        splits["train"],
        splits["dev"],
        splits["test"],
        seed,
        settings.batch_size,
        settings.eval_batch_size,
        config.lambda_rpe,
    )
    sizes = {name: len(examples) for name, examples in splits.items()}
    key = fingerprint(**identity, seed=seed, sizes=sizes, settings=dataclasses.asdict(settings),
                      model=dataclasses.asdict(config))  # fmt: skip
    trainable = sum(p.numel() for p in model.parameters())
    result = train(model, problem, parameter_groups(model, settings), loop_settings(settings),
                   state_path, key)  # fmt: skip
    curve = pd.DataFrame(
        [
            {
                "epoch": row["epoch"],
                "train_loss": row["train_loss"],
                "dev_loss": row["dev"]["loss"],
                "dev_accuracy": row["dev"]["accuracy"],
                "test_loss": row["test"]["loss"],
                "test_accuracy": row["test"]["accuracy"],
            }
            for row in result.history
        ]
    )
    metrics = {
        **identity,
        "variant": config.variant,
        "seed": seed,
        "best_dev_accuracy": result.best["dev"]["accuracy"],
        "test_accuracy_at_best_dev": result.best["test"]["accuracy"],
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "trainable_parameters": trainable,
        "micro_batch_size": result.micro_batch_size,
        "questions": sizes,
        "model": dataclasses.asdict(config),
        "train": dataclasses.asdict(settings),
    }
    return QATRun(metrics, run_timings(result), curve)


def write_outputs(
    run: QATRun,
    metrics_path: str | os.PathLike,
    efficiency_path: str | os.PathLike,
    curve_path: str | os.PathLike,
) -> None:
    """metrics.json, efficiency.json and curve.csv, each written atomically."""
    with atomic_path(curve_path) as tmp:
        run.curve.to_csv(tmp, index=False, float_format="%.6g")
    write_json(efficiency_path, run.efficiency)
    write_json(metrics_path, run.metrics)


@dataclass(frozen=True)
class SplitFiles:
    """One split's inputs: statement tokens, and for `qat` its subgraphs, meta-paths and match
    lists."""

    tokens: str
    subgraph: str | None = None
    metapath: str | None = None
    matches: str | None = None


def train_qat(
    dataset: str,
    model_spec: str,
    config: QATConfig,
    settings: QATTrain,
    max_node_num: int,
    seed: int,
    files: dict[str, SplitFiles],
    metrics_path: str | os.PathLike,
    efficiency_path: str | os.PathLike,
    curve_path: str | os.PathLike,
    state_path: str | os.PathLike,
    device: str = "auto",
) -> dict:
    """Stage function: train one (variant, seed) run from the pipeline's files (`files` by
    split: train, dev, test) and write metrics.json, efficiency.json and curve.csv. With two
    GPUs visible (the rule claimed two: `qat.gpus: 2`) the encoder runs on the first and the
    graph side on the second."""
    from lmlab.qat.model import build_model
    from lmlab.qat.placement import place_model
    from lmlab.qat.split import split_examples
    from lmlab.runtime.devices import job_devices
    from lmlab.runtime.seeding import seed_everything

    seed_everything(seed)
    variant = config.variant
    splits = {
        name: split_examples(variant, f.tokens, f.subgraph, f.metapath, f.matches, max_node_num)
        for name, f in files.items()
    }
    model = place_model(build_model(config, model_spec), job_devices(device, 2))
    chance = 1.0 / splits["train"].num_choices
    identity = {"dataset": dataset, "encoder": model_spec, "max_node_num": max_node_num,
                "chance": chance}  # fmt: skip
    run = run_training(model, splits, config, settings, seed, state_path, identity)
    write_outputs(run, metrics_path, efficiency_path, curve_path)
    clear_state(state_path)
    metrics = run.metrics
    log.info(
        "%s seed %d: best dev %.4f (epoch %d), test %.4f",
        config.variant, seed, metrics["best_dev_accuracy"], metrics["best_epoch"],
        metrics["test_accuracy_at_best_dev"],
    )  # fmt: skip
    return metrics
