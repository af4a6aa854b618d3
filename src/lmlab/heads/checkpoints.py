"""θ0 and θ1 checkpoints of the head study (`lmlab.models.classifier` writes and reads them).

θ0 is the pretrained encoder with a freshly initialised classification head drawn from the
seeded torch generator (SPEC §8: I(θ0) is read through this random readout, so its seed is fixed
and recorded); θ1 is the fine-tuned model with the best dev metric. Both are complete models that
`load_classifier` (or `AutoModelForSequenceClassification.from_pretrained`) reads back offline.
"""

from __future__ import annotations

import os

import torch


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
    from lmlab.models.classifier import load_classifier
    from lmlab.runtime.devices import select_device
    from lmlab.tasks.examples import load_examples

    torch.set_float32_matmul_precision("highest")
    model, tokenizer = load_classifier(checkpoint, select_device(device))
    examples = load_examples(task, split, source, tokenizer, max_seq_len, read_eval_subset(subset))
    return model, examples
