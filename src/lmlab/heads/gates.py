"""Per-head gates: multiply each attention head's output by a scalar (SPEC §8).

Michel et al. (2019, "Are Sixteen Heads Really Better than One?") gate every head h of a layer by
xi_h: MultiHead(x) = sum_h xi_h * Att_h(x) W_O^h. Importance uses xi_h = 0 (ablation), the
gradient study d loss / d xi_h at xi = 1. transformers 5 removed `head_mask`, so the gate is a
forward hook on `encoder.layer[l].attention.self` that rescales the returned context
`[B, T, H*D]` per head (`view(B, T, H, D) * g`). This is the input of W_O, so a gate of 0 on head
h gives exactly the logits of a model whose head-h columns of W_O are zeroed, for BERT (eager and
sdpa attention), RoBERTa and DeBERTa-v2 alike.

Usage (all hooks are removed when the block exits, also on an exception):

    with head_gates(model, heads_off(model, [(0, 3), (5, 11)])):   # prune two heads
        logits = model(**batch).logits

    gates = ones(model, batch=B, requires_grad=True)                # per-example gate gradients
    with head_gates(model, gates):
        loss = per_example_loss(model(**batch).logits, labels).sum()
    grads = torch.autograd.grad(loss, gates)                        # L tensors [B, H]

Gate values per layer are `[H]` (same for every example) or `[B, H]` (one row per example of
the batch, e.g. for per-example gradients, or for replicated batches ablating different heads);
`None` leaves a layer untouched. A `[L, H]` or `[L, B, H]` tensor is accepted as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from lmlab.models.architecture import attention_self, encoder_layers, head_shape

Gates = Tensor | Sequence[Tensor | None]


def apply_gate(context: Tensor, gate: Tensor) -> Tensor:
    """Rescale head h of a concatenated context `[N, T, H*D]` by `gate[..., h]` (gate `[H]` or
    `[N, H]`)."""
    n, t, width = context.shape
    heads = gate.shape[-1]
    scale = gate.to(context.dtype).reshape(-1, 1, heads, 1)
    return (context.view(n, t, heads, width // heads) * scale).view(n, t, width)


def _hook(gate: Tensor):
    def rescale(_module: nn.Module, _inputs: tuple, output):
        if isinstance(output, tuple):
            return (apply_gate(output[0], gate), *output[1:])
        return apply_gate(output, gate)

    return rescale


def _per_layer(model: nn.Module, gates: Gates) -> list[Tensor | None]:
    layers, heads, _ = head_shape(model)
    values = list(gates)
    if len(values) != layers:
        raise ValueError(f"gates: {len(values)} layers given, the model has {layers}")
    for i, value in enumerate(values):
        if value is not None and (value.dim() not in (1, 2) or value.shape[-1] != heads):
            raise ValueError(
                f"gates: layer {i} has shape {tuple(value.shape)}, "
                f"expected [{heads}] or [B, {heads}]"
            )
    return values


@contextmanager
def head_gates(model: nn.Module, gates: Gates) -> Iterator[list[Tensor | None]]:
    """Gate every head of `model` inside the block; yields the per-layer gate list.

    `gates` holds one entry per layer: `[H]`, `[B, H]` or None (layer untouched). A `[B, H]` gate
    needs the batch of the forward pass to have exactly B rows.
    """
    values = _per_layer(model, gates)
    handles = []
    try:
        for layer, gate in zip(encoder_layers(model), values, strict=True):
            if gate is not None:
                handles.append(attention_self(layer).register_forward_hook(_hook(gate)))
        yield values
    finally:
        for handle in handles:
            handle.remove()


def _reference(model: nn.Module) -> Tensor:
    return next(model.parameters())


def ones(model: nn.Module, batch: int | None = None, requires_grad: bool = False) -> list[Tensor]:
    """All-one gates (the unchanged model): L tensors `[H]`, or `[batch, H]` when `batch` is set.

    With `requires_grad=True` they are leaves whose `.grad` (or `torch.autograd.grad`) after a
    backward pass of a summed loss gives each example's own d loss / d gate.
    """
    layers, heads, _ = head_shape(model)
    shape = (heads,) if batch is None else (batch, heads)
    device = _reference(model).device
    return [
        torch.ones(shape, device=device, dtype=torch.float32, requires_grad=requires_grad)
        for _ in range(layers)
    ]


def heads_off(model: nn.Module, heads: Iterable[tuple[int, int]]) -> Tensor:
    """A `[L, H]` gate tensor that is 0 on the given (layer, head) pairs and 1 elsewhere."""
    layers, n_heads, _ = head_shape(model)
    gate = torch.ones(layers, n_heads, device=_reference(model).device)
    for layer, head in heads:
        if not (0 <= layer < layers and 0 <= head < n_heads):
            raise ValueError(f"head ({layer}, {head}) outside the model's {layers} x {n_heads}")
        gate[layer, head] = 0.0
    return gate
