"""Inference cost on a CPU: the peak memory of the forward pass is measured (profiler memory
events), excludes what the model holds, grows with the batch and is the same twice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from lmlab.pelt.efficiency import inference_cost

from ..tiny_models import build_tiny

MiB = 2**20


class Widening(nn.Module):
    """Holds 4 MiB of weights; its forward allocates a known amount: the ids as float (4 bytes
    each), then 1000 copies of them, then one float (the sum)."""

    config = SimpleNamespace(vocab_size=100)

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(MiB))

    def forward(self, input_ids, attention_mask):
        return input_ids.float().repeat(1, 1000).sum() + self.weight[0]


def test_cpu_peak_is_what_the_forward_allocates_above_the_weights():
    cost = inference_cost(Widening(), batch_size=4, seq_len=8, repeats=1)
    expected = 4 * 8 * 4 * (1 + 1000)  # float ids and their copies, alive together
    assert cost["peak_memory_mb"] * MiB == pytest.approx(expected, rel=0.01)


def test_cpu_peak_of_an_encoder_grows_with_the_batch_and_is_reproducible():
    model = build_tiny("bert-sdpa").train()
    small = inference_cost(model, batch_size=2, seq_len=32, repeats=1)
    large = inference_cost(model, batch_size=8, seq_len=32, repeats=1)
    again = inference_cost(model, batch_size=8, seq_len=32, repeats=1)
    assert model.training  # the mode is restored
    assert small["peak_memory_mb"] > 0 and small["latency_ms_per_example"] > 0
    assert large["peak_memory_mb"] == again["peak_memory_mb"]
    # activations scale with the batch; a little is shared (e.g. the position ids)
    assert 3.5 < large["peak_memory_mb"] / small["peak_memory_mb"] <= 4.0
    assert (large["batch_size"], large["seq_len"]) == (8, 32)
