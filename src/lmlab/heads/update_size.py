"""How much fine-tuning moved each head's weights: per-head slices of θ1 - θ0 (SPEC §8).

Head h of a layer owns rows h*D..(h+1)*D of the query, key and value projections (weights and
biases: the output dimension) and columns h*D..(h+1)*D of W_O (`attention.output.dense`, its
input dimension; W_O's bias is shared by all heads and left out). Per head:

    Uq, Uk, Uv, Uo = Frobenius norms of the slices of θ1 - θ0
    U    = sqrt(Uq^2 + Uk^2 + Uv^2 + Uo^2)
    Urel = U / (|θ0 q slice| + |θ0 k slice| + |θ0 v slice| + |θ0 o slice|)

Q against K and V against O can be rescaled without changing the function, so the four parts
are reported separately and Urel is the preferred summary. Weight decay shrinks every weight
towards 0, a change parallel to θ0 that can swamp small per-head updates; `Uorth` (and
`Urel_orth`) keep only the part of each slice's update orthogonal to that slice of θ0.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor, nn

from lmlab.models.architecture import encoder_layers, head_shape, output_projection, qkv_projections

PARTS = ("q", "k", "v", "o")


def head_slices(model: nn.Module, layer: int, head: int) -> dict[str, list[Tensor]]:
    """The tensors head (`layer`, `head`) owns, by part: weight (and bias) slices of Q, K, V and
    the column slice of W_O."""
    _, _, dim = head_shape(model)
    block = encoder_layers(model)[layer]
    rows = slice(head * dim, (head + 1) * dim)
    slices = {}
    for part, linear in zip("qkv", qkv_projections(model, block), strict=True):
        slices[part] = [linear.weight[rows]] + (
            [linear.bias[rows]] if linear.bias is not None else []
        )
    slices["o"] = [output_projection(block).weight[:, rows]]
    return slices


def _norm(tensors: list[Tensor]) -> float:
    return float(torch.sqrt(sum((t.double() ** 2).sum() for t in tensors)))


def _orthogonal(delta: list[Tensor], base: list[Tensor]) -> list[Tensor]:
    """The part of `delta` orthogonal to `base` (both read as one flat vector per part)."""
    dot = sum((d.double() * b.double()).sum() for d, b in zip(delta, base, strict=True))
    scale = dot / max(_norm(base) ** 2, 1e-30)
    return [d.double() - scale * b.double() for d, b in zip(delta, base, strict=True)]


@torch.no_grad()
def update_sizes(theta0: nn.Module, theta1: nn.Module) -> list[dict]:
    """One row per head: {layer, head, U, Urel, Uq, Uk, Uv, Uo, Uorth, Urel_orth}."""
    shape = head_shape(theta0)
    if head_shape(theta1) != shape:
        raise ValueError(f"θ0 has heads {shape} but θ1 has {head_shape(theta1)}")
    layers, heads, _ = shape
    rows = []
    for layer in range(layers):
        for head in range(heads):
            before, after = head_slices(theta0, layer, head), head_slices(theta1, layer, head)
            delta = {p: [b - a for a, b in zip(before[p], after[p], strict=True)] for p in PARTS}
            parts = {p: _norm(delta[p]) for p in PARTS}
            orth = [_norm(_orthogonal(delta[p], before[p])) for p in PARTS]
            scale = sum(_norm(before[p]) for p in PARTS)
            size = sum(v**2 for v in parts.values()) ** 0.5
            size_orth = sum(v**2 for v in orth) ** 0.5
            rows.append(
                {
                    "layer": layer,
                    "head": head,
                    "U": size,
                    "Urel": size / scale,
                    **{f"U{p}": parts[p] for p in PARTS},
                    "Uorth": size_orth,
                    "Urel_orth": size_orth / scale,
                }
            )
    return rows


def write_update(
    ckpt_init: str | os.PathLike, ckpt_final: str | os.PathLike, out: str | os.PathLike
) -> list[dict]:
    """Stage `update`: per-head update sizes between two checkpoints -> `out` (JSON lines)."""
    from lmlab.models.classifier import load_classifier
    from lmlab.runtime.atomic import write_jsonl

    theta0, _ = load_classifier(ckpt_init)
    theta1, _ = load_classifier(ckpt_final)
    rows = update_sizes(theta0, theta1)
    write_jsonl(out, rows)
    return rows
