"""Prefix keys and values for DeBERTa-v2/v3 (He et al., ICLR 2021, §3.1; SPEC §7).

DeBERTa's `DisentangledSelfAttention` does not go through transformers' attention interface: it
adds to the content score q_i . k_j two relative-position terms, content-to-position (c2p) and
position-to-content (p2c), all divided by sqrt(D x (1 + number of such terms)). Prefix positions
have no place in the sequence, so they take no part in c2p/p2c: a prefix score is the content
term q_i . k_p / sqrt(D x factor) alone, on the same scale as the token scores. Token-to-token
scores are computed by the module's own `disentangled_attention_bias`, so they match the stock
module exactly; the prefix columns are always allowed by the mask.

A prefixed module is switched to the subclass below (same attributes and parameters, forward
taking the prefix into account); the prefix is its child `prefix`.
"""

from __future__ import annotations

import torch
from torch import Tensor
from transformers.models.deberta_v2.modeling_deberta_v2 import DisentangledSelfAttention


def _per_head(x: Tensor, heads: int) -> Tensor:
    """`[B, P, heads x D]` -> `[B x heads, P, D]`, the layout DeBERTa's attention computes in."""
    batch, length, width = x.shape
    dim = width // heads
    return x.view(batch, length, heads, dim).transpose(1, 2).reshape(batch * heads, length, dim)


class PrefixedDisentangledSelfAttention(DisentangledSelfAttention):
    """DeBERTa-v2 self-attention over [prefix; tokens] keys and values."""

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor,
        output_attentions: bool = False,
        query_states: Tensor | None = None,
        relative_pos: Tensor | None = None,
        rel_embeddings: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        heads = self.num_attention_heads
        prefix_key, prefix_value = (
            _per_head(part.to(hidden_states.dtype), heads) for part in self.prefix(hidden_states)
        )
        if query_states is None:
            query_states = hidden_states
        query = self.transpose_for_scores(self.query_proj(query_states), heads)
        key = self.transpose_for_scores(self.key_proj(hidden_states), heads)
        value = self.transpose_for_scores(self.value_proj(hidden_states), heads)

        factor = 1 + sum(kind in self.pos_att_type for kind in ("c2p", "p2c"))
        scale = torch.sqrt(torch.tensor(query.size(-1), dtype=torch.float) * factor).to(query.dtype)
        scores = torch.bmm(query, key.transpose(-1, -2) / scale)
        if self.relative_attention:
            rel_embeddings = self.pos_dropout(rel_embeddings)
            scores = scores + self.disentangled_attention_bias(
                query, key, relative_pos, rel_embeddings, factor
            )
        prefix_scores = torch.bmm(query, prefix_key.transpose(-1, -2) / scale)
        scores = torch.cat([prefix_scores, scores], dim=-1)
        batch, length = query_states.shape[:2]
        scores = scores.view(batch, heads, length, scores.size(-1))

        allowed = attention_mask.bool()
        prefix_allowed = allowed.new_ones((*allowed.shape[:-1], prefix_key.size(1)))
        allowed = torch.cat([prefix_allowed, allowed], dim=-1)
        scores = scores.masked_fill(~allowed, torch.finfo(query.dtype).min)
        probs = self.dropout(torch.softmax(scores, dim=-1))

        context = torch.bmm(
            probs.view(batch * heads, length, -1), torch.cat([prefix_value, value], dim=1)
        )
        context = (
            context.view(batch, heads, length, -1).permute(0, 2, 1, 3).reshape(batch, length, -1)
        )
        return context, (probs if output_attentions else None)
