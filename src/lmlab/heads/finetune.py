"""Stage `finetune`: full fine-tuning of θ0 on a GLUE task's train split, keeping θ1 = the epoch
with the best dev metric (SPEC §8).

A plain loop rather than the HF Trainer, so every choice the head study depends on is visible:
- θ0 (`ckpt_init/`) is written before any update: the pretrained encoder and a classification
  head initialised from `torch.manual_seed(seed)`.
- AdamW with linear warm-up and linear decay; weight decay on matrices only (never on biases or
  LayerNorm), and by default NOT on the attention projections Q, K, V, O either
  (`decay_attention: false`): decay shrinks every weight towards 0 (about 0.4% per slice on a long
  MNLI run at lr 2e-5, decay 0.01), which would swamp small per-head updates U.
- Mixed precision by hardware: bf16 > fp16 (with loss scaling) > fp32 (CPU);
  checkpoints are saved in fp32.
- Dynamic padding; per-epoch shuffles seeded from `seed`; deterministic kernels; on CPU the same
  config and seed give identical metrics and weights (SPEC §10).
- `accumulation` splits every batch into that many micro-batches with the same effective batch
  and the same loss (the rule's retry after an out-of-memory error doubles it).
- `run_config.json` records every hyper-parameter, the seeds, the precision, library versions and
  the train/dev metrics of every epoch. Checkpoints and the record are written atomically.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import platform
import time
from dataclasses import dataclass

import torch
from torch import nn

from lmlab.data.glue import glue_task
from lmlab.heads.architecture import encoder_layers, output_projection, qkv_projections
from lmlab.heads.checkpoints import initial_classifier, save_classifier
from lmlab.heads.evaluate import evaluate, primary_metric
from lmlab.heads.examples import Examples, batches, load_examples, model_inputs, per_example_loss
from lmlab.runtime.atomic import write_json
from lmlab.runtime.devices import autocast_dtype, select_device
from lmlab.runtime.logs import progress
from lmlab.runtime.seeding import seed_everything

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainSettings:
    """The config section `heads.train` (defaults as in the schema)."""

    epochs: int = 3
    batch_size: int = 32
    lr: float = 2e-5
    max_seq_len: int = 128
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    decay_attention: bool = False
    max_grad_norm: float = 1.0
    train_examples: int | None = None  # first N training examples only (None: all)
    eval_batch_size: int = 64

    @classmethod
    def from_config(cls, section: dict) -> TrainSettings:
        """Build from a config dict; unknown keys are an error naming them."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"heads.train: unknown keys {unknown}; known: {sorted(known)}")
        return cls(**section)


def attention_parameters(model: nn.Module) -> set[int]:
    """ids of the Q, K, V and W_O weights and biases of every layer."""
    ids = set()
    for layer in encoder_layers(model):
        for linear in (*qkv_projections(model, layer), output_projection(layer)):
            ids.update(id(p) for p in linear.parameters())
    return ids


def parameter_groups(model: nn.Module, weight_decay: float, decay_attention: bool) -> list[dict]:
    """AdamW groups: decay on weight matrices except (by default) the attention projections;
    never on biases and LayerNorm."""
    attention = set() if decay_attention else attention_parameters(model)
    decay, no_decay = [], []
    for param in model.parameters():
        if not param.requires_grad:
            continue
        matrix = param.dim() >= 2 and id(param) not in attention
        (decay if matrix else no_decay).append(param)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def _micro_batches(batch: dict, parts: int) -> list[dict]:
    size = -(-batch["labels"].shape[0] // parts)
    return [
        {name: value[start : start + size] for name, value in batch.items()}
        for start in range(0, batch["labels"].shape[0], size)
    ]


def _versions() -> dict[str, str]:
    import numpy
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": numpy.__version__,
    }


@dataclass
class _Trainer:
    """The optimisation state of one run: one call of `epoch` is one pass over the data."""

    model: nn.Module
    settings: TrainSettings
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    dtype: torch.dtype | None
    accumulation: int

    def epoch(self, examples: Examples, shuffle_seed: int) -> float:
        """Train one epoch; returns the mean training loss."""
        model, settings = self.model, self.settings
        device = next(model.parameters()).device
        model.train()
        total, count = 0.0, 0
        n_batches = -(-len(examples) // settings.batch_size)
        shuffled = batches(examples, settings.batch_size, device, shuffle_seed=shuffle_seed)
        for batch in progress(shuffled, "train", n_batches):
            size = batch["labels"].shape[0]
            for micro in _micro_batches(batch, self.accumulation):
                with torch.autocast(device.type, dtype=self.dtype, enabled=self.dtype is not None):
                    logits = model(**model_inputs(micro)).logits
                losses = per_example_loss(logits, micro["labels"])
                self.scaler.scale(losses.sum() / size).backward()
                total += float(losses.detach().sum())
            count += size
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.max_grad_norm)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
        return total / count


def finetune(
    model_spec: str,
    task: str,
    source: str | os.PathLike,
    eval_split: str,
    seed: int,
    train: dict,
    ckpt_init: str | os.PathLike,
    ckpt_final: str | os.PathLike,
    run_config: str | os.PathLike,
    device: str = "auto",
    accumulation: int = 1,
) -> dict:
    """Fine-tune `model_spec` on `task` (data from `source`) with the `heads.train` settings;
    write θ0, θ1 and the run record. Returns the run record."""
    from transformers import get_linear_schedule_with_warmup

    settings = TrainSettings.from_config(train)
    started = time.monotonic()
    seed_everything(seed)
    spec = glue_task(task)
    model, tokenizer = initial_classifier(model_spec, spec.label_names, seed)
    save_classifier(model, tokenizer, ckpt_init)

    limit = settings.train_examples
    train_set = load_examples(task, "train", source, tokenizer, settings.max_seq_len)
    if limit is not None:
        train_set = train_set.select(range(min(limit, len(train_set))))
    dev_set = load_examples(task, eval_split, source, tokenizer, settings.max_seq_len)

    target = select_device(device)
    dtype = autocast_dtype(target)
    model.to(target)
    optimizer = torch.optim.AdamW(
        parameter_groups(model, settings.weight_decay, settings.decay_attention), lr=settings.lr
    )
    steps = settings.epochs * -(-len(train_set) // settings.batch_size)
    warmup = int(settings.warmup_ratio * steps)
    trainer = _Trainer(
        model,
        settings,
        optimizer,
        get_linear_schedule_with_warmup(optimizer, warmup, steps),
        torch.amp.GradScaler(target.type, enabled=dtype == torch.float16),
        dtype,
        accumulation,
    )
    metric = primary_metric(task)

    epochs, best, best_state = [], None, None
    for epoch in range(1, settings.epochs + 1):
        tic = time.monotonic()
        train_loss = trainer.epoch(train_set, shuffle_seed=seed * 1000 + epoch)
        with torch.autocast(target.type, dtype=dtype, enabled=dtype is not None):
            dev = evaluate(model, dev_set, task, settings.eval_batch_size)
        seconds = time.monotonic() - tic
        epochs.append({"epoch": epoch, "train_loss": train_loss, "dev": dev, "seconds": seconds})
        log.info("epoch %d: train loss %.4f, dev %s", epoch, train_loss, dev)
        if best is None or dev[metric] > best["dev"][metric]:
            best = epochs[-1]
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}

    model.load_state_dict(best_state)
    save_classifier(model.to("cpu").float(), tokenizer, ckpt_final)
    record = {
        "model": model_spec,
        "task": task,
        "eval_split": eval_split,
        "seed": seed,
        "seeds": {
            "torch_numpy_python": seed,
            "classifier_head_init": seed,
            "epoch_shuffle": [seed * 1000 + e for e in range(1, settings.epochs + 1)],
        },
        "train": dataclasses.asdict(settings),
        "optimizer": {"name": "AdamW", "schedule": "linear warm-up, linear decay"},
        "warmup_steps": warmup,
        "total_steps": steps,
        "accumulation": accumulation,
        "n_train": len(train_set),
        "n_dev": len(dev_set),
        "device": str(target),
        "precision": str(dtype).replace("torch.", "") if dtype else "float32",
        "deterministic": True,
        "versions": _versions(),
        "metric": metric,
        "epochs": epochs,
        "best_epoch": best["epoch"],
        "best_dev": best["dev"],
        "seconds": time.monotonic() - started,
    }
    write_json(run_config, record)
    return record
