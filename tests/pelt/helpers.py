"""Shared helpers of the UniPELT tests: a small config per method, random method parameters
(B and W_up start at zero, which would hide every effect), gates forced to a value."""

from __future__ import annotations

import math

import torch
from torch import nn

from lmlab.pelt.config import PeltConfig
from lmlab.pelt.gates import gates
from lmlab.pelt.methods import parameter_components


def tiny_config(method: str) -> PeltConfig:
    return PeltConfig(
        method=method,
        lora_rank=4,
        lora_alpha=8.0,
        prefix_length=3,
        prefix_hidden=16,
        adapter_reduction=4,
    )


def randomise(model: nn.Module, seed: int = 5, std: float = 0.3) -> nn.Module:
    """Draw every parameter of the method's own components from N(0, std^2), in name order."""
    generator = torch.Generator().manual_seed(seed)
    own = {"lora", "prefix", "adapter", "gates"}
    components = parameter_components(model)
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters()):
            if components[name] in own:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * std)
    return model


def force_gates(model: nn.Module, sites: set[str], value: float) -> None:
    """Make every gate at `sites` return exactly `value` (0 via a bias of -inf)."""
    bias = -math.inf if value == 0 else math.log(value / (1 - value))
    with torch.no_grad():
        for gate in gates(model):
            if gate.site in sites:
                gate.proj.weight.zero_()
                gate.proj.bias.fill_(bias)


def logits(model: nn.Module, batch: dict) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
