"""UniPELT gates and their running statistics (SPEC §7; Mao et al., ACL 2022, §3.2).

Each submodule of a layer (LoRA on W_q, LoRA on W_v, the prefix, the adapter) has its own gate
G = sigmoid(W_g x + b_g), computed per token from the submodule's input x (the layer input for
LoRA and the prefix, the adapter input for the adapter) and averaged over the example's real
tokens: one scalar per example, which scales that submodule's contribution.

Gate values are logged cheaply: in eval mode every gate adds its batch's values to two scalar
buffers on the model's device (no host sync per step); `gate_statistics` reads all of them out
in one transfer, once per evaluation, and `reset_gate_statistics` starts the next window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lmlab.pelt.padding import PaddingMask

SITES = ("lora_query", "lora_value", "prefix", "adapter")


class Gate(nn.Module):
    """g(x) = mean over real tokens t of sigmoid(w . x_t + b): `[B, T, H]` -> `[B]`."""

    def __init__(
        self, hidden: int, padding: PaddingMask, layer: int, site: str, like: Tensor
    ) -> None:
        super().__init__()
        if site not in SITES:
            raise ValueError(f"gate site {site!r} is not one of {SITES}")
        self.proj = nn.Linear(hidden, 1, device=like.device, dtype=like.dtype)
        self.padding = padding
        self.layer = layer
        self.site = site
        self.register_buffer("total", torch.zeros((), device=like.device), persistent=False)
        self.register_buffer("examples", torch.zeros((), device=like.device), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        token = torch.sigmoid(self.proj(x)).squeeze(-1)
        mask = self.padding.mask
        if mask is None:
            gate = token.mean(-1)
        else:
            real = mask.to(token.dtype)
            gate = (token * real).sum(-1) / real.sum(-1).clamp_min(1)
        if not self.training:
            with torch.no_grad():
                self.total += gate.sum()
                self.examples += gate.shape[0]
        return gate


@dataclass(frozen=True)
class GateMean:
    """Mean gate value of one (layer, submodule) over the examples seen since the last reset."""

    layer: int
    site: str
    mean: float
    examples: int


def gates(model: nn.Module) -> list[Gate]:
    """Every gate of `model`, ordered by layer, then submodule as in `SITES`."""
    found = [module for module in model.modules() if isinstance(module, Gate)]
    return sorted(found, key=lambda gate: (gate.layer, SITES.index(gate.site)))


def gate_statistics(model: nn.Module) -> list[GateMean]:
    """Mean gate per layer and submodule since the last reset (one host transfer for all);
    the mean is NaN for a gate that has seen no example in eval mode."""
    found = gates(model)
    if not found:
        return []
    sums = torch.stack([torch.stack([gate.total, gate.examples]) for gate in found]).tolist()
    return [
        GateMean(gate.layer, gate.site, total / count if count else math.nan, int(count))
        for gate, (total, count) in zip(found, sums, strict=True)
    ]


def reset_gate_statistics(model: nn.Module) -> None:
    """Zero every gate's running sums (on device)."""
    for gate in gates(model):
        gate.total.zero_()
        gate.examples.zero_()
