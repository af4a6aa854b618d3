"""The relation-aware attention equals its equation computed by hand on a tiny input."""

from __future__ import annotations

import math

import torch

from lmlab.qat.attention import RelationAwareAttention, relation_masks


def by_hand(module: RelationAwareAttention, x, valid, match) -> torch.Tensor:
    """softmax(q.k / sqrt(d_head) + b^(LM->G) or b^(G->LM) on matched pairs, -inf on padding)."""
    s, n, d = x.shape
    heads, t = module.n_heads, match.shape[1]
    q, k, v = module.qkv(x).chunk(3, dim=-1)
    split = lambda a: a.view(s, n, heads, d // heads).transpose(1, 2)  # noqa: E731
    q, k, v = split(q), split(k), split(v)
    logits = q @ k.transpose(-1, -2) / math.sqrt(d // heads)
    for b in range(s):
        for i in range(n):
            for j in range(n):
                if i < t <= j and match[b, i, j - t]:
                    logits[b, :, i, j] += module.bias[0]
                if j < t <= i and match[b, j, i - t]:
                    logits[b, :, i, j] += module.bias[1]
                if not valid[b, j]:
                    logits[b, :, i, j] = float("-inf")
    context = logits.softmax(-1) @ v
    return module.out(context.transpose(1, 2).reshape(s, n, d))


def test_bias_is_added_to_matched_pairs_in_both_directions():
    torch.manual_seed(0)
    module = RelationAwareAttention(d_model=8, n_heads=2, dropout=0.0)
    with torch.no_grad():
        module.bias.copy_(torch.tensor([[1.5, -0.5], [0.7, 2.0]]))
    t, g = 3, 4
    x = torch.randn(2, t + g, 8)
    valid = torch.ones(2, t + g, dtype=torch.bool)
    valid[0, 2] = valid[1, -1] = False  # an LM and a graph padding position
    match = torch.zeros(2, t, g, dtype=torch.bool)
    match[0, 0, 1] = match[0, 1, 3] = match[1, 2, 0] = True
    out = module(x, valid, relation_masks(match, t))
    torch.testing.assert_close(out, by_hand(module, x, valid, match))


def test_zero_bias_or_no_match_is_plain_attention():
    torch.manual_seed(1)
    module = RelationAwareAttention(d_model=8, n_heads=2, dropout=0.0)
    x = torch.randn(1, 5, 8)
    valid = torch.ones(1, 5, dtype=torch.bool)
    match = torch.ones(1, 2, 3, dtype=torch.bool)
    plain = module(x, valid, relation_masks(torch.zeros_like(match), 2))
    torch.testing.assert_close(module(x, valid, relation_masks(match, 2)), plain)  # b = 0
    with torch.no_grad():
        module.bias.fill_(3.0)
    assert not torch.allclose(module(x, valid, relation_masks(match, 2)), plain)
