"""Inference cost of a classifier at a fixed batch and length (UniPELT Table 4; SPEC §7).

Latency is the median over `repeats` timed forward passes (after one warm-up) of a batch of
`batch_size` random token sequences of exactly `seq_len` tokens (no padding), divided by the batch
size: per example, so methods compare at equal work.

Peak memory is the high-water mark of the memory one such forward pass allocates, above what the
model already holds (its weights and buffers), in MiB. On CUDA it comes from the caching
allocator's statistics; on a CPU from `torch.profiler`'s memory events (`profile_memory=True`:
every tensor allocation and free is one event with its signed size; their running sum in time
order is the memory held, and its maximum the peak). The memory pass runs after the timed
passes, so the profiler's overhead never reaches the latency. On a CPU the value depends on the
number of intra-op threads (some kernels allocate per-thread buffers): compare runs at equal
`threads`.
"""

from __future__ import annotations

import itertools
import statistics
import time

import torch
from torch import nn
from torch.autograd import DeviceType
from torch.profiler import ProfilerActivity, profile

# Device types the profiler itself counts as CPU memory (torch.autograd.profiler).
CPU_MEMORY = (DeviceType.CPU, DeviceType.MKLDNN, DeviceType.IDEEP)


def random_batch(model: nn.Module, batch_size: int, seq_len: int, seed: int = 0) -> dict:
    """`batch_size` sequences of `seq_len` random ids (from 1000 upwards: no special tokens)."""
    generator = torch.Generator().manual_seed(seed)
    vocab = model.config.vocab_size
    ids = torch.randint(min(1000, vocab - 1), vocab, (batch_size, seq_len), generator=generator)
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}


def _cpu_peak_bytes(model: nn.Module, batch: dict) -> int:
    """Peak bytes held by CPU tensors allocated during one forward pass.

    `prof.events()` attributes each memory event to the operator around it (inclusive of its
    children, so the events cannot be summed again), and `export_memory_timeline` is deprecated;
    the raw profiler records (`kineto_results`, what both are built from) keep every event with
    its time, so the running sum is taken over those."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        model(**batch)
    events = [
        event
        for event in prof.profiler.kineto_results.events()
        if event.name() == "[memory]" and event.device_type() in CPU_MEMORY
    ]
    events.sort(key=lambda event: event.start_ns())  # stable: one thread's order is kept
    return max(itertools.accumulate((event.nbytes() for event in events), initial=0))


def _cuda_peak_bytes(model: nn.Module, batch: dict, device: torch.device) -> int:
    """Peak bytes allocated on `device` during one forward pass, above what was allocated."""
    torch.cuda.synchronize(device)
    held = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    model(**batch)
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) - held


@torch.no_grad()
def inference_cost(
    model: nn.Module, batch_size: int, seq_len: int, repeats: int
) -> dict[str, float | int]:
    """`latency_ms_per_example` and `peak_memory_mb` of `model` in eval mode, with the batch
    and length they were measured at."""
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in random_batch(model, batch_size, seq_len).items()}
    was_training = model.training
    model.eval()
    cuda = device.type == "cuda"
    try:
        model(**batch)  # warm-up: kernels, caches, lazy allocations
        times = []
        for _ in range(repeats):
            if cuda:
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            model(**batch)
            if cuda:
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - start)
        peak = _cuda_peak_bytes(model, batch, device) if cuda else _cpu_peak_bytes(model, batch)
    finally:
        model.train(was_training)
    return {
        "latency_ms_per_example": 1000 * statistics.median(times) / batch_size,
        "peak_memory_mb": peak / 2**20,
        "batch_size": batch_size,
        "seq_len": seq_len,
    }
