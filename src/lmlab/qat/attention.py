"""Relation-aware self-attention over [LM tokens ; graph tokens] (QAT, Park et al., AAAI 2023).

QAT's Relation-Aware Self-Attention lets LM tokens and graph tokens attend to each other in one
transformer, and guides the exchange with its Cross-Modal Relative Position Bias: a learnable
per-head scalar added to the attention logit between an LM token and a graph token that talk
about the same entity (the LM token's word matches the concept at one end of the graph token;
lmlab.qat.matches). For head h, query i and key j of the N = T + G tokens:

    logit_h(i, j) = q_h(i) . k_h(j) / sqrt(d_head)
                    + b_h^(LM->G) [i < T <= j and M(i, j - T)]
                    + b_h^(G->LM) [j < T <= i and M(j, i - T)]
                    + (-inf) [key j is padding]
    attention_h(i, .) = softmax_j logit_h(i, j)

with M the [T, G] match matrix of the statement. The biases start at 0; the training loss
subtracts lambda_rpe * mean(tanh(b)) (lmlab.qat.model), which rewards attention between
matched pairs. Layers are pre-LayerNorm (x + attention(LN(x)), then x + FFN(LN(x))).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

LM_TO_GRAPH, GRAPH_TO_LM = 0, 1


def relation_masks(match: Tensor, lm_tokens: int) -> Tensor:
    """[S, 2, N, N] float indicator of matched pairs per direction (LM->graph, graph->LM) over
    the N = T + G tokens, from the [S, T, G] bool match matrix."""
    s, t, g = match.shape
    if t != lm_tokens:
        raise ValueError(f"match matrix has {t} LM positions, the LM states have {lm_tokens}")
    masks = match.new_zeros((s, 2, t + g, t + g), dtype=torch.float32)
    masks[:, LM_TO_GRAPH, :t, t:] = match.float()
    masks[:, GRAPH_TO_LM, t:, :t] = match.transpose(1, 2).float()
    return masks


class RelationAwareAttention(nn.Module):
    """Multi-head self-attention with the cross-modal bias (equation in the module docstring)."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = dropout
        self.bias = nn.Parameter(torch.zeros(2, n_heads))  # rows: b^(LM->G), b^(G->LM)

    def forward(self, x: Tensor, valid: Tensor, relations: Tensor) -> Tensor:
        """x [S, N, d], valid [S, N] bool (False = padding), relations from `relation_masks`."""
        s, n, d = x.shape
        q, k, v = self.qkv(x).view(s, n, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        logit_bias = torch.einsum("srnm,rh->shnm", relations, self.bias)
        logit_bias = logit_bias.masked_fill(~valid[:, None, None, :], float("-inf"))
        context = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=logit_bias.to(q.dtype),
            dropout_p=self.dropout if self.training else 0.0,
        )
        return self.out(context.transpose(1, 2).reshape(s, n, d))


class RelationAwareLayer(nn.Module):
    """One pre-LayerNorm transformer layer with relation-aware attention and a GELU FFN."""

    def __init__(self, d_model: int, n_heads: int, ffn_dim: int, dropout: float) -> None:
        super().__init__()
        self.attention_norm = nn.LayerNorm(d_model)
        self.attention = RelationAwareAttention(d_model, n_heads, dropout)
        self.ffn_norm = nn.LayerNorm(d_model)
        self.ffn = nn.Sequential(
            nn.Linear(d_model, ffn_dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(ffn_dim, d_model)
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, valid: Tensor, relations: Tensor) -> Tensor:
        x = x + self.dropout(self.attention(self.attention_norm(x), valid, relations))
        return x + self.dropout(self.ffn(self.ffn_norm(x)))
