"""Fixtures of the QAT tests: the hand-made split, tiny bare encoders (one torch thread: the
root conftest)."""

from __future__ import annotations

import pytest
import torch
from transformers import (
    BertConfig,
    BertModel,
    DebertaV2Config,
    DebertaV2Model,
    RobertaConfig,
    RobertaModel,
)

from ..tiny_models import SMALL
from . import handmade

ENCODERS = ["bert", "roberta", "deberta-v2"]


@pytest.fixture(scope="session")
def tokenizer(tmp_path_factory):
    return handmade.tokenizer(tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="session")
def tokens(tokenizer) -> dict[str, torch.Tensor]:
    return handmade.tokens(tokenizer)


@pytest.fixture
def graphs():
    return handmade.graph_dataset()


def tiny_encoder(name: str, vocab_size: int, seed: int = 0) -> torch.nn.Module:
    """A bare random encoder (2 layers, 4 heads, hidden 32) of family `name`, in eval mode."""
    torch.manual_seed(seed)
    config = {**{k: v for k, v in SMALL.items() if k != "num_labels"}, "vocab_size": vocab_size}
    if name == "bert":
        return BertModel(BertConfig(**config, max_position_embeddings=64)).eval()
    if name == "roberta":
        return RobertaModel(
            RobertaConfig(**config, max_position_embeddings=70, pad_token_id=0)
        ).eval()
    deberta = DebertaV2Config(
        **config,
        max_position_embeddings=64,
        relative_attention=True,
        position_buckets=8,
        pos_att_type=["p2c", "c2p"],
        share_att_key=True,
        norm_rel_ebd="layer_norm",
        position_biased_input=False,
        type_vocab_size=0,
    )
    return DebertaV2Model(deberta).eval()


@pytest.fixture(params=ENCODERS)
def encoder(request, tokenizer) -> torch.nn.Module:
    return tiny_encoder(request.param, len(tokenizer))
