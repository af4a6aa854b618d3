"""The QAT model and its LM-only baseline: encoder + decoder, logits, loss (SPEC §6).

`QATModel` = an HF encoder (`AutoModel`, fed the cached token ids of the statements, never
re-tokenizing) + a decoder:
- `qat`: the encoder's last hidden states, projected (Linear) to `d_model`, followed by the
  statement's graph tokens (lmlab.qat.graph_tokens), go through `k` relation-aware layers
  (lmlab.qat.attention); an MLP scores the first token's final state (after a LayerNorm);
- `lm_only`: an MLP scores the encoder's first-token state; the graph is never read.

Questions x choices are flattened to statements for the encoder and the decoder; the statement
scores of a question are its logits [questions, choices]. Loss (QAT's training script):

    loss = cross_entropy(logits, labels) - lambda_rpe * mean(tanh(b))

over every cross-modal bias b of every layer (`regulariser`; 0 for `lm_only`), so a larger bias
lowers the loss. "Encoder" and "decoder" name the two parameter groups of the paper's training
(learning rates 2e-5 and 1e-4, encoder frozen until `unfreeze_epoch`) and the two devices of
lmlab.qat.placement; `forward` moves each input to the device of the part that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch_geometric.data import Batch

from lmlab.qat.attention import RelationAwareLayer, relation_masks
from lmlab.qat.config import QATConfig
from lmlab.qat.graph_tokens import NUM_RELATIONS, GraphTokens


@dataclass
class QATOutput:
    """Choice logits [questions, choices], and the loss when labels were given."""

    logits: Tensor
    loss: Tensor | None = None


def _scorer(in_dim: int, hidden: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, 1)
    )


class QATDecoder(nn.Module):
    """LM projection, graph tokens, `k` relation-aware layers and the first-token scorer."""

    def __init__(self, config: QATConfig, lm_hidden: int, num_relations: int) -> None:
        super().__init__()
        d = config.d_model
        self.lm_projection = nn.Linear(lm_hidden, d)
        self.graph_tokens = GraphTokens(d, num_relations)
        self.layers = nn.ModuleList(
            RelationAwareLayer(d, config.n_heads, config.ffn_dim, config.dropout)
            for _ in range(config.k)
        )
        self.norm = nn.LayerNorm(d)
        self.scorer = _scorer(d, d, config.dropout)

    def forward(self, lm_states: Tensor, lm_mask: Tensor, graph: Batch, match: Tensor) -> Tensor:
        """Scores [S] from LM states [S, T, H], their mask [S, T], S graphs and the [S, T, G]
        match matrix (G as laid out by `graph_tokens`)."""
        tokens, token_valid = self.graph_tokens(graph)
        if match.shape[-1] != tokens.shape[1]:
            raise ValueError(
                f"match matrix has {match.shape[-1]} graph tokens, the graphs have "
                f"{tokens.shape[1]}: was it collated from these graphs?"
            )
        x = torch.cat([self.lm_projection(lm_states), tokens], dim=1)
        valid = torch.cat([lm_mask.bool(), token_valid], dim=1)
        relations = relation_masks(match, lm_states.shape[1])
        for layer in self.layers:
            x = layer(x, valid, relations)
        return self.scorer(self.norm(x[:, 0])).squeeze(-1)

    def regulariser(self) -> Tensor:
        """mean(tanh(b)) over every cross-modal bias of every layer."""
        return torch.stack([layer.attention.bias for layer in self.layers]).tanh().mean()


class LMOnlyDecoder(nn.Module):
    """The baseline: an MLP on the encoder's first-token state."""

    def __init__(self, config: QATConfig, lm_hidden: int) -> None:
        super().__init__()
        self.scorer = _scorer(lm_hidden, config.d_model, config.dropout)

    def forward(self, lm_states: Tensor, lm_mask: Tensor, graph=None, match=None) -> Tensor:
        return self.scorer(lm_states[:, 0]).squeeze(-1)

    def regulariser(self) -> Tensor:
        return self.scorer[0].weight.new_zeros(())


class QATModel(nn.Module):
    """Encoder + decoder of variant `config.variant` (module docstring)."""

    def __init__(self, config: QATConfig, encoder: nn.Module, num_relations: int = NUM_RELATIONS):
        super().__init__()
        self.config = config
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.decoder = (
            QATDecoder(config, hidden, num_relations)
            if config.variant == "qat"
            else LMOnlyDecoder(config, hidden)
        )

    @property
    def encoder_device(self) -> torch.device:
        return next(self.encoder.parameters()).device

    @property
    def decoder_device(self) -> torch.device:
        return next(self.decoder.parameters()).device

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor,
        token_type_ids: Tensor | None = None,
        graph: Batch | None = None,
        match: Tensor | None = None,
        labels: Tensor | None = None,
    ) -> QATOutput:
        """Logits [Q, C] from token tensors [Q, C, T] (lmlab.qat.batches); `graph` (S = Q * C
        loader graphs, statement order) and `match` [S, T, G] are needed by `qat` only."""
        questions, choices, length = input_ids.shape
        states = self._encode(input_ids, attention_mask, token_type_ids)
        device = self.decoder_device
        lm_mask = attention_mask.reshape(-1, length).to(device)
        if self.config.variant == "qat":
            if graph is None or match is None:
                raise ValueError("the qat variant needs the batch's graph and match matrix")
            graph, match = graph.to(device), match.to(device)
        scores = self.decoder(states.to(device), lm_mask, graph, match)
        logits = scores.view(questions, choices)
        loss = None if labels is None else self.loss(logits, labels.to(device))
        return QATOutput(logits, loss)

    def _encode(
        self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor | None
    ) -> Tensor:
        """Last hidden states [S, T, H]; without gradients while the encoder is frozen."""
        device, length = self.encoder_device, input_ids.shape[-1]
        inputs = {
            "input_ids": input_ids.reshape(-1, length).to(device),
            "attention_mask": attention_mask.reshape(-1, length).to(device),
        }
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids.reshape(-1, length).to(device)
        trainable = any(p.requires_grad for p in self.encoder.parameters())
        with torch.set_grad_enabled(trainable and torch.is_grad_enabled()):
            return self.encoder(**inputs).last_hidden_state

    def regulariser(self) -> Tensor:
        """mean(tanh(b)) of the cross-modal biases (0 for lm_only); the loss subtracts
        `lambda_rpe` times it."""
        return self.decoder.regulariser()

    def loss(self, logits: Tensor, labels: Tensor) -> Tensor:
        """Cross-entropy over the choices minus lambda_rpe * `regulariser()`."""
        return F.cross_entropy(logits, labels) - self.config.lambda_rpe * self.regulariser()

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """`encoder` and `decoder` (everything else) parameters, frozen or not, for two
        learning rates; together they are every parameter of the model, each once."""
        return {
            "encoder": list(self.encoder.parameters()),
            "decoder": list(self.decoder.parameters()),
        }

    def freeze_encoder(self, frozen: bool) -> None:
        """Freeze (before `unfreeze_epoch`) or unfreeze the encoder's parameters."""
        self.encoder.requires_grad_(not frozen)


def load_encoder(model: str) -> nn.Module:
    """The bare encoder of a config `model` entry (`embedded`, a directory or a hub id)."""
    from transformers import AutoModel

    from lmlab.models.resolve import resolve_model

    return AutoModel.from_pretrained(resolve_model(model))


def build_model(config: QATConfig, model: str) -> QATModel:
    """A `QATModel` of `config` on the pretrained encoder named by `model`."""
    return QATModel(config, load_encoder(model))
