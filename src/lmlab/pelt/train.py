"""Stage `train`: one (task, K, method, seed) run of the UniPELT comparison (SPEC §7) on the shared
training loop and task layer.

The classifier is the pretrained `model` with a classification head drawn from the seed
(`lmlab.models.classifier`); `lmlab.pelt.apply_method` adds the method and freezes what it does
not train (the head always trains). Data follow the low-resource protocol (`lmlab.tasks.kshot`,
the seed is the data seed: every seed draws its own K examples): K training examples, `dev_size`
dev examples for early stopping and model selection, the official dev split as test. AdamW with
the method's learning rate (`unipelt.train.lr`), weight decay on matrices only, warm-up then
linear decay, early stopping after `patience` epochs without a dev gain, the task's metric.

Outputs:
- `metrics.json`: best dev metric, test metric of that epoch's model (scored once, after
  training: the test split plays no part in training or selection), trainable
  parameters per component during training and as stored, the dev metric per epoch;
- `efficiency.json` (what the machine measured, apart: no two runs share it): seconds per
  training step, the loop's timings (`lmlab.training.timings`), and inference latency per
  example and peak memory (`lmlab.pelt.efficiency`, on CUDA and CPU alike) at
  `unipelt.efficiency`'s batch and length;
- `gates.csv`: mean gate per layer and submodule on dev, read once after training from on-device
  running sums (no row for a method without gates: the header alone);
- `stored/`: the artefact inference needs (`lmlab.pelt.stored`).
"""

from __future__ import annotations

import dataclasses
import logging
import os

import pandas as pd
from torch import nn

from lmlab.data.glue import glue_task
from lmlab.models.classifier import initial_classifier
from lmlab.pelt.config import Efficiency, MethodSizes, UniPELTTrain
from lmlab.pelt.efficiency import inference_cost
from lmlab.pelt.gates import gate_statistics, reset_gate_statistics
from lmlab.pelt.methods import apply_method, trainable_parameter_counts
from lmlab.pelt.stored import save_stored
from lmlab.runtime.atomic import atomic_path, write_json
from lmlab.runtime.devices import select_device
from lmlab.runtime.seeding import seed_everything
from lmlab.tasks.evaluate import evaluate
from lmlab.tasks.examples import load_examples
from lmlab.tasks.kshot import kshot_indices, official_test_split
from lmlab.tasks.metrics import primary_metric
from lmlab.training.classification import ClassificationProblem
from lmlab.training.loop import LoopSettings, ParamGroup, train
from lmlab.training.state import clear_state, fingerprint
from lmlab.training.timings import run_timings

log = logging.getLogger(__name__)

GATE_COLUMNS = ["layer", "submodule", "mean_gate", "examples"]


def parameter_groups(model: nn.Module, lr: float, weight_decay: float) -> list[ParamGroup]:
    """The trainable parameters: matrices with weight decay, biases and norms without."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [
        ParamGroup("decay", [p for p in trainable if p.dim() >= 2], lr, weight_decay),
        ParamGroup("no_decay", [p for p in trainable if p.dim() < 2], lr, 0.0),
    ]


def gate_table(model: nn.Module, problem: ClassificationProblem) -> pd.DataFrame:
    """Mean gate per (layer, submodule) over one pass on dev."""
    reset_gate_statistics(model)
    evaluate(model, problem.dev, problem.task, problem.eval_batch_size)
    rows = [(g.layer, g.site, g.mean, g.examples) for g in gate_statistics(model)]
    return pd.DataFrame(rows, columns=GATE_COLUMNS)


def train_unipelt(
    model_spec: str,
    task: str,
    source: str | os.PathLike,
    k: int | str,
    method: str,
    seed: int,
    sizes: MethodSizes,
    settings: UniPELTTrain,
    dev_size: int,
    max_seq_len: int,
    efficiency: Efficiency,
    outputs: dict[str, str | os.PathLike],
    state_path: str | os.PathLike,
    device: str = "auto",
) -> dict:
    """Train one run and write `outputs` (`metrics`, `efficiency`, `gates`, `stored`); returns
    the metrics."""
    seed_everything(seed)
    spec = glue_task(task)
    model, tokenizer = initial_classifier(model_spec, spec.label_names, seed)
    apply_method(model, sizes.for_method(method))
    counts = trainable_parameter_counts(model)

    every = load_examples(task, "train", source, tokenizer, max_seq_len)
    train_idx, dev_idx = kshot_indices(len(every), k, dev_size, seed)
    test = load_examples(task, official_test_split(task), source, tokenizer, max_seq_len)
    problem = ClassificationProblem(
        task, every.select(train_idx), every.select(dev_idx), seed, settings.batch_size,
        settings.eval_batch_size,
    )  # fmt: skip
    metric = primary_metric(task)
    loop = LoopSettings(
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        micro_batch_size=settings.batch_size,
        warmup_ratio=settings.warmup_ratio,
        max_grad_norm=settings.max_grad_norm,
        optimizer="adamw",
        patience=settings.patience,
        metric=metric,
    )
    run = {"model": model_spec, "task": task, "k": k, "method": method, "seed": seed,
           "sizes": dataclasses.asdict(sizes), "train": dataclasses.asdict(settings),
           "dev_size": dev_size, "max_seq_len": max_seq_len}  # fmt: skip
    key = fingerprint(**run)
    target = select_device(device)
    model.to(target)
    groups = parameter_groups(model, settings.lr[method], settings.weight_decay)
    result = train(model, problem, groups, loop, state_path, key)

    tested = evaluate(model, test, task, settings.eval_batch_size)  # the best dev epoch's model
    gates = gate_table(model, problem)
    cost = inference_cost(model, efficiency.batch_size, efficiency.seq_len, efficiency.repeats)
    save_stored(model, outputs["stored"])
    steps = (len(result.history) - result.resumed_from) * len(problem.batch_indices(1))
    metrics = {
        **run,
        "metric": metric,
        "best_epoch": result.best_epoch,
        "dev": result.best["dev"][metric],
        "test": tested[metric],
        "test_metrics": tested,
        "n_train": len(train_idx),
        "n_dev": len(dev_idx),
        "n_test": len(test),
        "trainable_parameters": {
            "training": counts.training_total,
            "stored": counts.stored_total,
            "training_by_component": counts.training,
            "stored_by_component": counts.stored,
            "model": counts.model,
        },
        "device": str(target),
        "epochs": [
            {
                "epoch": row["epoch"],
                "train_loss": row["train_loss"],
                "dev": row["dev"][metric],
            }
            for row in result.history
        ],
    }
    measured = {
        # no step in this process when it resumed after the last epoch (killed while writing)
        "seconds_per_train_step": result.train_seconds / steps if steps else float("nan"),
        **run_timings(result),
        "inference": cost,
    }
    with atomic_path(outputs["gates"]) as tmp:
        gates.to_csv(tmp, index=False, float_format="%.6g")
    write_json(outputs["efficiency"], measured)
    write_json(outputs["metrics"], metrics)
    clear_state(state_path)
    log.info("%s K=%s %s seed %d: dev %s %.4f, test %.4f", task, k, method, seed, metric,
             metrics["dev"], metrics["test"])  # fmt: skip
    return metrics
