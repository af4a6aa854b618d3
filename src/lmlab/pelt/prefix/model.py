"""Injecting prefix-tuning into every layer (UniPELT §3.1; SPEC §7).

Each layer's self-attention module gets the child `prefix` (a `PrefixLayer`, with its gate when
gated). Trained form: the shared reparameterisation MLP is the child `prefix_encoder` of the
encoder model (`model.base_model`). Stored form (`stored=True`, for loading a trained prefix):
no MLP, each `prefix` owns its keys and values; `materialised_prefix` turns a trained model's MLP
output into exactly those tensors.

How the prefix reaches the attention scores depends on the family: BERT and RoBERTa through the
attention interface (`prefix/attention.py`), DeBERTa-v2 through its own attention subclass
(`prefix/deberta.py`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lmlab.models.architecture import (
    attention_self,
    encoder_layers,
    head_shape,
    hidden_size,
    model_type,
)
from lmlab.pelt.gates import Gate
from lmlab.pelt.padding import PaddingMask
from lmlab.pelt.prefix.attention import PassPrefix, prefixed_implementation
from lmlab.pelt.prefix.config import PrefixConfig
from lmlab.pelt.prefix.deberta import PrefixedDisentangledSelfAttention
from lmlab.pelt.prefix.layer import PrefixEncoder, PrefixLayer

ENCODER_NAME = "prefix_encoder"


def inject_prefix(
    model: nn.Module, config: PrefixConfig, padding: PaddingMask, stored: bool
) -> list[PrefixLayer]:
    """Give every layer of `model` a prefix of `config.length` keys and values."""
    layers, heads, head_dim = head_shape(model)
    width = heads * head_dim
    hidden = hidden_size(model)
    like = next(model.parameters())
    deberta = model_type(model) == "deberta-v2"
    source = None
    if not stored:
        source = PrefixEncoder(config, hidden, layers, width, like).train(model.training)
        model.base_model.add_module(ENCODER_NAME, source)
    prefixes = []
    for index, layer in enumerate(encoder_layers(model)):
        gate = Gate(hidden, padding, index, "prefix", like) if config.gated else None
        prefix = PrefixLayer(config, width, index, gate, source, like).train(layer.training)
        attention = attention_self(layer)
        attention.add_module("prefix", prefix)
        if deberta:
            attention.__class__ = PrefixedDisentangledSelfAttention
        else:
            attention.register_forward_pre_hook(PassPrefix(prefix), with_kwargs=True)
        prefixes.append(prefix)
    if not deberta:
        model.config._attn_implementation = prefixed_implementation(
            model.config._attn_implementation
        )
    return prefixes


def materialised_prefix(model: nn.Module) -> dict[str, Tensor]:
    """The stored form of every prefix of `model`: `{"<module>.key": [P, W], "<module>.value":
    [P, W]}` under the names a model injected with `stored=True` gives them."""
    tensors = {}
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, PrefixLayer):
                keys, values = module.keys_values()
                tensors[f"{name}.key"] = keys.detach().clone()
                tensors[f"{name}.value"] = values.detach().clone()
    return tensors
