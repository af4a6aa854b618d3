"""The bottleneck adapter of one layer (Houlsby et al., ICML 2019; Pfeiffer placement; UniPELT
§3.1-3.2).

Placed on the FFN output h_F before that block's residual and LayerNorm: h_F becomes
h_F + G * W_up ReLU(W_down h_F), then LayerNorm(h_F' + x) as before. The bottleneck is
hidden / reduction wide (48 for BERT-base); W_up (weight and bias) starts at zero, so training
starts from the pretrained function. Ungated adapters use G = 1; in UniPELT G is computed from
the adapter input h_F.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lmlab.pelt.adapter.config import AdapterConfig
from lmlab.pelt.gates import Gate


class Adapter(nn.Module):
    """G * W_up ReLU(W_down h) for hidden states h `[B, T, H]`."""

    def __init__(self, hidden: int, config: AdapterConfig, gate: Gate | None, like: Tensor) -> None:
        super().__init__()
        bottleneck = hidden // config.reduction
        if bottleneck < 1:
            raise ValueError(f"adapter reduction {config.reduction} leaves no width of {hidden}")
        self.down = nn.Linear(hidden, bottleneck, device=like.device, dtype=like.dtype)
        self.up = nn.Linear(bottleneck, hidden, device=like.device, dtype=like.dtype)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)
        self.gate = gate

    def forward(self, hidden_states: Tensor) -> Tensor:
        out = self.up(torch.relu(self.down(hidden_states)))
        if self.gate is None:
            return out
        return out * self.gate(hidden_states)[:, None, None]

    def add_to_output(self, _module: nn.Module, _args: tuple, output: Tensor) -> Tensor:
        """Forward hook on the module producing h_F: h_F + adapter(h_F)."""
        return output + self(output)
