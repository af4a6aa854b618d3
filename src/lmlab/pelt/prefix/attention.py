"""Prefix keys and values for BERT and RoBERTa through transformers 5's attention interface.

Their self-attention computes Q, K, V and hands them, with the 4-D mask and any extra keyword
arguments, to `ALL_ATTENTION_FUNCTIONS[config._attn_implementation]`. lmlab registers, for a
base implementation (`eager` or `sdpa`), an implementation `lmlab_prefix_<base>` that
prepends the prefix (passed as the keyword `pelt_prefix` by a forward pre-hook on the attention
module) to K and V, widens the mask by P always-allowed columns, and calls the base function;
the mask builder of the base implementation is registered under the same name. The prefix thus
takes part in eager and sdpa attention alike, and an attention call without a prefix is the base
call unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS, AttentionInterface

from lmlab.pelt.prefix.layer import PrefixLayer

NAME_PREFIX = "lmlab_prefix_"
KEYWORD = "pelt_prefix"
SUPPORTED = ("eager", "sdpa")  # flash attention would need the prefix in its unpadding


def _base_function(module: nn.Module, base: str) -> Callable:
    """The attention function `base` names; `eager` is not registered in transformers, each
    modeling file defines its own `eager_attention_forward`."""
    if base == "eager":
        return sys.modules[type(module).__module__].eager_attention_forward
    return ALL_ATTENTION_FUNCTIONS[base]


def _extend(key: Tensor, value: Tensor, mask: Tensor | None, prefix: tuple[Tensor, Tensor]):
    """Prepend prefix keys/values `[B, P, W]` to K, V `[B, heads, T, D]`; allow them in `mask`
    (boolean: True = attend; float: additive, 0 = attend; None: everything is attended)."""
    batch, heads, _, dim = key.shape
    prefix_key, prefix_value = (
        part.to(key.dtype).view(batch, -1, heads, dim).transpose(1, 2) for part in prefix
    )
    key = torch.cat([prefix_key, key], dim=2)
    value = torch.cat([prefix_value, value], dim=2)
    if mask is not None:
        block = (*mask.shape[:-1], prefix_key.shape[2])
        allowed = mask.new_ones(block) if mask.dtype == torch.bool else mask.new_zeros(block)
        mask = torch.cat([allowed, mask], dim=-1)
    return key, value, mask


def _prefixed(base: str) -> Callable:
    def attention(module, query, key, value, attention_mask, **kwargs: Any):
        prefix = kwargs.pop(KEYWORD, None)
        if prefix is not None:
            key, value, attention_mask = _extend(key, value, attention_mask, prefix)
        return _base_function(module, base)(module, query, key, value, attention_mask, **kwargs)

    return attention


def prefixed_implementation(base: str) -> str:
    """The registered name of `base` with prefixes (registering it on first use)."""
    if base.startswith(NAME_PREFIX):
        return base
    if base not in SUPPORTED:
        raise ValueError(
            f"prefix-tuning supports attention {SUPPORTED} for BERT/RoBERTa, got {base!r}"
        )
    name = NAME_PREFIX + base
    if name not in ALL_ATTENTION_FUNCTIONS:
        AttentionInterface.register(name, _prefixed(base))
        AttentionMaskInterface.register(name, ALL_MASK_ATTENTION_FUNCTIONS[base])
    return name


class PassPrefix:
    """Forward pre-hook on a BERT/RoBERTa self-attention module: computes the layer's (gated)
    prefix from the layer input and passes it to the attention function as `pelt_prefix`."""

    def __init__(self, prefix: PrefixLayer) -> None:
        self.prefix = prefix

    def __call__(self, _module: nn.Module, args: tuple, kwargs: dict[str, Any]):
        hidden_states = args[0] if args else kwargs["hidden_states"]
        return args, {**kwargs, KEYWORD: self.prefix(hidden_states)}
