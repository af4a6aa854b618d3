"""Layer-input caching for exact single-head ablation (SPEC §8).

Ablating head h of layer l changes nothing below layer l, so the baseline pass of a batch is run
once while hooks record, for every layer, its input hidden states, the other arguments of its
call (attention mask, DeBERTa's relative positions and embeddings) and the per-head context that
`attention.self` returned. An ablation of layer l then starts from the cached context of layer l
with the head's slice zeroed (by `gates.apply_gate`, exactly what the gate hook does), finishes
layer l (W_O, residual, feed-forward) and re-runs layers l+1..L-1 only. The classifier reads the
[CLS] row alone, so the last layer is finished for that row only (keys and values still see
every token). Several ablations of one layer run together: the batch is tiled k times and
replica j has head `heads[j]` switched off.

Work, in layers of one example: the naive sweep costs L*H*L. Here an ablation of layer l costs
the rest of layer l (W_O and feed-forward: about 3/4 of a layer), layers l+1..L-2 in full and
about 1/4 of the last layer (its attention still reads every token; the rest is [CLS] only),
plus one baseline pass per batch: about 0.43x of the naive work for L = 6, less in practice
because the tiled batches run larger matrix products.

Architecture specifics come from `lmlab.heads.architecture`; the call arguments are recorded
generically, only the attention mask (the one argument with a batch dimension besides the hidden
states) is tiled for replicated batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from lmlab.heads.gates import apply_gate
from lmlab.models.architecture import attention_self, classify, encoder_layers


@dataclass
class Call:
    """The positional and keyword arguments of one module call; `args[0]` is the hidden state."""

    args: tuple
    kwargs: dict

    def with_hidden(self, hidden: Tensor, copies: int) -> tuple[tuple, dict]:
        """The same call on `hidden`, with the attention mask tiled for `copies` replicas."""
        args, kwargs = (hidden, *self.args[1:]), dict(self.kwargs)
        if "attention_mask" in kwargs:
            kwargs["attention_mask"] = _tile(kwargs["attention_mask"], copies)
        elif len(args) > 1:
            args = (args[0], _tile(args[1], copies), *args[2:])
        return args, kwargs


def _tile(value, copies: int):
    if copies == 1 or not isinstance(value, Tensor) or value.dim() == 0 or value.shape[0] == 1:
        return value  # broadcasts over the replicas as it is
    return value.repeat(copies, *([1] * (value.dim() - 1)))


def _first(output):
    return output[0] if isinstance(output, tuple) else output


@dataclass
class LayerCache:
    """One batch's baseline pass: layer inputs, attention calls and contexts, and the logits."""

    model: nn.Module
    layer_calls: list[Call] = field(default_factory=list)
    attention_calls: list[Call] = field(default_factory=list)
    contexts: list[Tensor] = field(default_factory=list)
    conv_call: Call | None = None  # DeBERTa-v2's convolution after layer 0, when configured
    logits: Tensor | None = None

    @classmethod
    @torch.no_grad()
    def capture(cls, model: nn.Module, inputs: dict) -> LayerCache:
        """Run `model(**inputs)` once (eval mode expected) and record what suffix runs need."""
        cache = cls(model)
        handles = []

        def keep(calls: list[Call]):
            def hook(_module, args, kwargs):
                calls.append(Call(args, kwargs))

            return hook

        def keep_context(_module, _args, output):
            cache.contexts.append(_first(output))

        def keep_conv(_module, args, kwargs):
            cache.conv_call = Call(args, kwargs)

        try:
            for layer in encoder_layers(model):
                handles.append(
                    layer.register_forward_pre_hook(keep(cache.layer_calls), with_kwargs=True)
                )
                attn = attention_self(layer)
                handles.append(
                    attn.register_forward_pre_hook(keep(cache.attention_calls), with_kwargs=True)
                )
                handles.append(attn.register_forward_hook(keep_context))
            conv = cache._conv
            if conv is not None:
                handles.append(conv.register_forward_pre_hook(keep_conv, with_kwargs=True))
            cache.logits = model(**inputs).logits
        finally:
            for handle in handles:
                handle.remove()
        return cache

    @property
    def _conv(self) -> nn.Module | None:
        return getattr(self.model.base_model.encoder, "conv", None)

    @property
    def batch_size(self) -> int:
        return self.contexts[0].shape[0]

    def _finish(self, index: int, context: Tensor, hidden: Tensor, copies: int) -> Tensor:
        """Layer `index` from its attention context on: W_O + residual, feed-forward (and the
        DeBERTa convolution after layer 0). Only the [CLS] row is kept in the last layer."""
        layer = encoder_layers(self.model)[index]
        conv = self._conv if index == 0 else None
        cls_only = index == len(self.contexts) - 1 and conv is None
        if cls_only:
            context, hidden = context[:, :1], hidden[:, :1]
        attended = layer.attention.output(context, hidden)
        out = layer.output(layer.intermediate(attended), attended)
        if conv is not None:
            embedded, _, mask = self.conv_call.args
            out = conv(_tile(embedded, copies), out, _tile(mask, copies), **self.conv_call.kwargs)
        return out

    def _run_layer(self, index: int, hidden: Tensor, copies: int) -> Tensor:
        """Layer `index` on new input states (with the cached mask and positions)."""
        call = self.attention_calls[index]
        args, kwargs = call.with_hidden(hidden, copies)
        context = _first(attention_self(encoder_layers(self.model)[index])(*args, **kwargs))
        return self._finish(index, context, hidden, copies)

    @torch.no_grad()
    def logits_with_head_off(self, layer: int, heads: Sequence[int]) -> Tensor:
        """Logits `[k, B, C]`: replica j is the batch with head `heads[j]` of `layer` gated to 0."""
        copies, batch = len(heads), self.batch_size
        context = self.contexts[layer]
        n_heads = attention_self(encoder_layers(self.model)[layer]).num_attention_heads
        gate = torch.ones(copies, n_heads, dtype=context.dtype, device=context.device)
        gate[torch.arange(copies), torch.as_tensor(heads)] = 0.0
        context = apply_gate(context.repeat(copies, 1, 1), gate.repeat_interleave(batch, dim=0))
        hidden = self.layer_calls[layer].args[0].repeat(copies, 1, 1)
        hidden = self._finish(layer, context, hidden, copies)
        for index in range(layer + 1, len(self.contexts)):
            hidden = self._run_layer(index, hidden, copies)
        return classify(self.model, hidden).view(copies, batch, -1)
