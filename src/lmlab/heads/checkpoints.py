"""θ0 and θ1 checkpoints of the head study: `save_pretrained` directories (safetensors weights,
config.json with the label names, tokenizer files), written atomically.

θ0 is the pretrained encoder with a freshly initialised classification head drawn from the
seeded torch generator (SPEC §8: I(θ0) is read through this random readout, so its seed is fixed
and recorded); θ1 is the fine-tuned model with the best dev metric. Both are complete models that
`load_classifier` (or `AutoModelForSequenceClassification.from_pretrained`) reads back offline.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
from torch import nn

from lmlab.runtime.atomic import atomic_path, plain_mode

log = logging.getLogger(__name__)


def initial_classifier(
    model_spec: str, label_names: tuple[str, ...], seed: int
) -> tuple[nn.Module, object]:
    """θ0: the pretrained encoder of `model_spec` (`embedded`, a directory or a hub id) with a new
    classification head for `label_names` (one output for regression when empty), initialised
    from `torch.manual_seed(seed)` so the same seed gives the same head."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from lmlab.models.resolve import resolve_model

    location = resolve_model(model_spec)
    num_labels = max(len(label_names), 1)
    labels = {
        "id2label": dict(enumerate(label_names)),
        "label2id": {name: i for i, name in enumerate(label_names)},
    }
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(
        location, num_labels=num_labels, **(labels if label_names else {})
    )
    tokenizer = AutoTokenizer.from_pretrained(location)
    return model, tokenizer


def save_classifier(model: nn.Module, tokenizer: object, path: str | os.PathLike) -> Path:
    """Write `model` (safetensors) and `tokenizer` to the directory `path`, atomically: the
    directory appears under its name only once both are complete (SPEC §10)."""
    with atomic_path(path, directory=True) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        for file in tmp.iterdir():  # the weights writer leaves owner-only files
            plain_mode(file)
    log.info("saved checkpoint %s", path)
    return Path(path)


def load_measured(
    checkpoint: str | os.PathLike,
    task: str,
    split: str,
    source: str | os.PathLike,
    subset: str | os.PathLike,
    max_seq_len: int,
    device: str = "auto",
):
    """What every measurement stage starts from: the checkpoint in fp32 on the selected device
    (full-precision matmuls: bf16/tf32 errors are as large as unimportant heads' scores) and the
    encoded eval-subset examples (indices in the JSON file `subset`) of `task`'s `split`."""
    from lmlab.heads.subset import read_eval_subset
    from lmlab.runtime.devices import select_device
    from lmlab.tasks.examples import load_examples

    torch.set_float32_matmul_precision("highest")
    model, tokenizer = load_classifier(checkpoint, select_device(device))
    examples = load_examples(task, split, source, tokenizer, max_seq_len, read_eval_subset(subset))
    return model, examples


def load_classifier(
    path: str | os.PathLike, device: torch.device | str = "cpu"
) -> tuple[nn.Module, object]:
    """Read a checkpoint written by `save_classifier`: (model in fp32 and eval mode, tokenizer)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path} is not a checkpoint directory (no config.json)")
    model = AutoModelForSequenceClassification.from_pretrained(path, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(path)
    return model.to(device).eval(), tokenizer
