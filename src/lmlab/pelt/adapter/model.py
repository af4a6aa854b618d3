"""Injecting a bottleneck adapter after the FFN of every layer (UniPELT §3.1; SPEC §7).

The adapter is attached to the layer as the child `adapter` (parameters
`...layer.{l}.adapter.down.*`, `...adapter.up.*` and, when gated, `...adapter.gate.proj.*`) and
applied by a forward hook on the module that produces the FFN output (see
`lmlab.models.architecture.feed_forward_output`).
"""

from __future__ import annotations

from torch import nn

from lmlab.models.architecture import encoder_layers, feed_forward_output, hidden_size
from lmlab.pelt.adapter.config import AdapterConfig
from lmlab.pelt.adapter.layer import Adapter
from lmlab.pelt.gates import Gate
from lmlab.pelt.padding import PaddingMask


def inject_adapters(model: nn.Module, config: AdapterConfig, padding: PaddingMask) -> list[Adapter]:
    """Add an adapter after the FFN of every layer of `model`."""
    width = hidden_size(model)
    like = next(model.parameters())
    adapters = []
    for index, layer in enumerate(encoder_layers(model)):
        gate = Gate(width, padding, index, "adapter", like) if config.gated else None
        adapter = Adapter(width, config, gate, like).train(layer.training)
        layer.add_module("adapter", adapter)
        feed_forward_output(layer).register_forward_hook(adapter.add_to_output)
        adapters.append(adapter)
    return adapters
