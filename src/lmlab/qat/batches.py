"""Batches of questions for the QAT model: token tensors, loader graphs, match matrix (SPEC §6).

`QATExamples` is a map-style dataset whose items are question indices; its `collate` builds one
batch dict from a list of them, so any generic loop can use
`DataLoader(examples, batch_size, shuffle=True, collate_fn=examples.collate)` and call
`model(**batch)`. Keys:

| key | shape | what |
|---|---|---|
| input_ids, attention_mask | [Q, C, T] long | token cache rows, cut after the last real token |
| token_type_ids | [Q, C, T] long | when the token cache has them |
| labels | [Q] long | answer position among the choices (-1 when unlabeled) |
| graph | PyG `Batch` of Q * C graphs | loader graphs, statement q * C + c (`qat` only) |
| match | [Q * C, T, G] bool | LM token t of statement s matches graph token g (`qat` only) |

Cutting T after the batch's last real token changes nothing for the encoder and saves most of
its work: the cache pads every statement to `max_seq_len`. The match matrix (`dense_match`)
comes from the precomputed (token, node) lists (lmlab.qat.matches): a token matches a graph
token when it matches its head or its tail node (graph tokens laid out by
lmlab.qat.graph_tokens.token_endpoints, as the model lays them out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import Batch

from lmlab.graph.loader import GraphDataset, collate
from lmlab.qat.graph_tokens import token_endpoints
from lmlab.qat.matches import MatchLists

TOKEN_KEYS = ("input_ids", "attention_mask", "token_type_ids")


class QATExamples(torch.utils.data.Dataset):
    """The questions of a split; `graphs` and `matches` (both or neither) for the `qat` variant."""

    def __init__(
        self,
        tokens: Mapping[str, Tensor],
        graphs: GraphDataset | None = None,
        matches: MatchLists | None = None,
    ) -> None:
        self.tokens = {key: torch.as_tensor(tokens[key]) for key in TOKEN_KEYS if key in tokens}
        self.labels = torch.as_tensor(tokens["labels"])
        questions, self.num_choices, _ = self.tokens["input_ids"].shape
        if len(self.labels) != questions:
            raise ValueError(f"{len(self.labels)} labels for {questions} questions")
        if (graphs is None) != (matches is None):
            raise ValueError("graphs and match lists go together (the qat variant needs both)")
        statements = questions * self.num_choices
        for name, part in (("graphs", graphs), ("match lists", matches)):
            if part is not None and len(part) != statements:
                raise ValueError(f"{len(part)} {name} for {statements} statements")
        self.graphs = graphs
        self.matches = matches

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> int:
        return index

    def collate(self, indices: Sequence[int]) -> dict[str, Any]:
        """One batch dict (keys in the module docstring) for these question indices."""
        rows = torch.as_tensor(list(indices), dtype=torch.long)
        used = self.tokens["attention_mask"][rows].flatten(0, 1).any(0)
        length = int(used.nonzero().max()) + 1
        batch: dict[str, Any] = {key: t[rows, :, :length] for key, t in self.tokens.items()}
        batch["labels"] = self.labels[rows]
        if self.graphs is not None:
            statements = (rows[:, None] * self.num_choices + torch.arange(self.num_choices)).ravel()
            graph = collate([self.graphs[int(s)] for s in statements])
            batch["graph"] = graph
            batch["match"] = dense_match(self.matches, statements.tolist(), graph, length)
        return batch


def dense_match(lists: MatchLists, statements: list[int], graph: Batch, length: int) -> Tensor:
    """[S, T, G] bool: the match lists of `statements` spread over the graph tokens of their
    batched graphs `graph`, for LM positions below `length`."""
    parts = [lists[s] for s in statements]
    row = torch.cat([torch.full((len(t),), i) for i, (t, _) in enumerate(parts)]).long()
    token = torch.cat([torch.as_tensor(t) for t, _ in parts]).long()
    node = torch.cat([torch.as_tensor(n) for _, n in parts]).long()
    nodes = torch.diff(graph.ptr)
    kept = (node < nodes[row]) & (token < length)
    node_match = torch.zeros((len(statements), length, int(nodes.max())), dtype=torch.bool)
    node_match[row[kept], token[kept], node[kept]] = True
    head, tail, valid = token_endpoints(graph)
    index = (len(statements), length, head.shape[1])
    matched = node_match.gather(2, head[:, None, :].expand(index)) | node_match.gather(
        2, tail[:, None, :].expand(index)
    )
    return matched & valid[:, None, :]
