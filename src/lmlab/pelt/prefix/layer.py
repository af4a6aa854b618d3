"""Prefix keys and values (Li & Liang, ACL 2021; UniPELT §3.1-3.2; SPEC §7).

Every layer l attends over P extra positions whose keys and values (`[P, W]`, W = heads x head
dim) are free parameters. Training goes through the reparameterisation of the paper: a P x H
embedding E, then MLP(E) = W_2 tanh(W_1 E + b_1) + b_2 with width `hidden` (512) and output
L x 2 x W, split into each layer's keys and values; `PrefixEncoder` holds it. After training only
the MLP's output is needed, so the stored form keeps the keys and values themselves (`key`,
`value` of each `PrefixLayer`) and drops the MLP.

In UniPELT the gate G, computed from the layer input, multiplies the prefix keys and values
only: the prefix positions stay in the softmax even at G = 0 (as keys of score 0 and values 0).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from lmlab.pelt.gates import Gate
from lmlab.pelt.prefix.config import PrefixConfig


class PrefixEncoder(nn.Module):
    """The reparameterisation MLP shared by all layers: E `[P, H]` -> `[P, L, 2, W]`."""

    def __init__(
        self, config: PrefixConfig, hidden: int, layers: int, width: int, like: Tensor
    ) -> None:
        super().__init__()
        factory = {"device": like.device, "dtype": like.dtype}
        self.layers = layers
        self.width = width
        self.embedding = nn.Embedding(config.length, hidden, **factory)
        self.proj_in = nn.Linear(hidden, config.hidden, **factory)
        self.proj_out = nn.Linear(config.hidden, layers * 2 * width, **factory)

    def keys_values(self, layer: int) -> tuple[Tensor, Tensor]:
        """Keys and values `[P, W]` of one layer (only that layer's rows of W_2 are computed)."""
        rows = slice(layer * 2 * self.width, (layer + 1) * 2 * self.width)
        inner = torch.tanh(self.proj_in(self.embedding.weight))
        out = F.linear(inner, self.proj_out.weight[rows], self.proj_out.bias[rows])
        keys, values = out.view(-1, 2, self.width).unbind(1)
        return keys, values


class PrefixLayer(nn.Module):
    """The (gated) prefix of one layer: `forward(x)` gives keys and values `[B, P, W]`.

    Trained form: `source` is the shared `PrefixEncoder` (referenced, not owned: it is a child of
    the encoder model). Stored form: `source` is None and the layer owns `key` and `value`.
    """

    def __init__(
        self,
        config: PrefixConfig,
        width: int,
        layer: int,
        gate: Gate | None,
        source: PrefixEncoder | None,
        like: Tensor,
    ) -> None:
        super().__init__()
        self.layer = layer
        self.length = config.length
        self.width = width
        self.gate = gate
        self._source = (source,)  # a tuple, so that the shared encoder is not registered here
        if source is None:
            shape = (config.length, width)
            self.key = nn.Parameter(torch.zeros(shape, device=like.device, dtype=like.dtype))
            self.value = nn.Parameter(torch.zeros(shape, device=like.device, dtype=like.dtype))

    @property
    def stored_size(self) -> int:
        """Parameters of this layer's prefix as stored: P x W keys plus P x W values."""
        return 2 * self.length * self.width

    def keys_values(self) -> tuple[Tensor, Tensor]:
        """Ungated keys and values `[P, W]`."""
        source = self._source[0]
        if source is None:
            return self.key, self.value
        return source.keys_values(self.layer)

    def forward(self, hidden_states: Tensor) -> tuple[Tensor, Tensor]:
        keys, values = self.keys_values()
        batch = hidden_states.shape[0]
        keys = keys.expand(batch, -1, -1)
        values = values.expand(batch, -1, -1)
        if self.gate is None:
            return keys, values
        gate = self.gate(hidden_states)[:, None, None]
        return keys * gate, values * gate
