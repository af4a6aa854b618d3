"""Injecting LoRA into W_q and W_v of every layer (UniPELT §3.1; SPEC §7).

Each target projection keeps its name and weights; the branch is attached to it as the child
`lora` (parameters `...query.lora.A.weight`, `...query.lora.B.weight` and, when gated,
`...query.lora.gate.proj.*`) and added to its output by a forward hook. Hooks on the layer's
self-attention module record its token states (see `AttentionInput`).
"""

from __future__ import annotations

from torch import nn

from lmlab.models.architecture import (
    attention_self,
    encoder_layers,
    hidden_size,
    qkv_projections,
)
from lmlab.pelt.gates import Gate
from lmlab.pelt.lora.config import LoraConfig
from lmlab.pelt.lora.layer import AttentionInput, LoraBranch
from lmlab.pelt.padding import PaddingMask


def inject_lora(model: nn.Module, config: LoraConfig, padding: PaddingMask) -> list[LoraBranch]:
    """Add a LoRA branch to the query and value projections of every layer of `model`."""
    width = hidden_size(model)
    branches = []
    for index, layer in enumerate(encoder_layers(model)):
        tokens = AttentionInput()
        attention = attention_self(layer)
        attention.register_forward_pre_hook(tokens.capture, with_kwargs=True)
        attention.register_forward_hook(tokens.release)
        query, _, value = qkv_projections(model, layer)
        for site, linear in (("lora_query", query), ("lora_value", value)):
            gate = Gate(width, padding, index, site, linear.weight) if config.gated else None
            branch = LoraBranch(linear, config, gate, tokens).train(linear.training)
            linear.add_module("lora", branch)
            linear.register_forward_hook(branch.add_to_output)
            branches.append(branch)
    return branches
