"""Stage `probe`: a readout of θ0 that measures something.

θ0's classification head is random, so through it the loss stays near ln(#labels) whatever head
is ablated, and I_pre, G, F and Ppred at θ0 are mostly noise. The probe readout fits ONLY the
classification head (`lmlab.models.architecture.classification_head`) on the frozen θ0 encoder,
so that the θ0 measurements ask "how much does the pretrained encoder's head (l, h) matter to a
readout that can use its features" (the linear-probe protocol of Alain & Bengio 2016,
"Understanding intermediate layers using linear classifier probes").

- Budget: exactly `steps` optimizer steps of `batch_size` training examples, in the seeded
  order of the fine-tuning epochs (`epoch_batches`), passes over the train split concatenated
  as needed; AdamW without weight decay, no warm-up, linear decay to 0, on the shared loop
  (`lmlab.training.loop`, one "epoch" of `steps` batches, resumable like every training stage).
- The encoder's weights stay θ0's bit for bit; the head starts from θ0's seeded random head.
- `probe.json` records the settings, the dev metric of the random head (before) and of the
  probe (after) on the eval split, and which modules were trained.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os

import torch

from lmlab.config import HeadsProbe
from lmlab.models.architecture import classification_head
from lmlab.models.classifier import load_classifier, save_classifier
from lmlab.runtime.atomic import write_json
from lmlab.runtime.devices import select_device
from lmlab.runtime.seeding import seed_everything
from lmlab.tasks.examples import load_examples
from lmlab.tasks.metrics import primary_metric
from lmlab.training.classification import ClassificationProblem, epoch_batches
from lmlab.training.loop import LoopSettings, ParamGroup, train
from lmlab.training.state import clear_state, fingerprint

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ProbeProblem(ClassificationProblem):
    """A classification problem whose single epoch is `steps` batches of the training split."""

    steps: int = 1

    def batch_indices(self, epoch: int) -> list[list[int]]:
        passes = (
            epoch_batches(len(self.train), self.batch_size, self.seed, number)
            for number in itertools.count(1)
        )
        return list(itertools.islice(itertools.chain.from_iterable(passes), self.steps))


def freeze_encoder(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """Stop gradients everywhere but the classification head; return the head's parameters."""
    head = [p for module in classification_head(model).values() for p in module.parameters()]
    trainable = {id(p) for p in head}
    for param in model.parameters():
        param.requires_grad_(id(param) in trainable)
    return head


def fit_probe(
    ckpt_init: str | os.PathLike,
    task: str,
    source: str | os.PathLike,
    eval_split: str,
    seed: int,
    settings: HeadsProbe,
    max_seq_len: int,
    eval_batch_size: int,
    ckpt_probe: str | os.PathLike,
    record_path: str | os.PathLike,
    state_path: str | os.PathLike,
    device: str = "auto",
) -> dict:
    """Fit the classification head of θ0 (`ckpt_init`) on `task`'s train split; write θ0 with
    the fitted head to `ckpt_probe` and the run record to `record_path`. Returns the record."""
    seed_everything(seed)
    model, tokenizer = load_classifier(ckpt_init)
    train_set = load_examples(task, "train", source, tokenizer, max_seq_len)
    dev_set = load_examples(task, eval_split, source, tokenizer, max_seq_len)
    model.to(select_device(device))
    head = freeze_encoder(model)
    problem = ProbeProblem(
        task, train_set, dev_set, seed, settings.batch_size, eval_batch_size, steps=settings.steps
    )
    metric = primary_metric(task)
    before = problem.evaluate(model)["dev"]
    loop = LoopSettings(
        epochs=1,
        batch_size=settings.batch_size,
        micro_batch_size=settings.batch_size,
        warmup_ratio=0.0,
        max_grad_norm=1.0,
        optimizer="adamw",
        patience=None,
        metric=metric,
    )
    key = fingerprint(
        checkpoint=str(ckpt_init), task=task, source=str(source), split=eval_split, seed=seed,
        probe=dataclasses.asdict(settings), n_train=len(train_set), n_dev=len(dev_set),
    )  # fmt: skip
    result = train(
        model, problem, [ParamGroup("head", head, settings.lr, 0.0)], loop, state_path, key
    )
    save_classifier(model.to("cpu").float(), tokenizer, ckpt_probe)
    after = result.best["dev"]
    record = {
        "readout": "probe",
        "encoder": "θ0 (frozen, unchanged)",
        "trained": sorted(classification_head(model)),
        "trainable_parameters": sum(p.numel() for p in head),
        "task": task,
        "eval_split": eval_split,
        "seed": seed,
        "probe": dataclasses.asdict(settings),
        "examples_seen": settings.steps * settings.batch_size,
        "n_train": len(train_set),
        "n_dev": len(dev_set),
        "metric": metric,
        "dev_random_head": before,
        "dev_probe": after,
    }
    write_json(record_path, record)
    clear_state(state_path)
    log.info(
        "probe readout: dev %s %.4f (random head %.4f) after %d steps",
        metric,
        after[metric],
        before[metric],
        settings.steps,
    )
    return record
