"""Tiny random encoders (2 layers, 4 heads, hidden 32) of every supported family, built in-process,
and padded batches for them."""

from __future__ import annotations

import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    DebertaV2Config,
    DebertaV2ForSequenceClassification,
    RobertaConfig,
    RobertaForSequenceClassification,
)

VOCAB = 100
SMALL = {
    "vocab_size": VOCAB,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "num_labels": 3,
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "initializer_range": 0.3,  # large weights: every head visibly changes the logits
}
ARCHITECTURES = ["bert-eager", "bert-sdpa", "roberta", "deberta-v2", "deberta-v2-conv"]


def build_tiny(name: str, seed: int = 0) -> torch.nn.Module:
    """A tiny random sequence classifier of family `name` (one of ARCHITECTURES), in eval mode."""
    torch.manual_seed(seed)
    if name.startswith("bert"):
        model = BertForSequenceClassification(
            BertConfig(**SMALL, max_position_embeddings=64),
        )
        model.config._attn_implementation = name.split("-")[1]
    elif name == "roberta":
        model = RobertaForSequenceClassification(
            RobertaConfig(**SMALL, max_position_embeddings=70, pad_token_id=1)
        )
        model.config._attn_implementation = "sdpa"
    else:
        config = DebertaV2Config(
            **SMALL,
            max_position_embeddings=64,
            relative_attention=True,
            position_buckets=8,
            max_relative_positions=-1,
            pos_att_type=["p2c", "c2p"],
            share_att_key=True,
            norm_rel_ebd="layer_norm",
            position_biased_input=False,
            conv_kernel_size=3 if name.endswith("conv") else 0,
            type_vocab_size=0,
        )
        model = DebertaV2ForSequenceClassification(config)
    return model.eval()


def tiny_batch(model: torch.nn.Module, lengths=(12, 9, 5, 11, 7), seed: int = 1) -> dict:
    """Random token ids padded to the longest of `lengths` (real padding, attention mask)."""
    generator = torch.Generator().manual_seed(seed)
    pad = model.config.pad_token_id or 0
    width = max(lengths)
    ids = torch.full((len(lengths), width), pad, dtype=torch.long)
    mask = torch.zeros((len(lengths), width), dtype=torch.long)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(5, VOCAB, (n,), generator=generator)
        mask[row, :n] = 1
    labels = torch.randint(0, 3, (len(lengths),), generator=generator)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
