"""Stage `finetune`: full fine-tuning of θ0 on a GLUE task's train split, keeping θ1 = the epoch
with the best dev metric (SPEC §8), on the shared training loop (`lmlab.training.loop`).

What the head study depends on, made explicit here:
- θ0 (`ckpt_init/`) is written before any update: the pretrained encoder and a classification
  head initialised from `torch.manual_seed(seed)`.
- AdamW with linear warm-up and linear decay; weight decay on matrices only (never on biases or
  LayerNorm), and by default NOT on the attention projections Q, K, V, O either
  (`decay_attention: false`): decay shrinks every weight towards 0 (about 0.4% per slice on a long
  MNLI run at lr 2e-5, decay 0.01), which would swamp small per-head updates U.
- `accumulation` splits every batch into that many micro-batches with the same effective batch
  and the same loss (the rule's retry after an out-of-memory error doubles it; inside a run the
  loop halves the micro-batch on CUDA out-of-memory).
- A killed run resumes from its last epoch checkpoint (`state_path`) with the same result.
- `run_config.json` records every hyper-parameter, the seeds, the precision, library versions and
  the train/dev metrics of every epoch; the run's timings go to `efficiency.json`
  (`lmlab.training.timings`), so that the record is the same in every run. Checkpoints and both
  files are written atomically.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import platform

import torch
from torch import nn

from lmlab.config import HeadsTrain
from lmlab.data.glue import glue_task
from lmlab.models.architecture import encoder_layers, output_projection, qkv_projections
from lmlab.models.classifier import initial_classifier, save_classifier
from lmlab.runtime.atomic import write_json
from lmlab.runtime.devices import autocast_dtype, select_device
from lmlab.runtime.seeding import seed_everything
from lmlab.tasks.examples import load_examples
from lmlab.tasks.metrics import primary_metric
from lmlab.training.classification import ClassificationProblem, shuffle_seed
from lmlab.training.loop import LoopSettings, ParamGroup, train
from lmlab.training.state import clear_state, fingerprint
from lmlab.training.timings import run_timings, without_timings

log = logging.getLogger(__name__)


def attention_parameters(model: nn.Module) -> set[int]:
    """ids of the Q, K, V and W_O weights and biases of every layer."""
    ids = set()
    for layer in encoder_layers(model):
        for linear in (*qkv_projections(model, layer), output_projection(layer)):
            ids.update(id(p) for p in linear.parameters())
    return ids


def parameter_groups(model: nn.Module, settings: HeadsTrain) -> list[ParamGroup]:
    """AdamW groups: decay on weight matrices except (by default) the attention projections;
    never on biases and LayerNorm."""
    attention = set() if settings.decay_attention else attention_parameters(model)
    decay, no_decay = [], []
    for param in model.parameters():
        if not param.requires_grad:
            continue
        matrix = param.dim() >= 2 and id(param) not in attention
        (decay if matrix else no_decay).append(param)
    return [
        ParamGroup("decay", decay, settings.lr, settings.weight_decay),
        ParamGroup("no_decay", no_decay, settings.lr, 0.0),
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


def finetune(
    model_spec: str,
    task: str,
    source: str | os.PathLike,
    eval_split: str,
    seed: int,
    settings: HeadsTrain,
    ckpt_init: str | os.PathLike,
    ckpt_final: str | os.PathLike,
    run_config: str | os.PathLike,
    efficiency: str | os.PathLike,
    state_path: str | os.PathLike,
    device: str = "auto",
    accumulation: int = 1,
) -> dict:
    """Fine-tune `model_spec` on `task` (data from `source`) with the `heads.train` settings;
    write θ0, θ1, the run record and its timings (the loop's checkpoint lives at `state_path`
    until then). Returns the run record."""
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
    metric = primary_metric(task)
    problem = ClassificationProblem(
        task, train_set, dev_set, seed, settings.batch_size, settings.eval_batch_size
    )
    loop = LoopSettings(
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        micro_batch_size=-(-settings.batch_size // accumulation),
        warmup_ratio=settings.warmup_ratio,
        max_grad_norm=settings.max_grad_norm,
        optimizer="adamw",
        patience=None,
        metric=metric,
    )
    key = fingerprint(
        model=model_spec, task=task, source=str(source), split=eval_split, seed=seed,
        train=dataclasses.asdict(settings), n_train=len(train_set), n_dev=len(dev_set),
    )  # fmt: skip
    result = train(model, problem, parameter_groups(model, settings), loop, state_path, key)

    save_classifier(model.to("cpu").float(), tokenizer, ckpt_final)
    record = {
        "model": model_spec,
        "task": task,
        "eval_split": eval_split,
        "seed": seed,
        "seeds": {
            "torch_numpy_python": seed,
            "classifier_head_init": seed,
            "epoch_shuffle": [shuffle_seed(seed, e) for e in range(1, settings.epochs + 1)],
        },
        "train": dataclasses.asdict(settings),
        "optimizer": {"name": "AdamW", "schedule": "linear warm-up, linear decay"},
        "warmup_steps": result.warmup_steps,
        "total_steps": result.total_steps,
        "accumulation": accumulation,
        "micro_batch_size": result.micro_batch_size,
        "n_train": len(train_set),
        "n_dev": len(dev_set),
        "device": str(target),
        "precision": str(dtype).replace("torch.", "") if dtype else "float32",
        "deterministic": True,
        "versions": _versions(),
        "metric": metric,
        "epochs": without_timings(result.history),
        "best_epoch": result.best_epoch,
        "best_dev": result.best["dev"],
    }
    write_json(efficiency, run_timings(result))
    write_json(run_config, record)
    clear_state(state_path)
    return record
