"""Inference cost of a classifier at a fixed batch and length (UniPELT Table 4; SPEC §7).

Latency is the median over `repeats` timed forward passes (after one warm-up) of a batch of
`batch_size` random token sequences of exactly `seq_len` tokens (no padding), divided by the batch
size: per example, so methods compare at equal work. Peak memory is `torch.cuda` 's high-water
mark during those passes, above what the model already holds; on a CPU no allocator statistics
exist, so it is `None` there (benchmarks/unipelt_overhead.py measures each method's peak RSS in
its own process instead).
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn


def random_batch(model: nn.Module, batch_size: int, seq_len: int, seed: int = 0) -> dict:
    """`batch_size` sequences of `seq_len` random ids (from 1000 upwards: no special tokens)."""
    generator = torch.Generator().manual_seed(seed)
    vocab = model.config.vocab_size
    ids = torch.randint(min(1000, vocab - 1), vocab, (batch_size, seq_len), generator=generator)
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}


@torch.no_grad()
def inference_cost(
    model: nn.Module, batch_size: int, seq_len: int, repeats: int
) -> dict[str, float | None]:
    """`latency_ms_per_example` and `peak_memory_mb` (None on CPU) of `model` in eval mode."""
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in random_batch(model, batch_size, seq_len).items()}
    was_training = model.training
    model.eval()
    cuda = device.type == "cuda"
    try:
        model(**batch)  # warm-up: kernels, caches, lazy allocations
        if cuda:
            torch.cuda.synchronize(device)
            held = torch.cuda.memory_allocated(device)
            torch.cuda.reset_peak_memory_stats(device)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(**batch)
            if cuda:
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - start)
        peak = (torch.cuda.max_memory_allocated(device) - held) / 2**20 if cuda else None
    finally:
        model.train(was_training)
    return {
        "latency_ms_per_example": 1000 * statistics.median(times) / batch_size,
        "peak_memory_mb": peak,
        "batch_size": batch_size,
        "seq_len": seq_len,
    }
