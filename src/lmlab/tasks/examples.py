"""Tokenised GLUE examples and dynamically padded batches, for every family that trains or scores a
sequence classifier.

Every example is tokenised once (truncated to `max_seq_len`, no padding); a batch is padded only
to its longest member. Measurement batches visit the examples sorted by length, so padding is
nearly free; training batches are a seeded shuffle. Per-example losses are summed or averaged by
the caller, so the order never changes a result.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from lmlab.data.glue import GlueSplit, load_glue


@dataclass
class Examples:
    """Token ids of one split (one list per example) and the labels (class ids or scores)."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]] | None
    labels: np.ndarray
    pad_id: int

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> np.ndarray:
        """Number of tokens of every example."""
        return np.array([len(ids) for ids in self.input_ids])

    def select(self, indices: Sequence[int]) -> Examples:
        """The examples at `indices`, in that order."""
        types = self.token_type_ids
        return Examples(
            [self.input_ids[i] for i in indices],
            None if types is None else [types[i] for i in indices],
            self.labels[np.asarray(indices, dtype=int)],
            self.pad_id,
        )


def encode_split(tokenizer, split: GlueSplit, max_seq_len: int) -> Examples:
    """Tokenise the `text_a` (and `text_b`) columns of a GLUE split, truncated to `max_seq_len`.

    Unlabeled rows (test splits) cannot be scored: a split with any is an error.
    """
    frame = split.frame
    labels = frame["label"].to_numpy()
    if split.spec.is_regression:
        if np.isnan(labels).any():
            raise ValueError(f"{split.path}: split {split.split!r} has unlabeled rows")
    elif (labels < 0).any():
        raise ValueError(f"{split.path}: split {split.split!r} has unlabeled rows")
    text_b = list(frame["text_b"]) if split.spec.is_pair else None
    encoded = tokenizer(
        list(frame["text_a"]), text_b, truncation=True, max_length=max_seq_len, padding=False
    )
    types = encoded.get("token_type_ids")
    return Examples(encoded["input_ids"], types, labels, tokenizer.pad_token_id)


def load_examples(
    task: str,
    split: str,
    source: str | os.PathLike,
    tokenizer,
    max_seq_len: int,
    indices: Sequence[int] | None = None,
) -> Examples:
    """`encode_split` of `load_glue(task, split, source)`, restricted to `indices` when given."""
    examples = encode_split(tokenizer, load_glue(task, split, source), max_seq_len)
    if indices is None:
        return examples
    if len(indices) and (min(indices) < 0 or max(indices) >= len(examples)):
        raise ValueError(
            f"{task} {split}: subset index out of range 0..{len(examples) - 1} "
            f"(the eval subset was drawn from a different split)"
        )
    return examples.select(indices)


def _pad(rows: list[list[int]], value: int) -> Tensor:
    width = max(len(row) for row in rows)
    return torch.tensor([row + [value] * (width - len(row)) for row in rows], dtype=torch.long)


def collate(examples: Examples, indices: Sequence[int], device: torch.device | str) -> dict:
    """One padded batch: `input_ids`, `attention_mask`, (`token_type_ids`), `labels`, and `index`
    (the examples' positions in `examples`)."""
    ids = [examples.input_ids[i] for i in indices]
    batch = {
        "input_ids": _pad(ids, examples.pad_id),
        "attention_mask": _pad([[1] * len(row) for row in ids], 0),
    }
    if examples.token_type_ids is not None:
        batch["token_type_ids"] = _pad([examples.token_type_ids[i] for i in indices], 0)
    labels = examples.labels[np.asarray(indices, dtype=int)]
    dtype = torch.float32 if labels.dtype.kind == "f" else torch.long
    batch["labels"] = torch.as_tensor(labels, dtype=dtype)
    batch["index"] = torch.as_tensor(indices, dtype=torch.long)
    return {name: value.to(device) for name, value in batch.items()}


def batches(
    examples: Examples,
    batch_size: int,
    device: torch.device | str = "cpu",
    shuffle_seed: int | None = None,
) -> Iterator[dict]:
    """Padded batches over all examples: longest first (measurement, `shuffle_seed=None`), or in
    a seeded random order (training)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if shuffle_seed is None:
        order = np.argsort(-examples.lengths(), kind="stable")
    else:
        order = np.random.default_rng(shuffle_seed).permutation(len(examples))
    for start in range(0, len(order), batch_size):
        yield collate(examples, order[start : start + batch_size].tolist(), device)


def model_inputs(batch: dict) -> dict:
    """The batch without `labels` and `index` (what the model's forward takes)."""
    return {name: value for name, value in batch.items() if name not in ("labels", "index")}
