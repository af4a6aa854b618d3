"""Sequence classifiers every family fine-tunes: a pretrained encoder with a seeded new
classification head, saved and loaded as `save_pretrained` directories (safetensors weights,
config.json with the label names, tokenizer files), written atomically, with `integrity.json`
(each file's size and sha256, lmlab.runtime.integrity): loading checks it first, so a truncated
or damaged checkpoint is an error naming the file, never a silently changed model (safetensors
would catch a truncation, but not changed weight bytes or a changed config.json).

The head is initialised from `torch.manual_seed(seed)`, so the same seed gives the same head
(the head study reads θ0 through it; UniPELT reloads its stored artefact onto it).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
from torch import nn

from lmlab.runtime.atomic import atomic_path, plain_mode
from lmlab.runtime.integrity import check_manifest, write_manifest

log = logging.getLogger(__name__)


def initial_classifier(
    model_spec: str, label_names: tuple[str, ...], seed: int
) -> tuple[nn.Module, object]:
    """The pretrained encoder of `model_spec` (`embedded`, a directory or a hub id) with a new
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
    directory appears under its name only once both and their integrity record are complete
    (SPEC §10)."""
    with atomic_path(path, directory=True) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_manifest(tmp)
        for file in tmp.iterdir():  # the weights writer leaves owner-only files
            plain_mode(file)
    log.info("saved checkpoint %s", path)
    return Path(path)


def load_classifier(
    path: str | os.PathLike, device: torch.device | str = "cpu"
) -> tuple[nn.Module, object]:
    """Read a checkpoint written by `save_classifier`: (model in fp32 and eval mode, tokenizer).
    A file that differs from its integrity record raises `CorruptFileError` naming it (hashing
    streams about 1 GB/s: under a second for a base model, against its load and use)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path} is not a checkpoint directory (no config.json)")
    check_manifest(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(path)
    return model.to(device).eval(), tokenizer
