"""The LoRA branch of one linear map (Hu et al., ICLR 2022; UniPELT §3.1-3.2).

A frozen projection W x gains a low-rank update: W x + s * B A x, with A `[r, d_in]`, B
`[d_out, r]` and B initialised to zero (so training starts from the pretrained function). Plain
LoRA uses the fixed scaling s = alpha / r; in UniPELT the gate G(x) takes the place of s, one
gate per matrix, computed from the same input x (the layer input for W_q and W_v).

The update applies to the layer's token states only. DeBERTa-v2/v3 with `share_att_key` also
pass the relative-position embeddings through W_q and W_k; those have no example, so no
per-example gate, and keep the pretrained projection (gated or not, so that the single-method
baseline and UniPELT agree). `AttentionInput` tells the two calls apart by tensor identity.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from lmlab.pelt.gates import Gate
from lmlab.pelt.lora.config import LoraConfig


class AttentionInput:
    """The token states entering one layer's self-attention during its forward pass (hooks on
    the attention module keep it; `hidden_states` and, for DeBERTa, `query_states`)."""

    def __init__(self) -> None:
        self.states: tuple[Tensor, ...] = ()

    def capture(self, _module: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
        hidden = args[0] if args else kwargs["hidden_states"]
        query = kwargs.get("query_states", args[3] if len(args) > 3 else None)
        self.states = (hidden,) if query is None else (hidden, query)

    def release(self, _module: nn.Module, _args: tuple, _output: Any) -> None:
        self.states = ()

    def holds(self, x: Tensor) -> bool:
        return any(x is state for state in self.states)


class LoraBranch(nn.Module):
    """s * B A x for the linear map `base` (whose output it is added to by `add_to_output`)."""

    def __init__(
        self, base: nn.Linear, config: LoraConfig, gate: Gate | None, tokens: AttentionInput
    ) -> None:
        super().__init__()
        weight = base.weight
        self.A = nn.Linear(
            base.in_features, config.rank, bias=False, device=weight.device, dtype=weight.dtype
        )
        self.B = nn.Linear(
            config.rank, base.out_features, bias=False, device=weight.device, dtype=weight.dtype
        )
        nn.init.zeros_(self.B.weight)
        self.gate = gate
        self.scaling = config.scaling
        self.tokens = tokens

    def forward(self, x: Tensor) -> Tensor:
        update = self.B(self.A(x))
        if self.gate is None:
            return update * self.scaling
        return update * self.gate(x)[:, None, None]

    def add_to_output(self, _module: nn.Module, args: tuple, output: Tensor) -> Tensor:
        """Forward hook on the base linear map: W x + s * B A x for token states x."""
        if not self.tokens.holds(args[0]):
            return output
        return output + self(args[0])
