"""The QAT model and the LM-only baseline on tiny random encoders of every family."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from lmlab.config import build
from lmlab.qat.batches import QATExamples
from lmlab.qat.config import QATConfig
from lmlab.qat.matcher import LemmaMatcher
from lmlab.qat.matches import precompute_matches
from lmlab.qat.model import QATModel

from .conftest import tiny_encoder
from .handmade import CONCEPTS


def config(variant: str = "qat") -> QATConfig:
    return QATConfig(variant, k=2, d_model=16, n_heads=4, ffn_dim=32, dropout=0.1, lambda_rpe=10.0)


def qat_model(encoder: torch.nn.Module, variant: str = "qat", seed: int = 0) -> QATModel:
    """A model in eval mode whose cross-modal biases are non-zero, so matches change scores."""
    torch.manual_seed(seed)
    model = QATModel(config(variant), encoder).eval()
    for name, parameter in model.named_parameters():
        if name.endswith("attention.bias"):
            torch.nn.init.normal_(parameter, std=2.0)
    return model


@pytest.fixture
def examples(tokens, graphs, tokenizer) -> QATExamples:
    lists = precompute_matches(tokens, graphs, CONCEPTS, tokenizer, LemmaMatcher())
    return QATExamples(tokens, graphs, lists)


def test_logits_are_questions_by_choices_and_the_loss_a_scalar(encoder, examples):
    out = qat_model(encoder)(**examples.collate([1, 0]))
    assert out.logits.shape == (2, 3) and torch.isfinite(out.logits).all()
    assert out.loss.shape == () and torch.isfinite(out.loss)


@torch.no_grad()
def test_batching_with_a_larger_graph_and_longer_text_leaves_scores_unchanged(encoder, examples):
    model = qat_model(encoder)
    alone, together = examples.collate([0]), examples.collate([0, 1])
    assert together["input_ids"].shape[-1] > alone["input_ids"].shape[-1]
    assert together["match"].shape[-1] > alone["match"].shape[-1]
    torch.testing.assert_close(model(**together).logits[0], model(**alone).logits[0])


@torch.no_grad()
def test_longer_lm_padding_leaves_scores_unchanged(encoder, examples):
    model = qat_model(encoder)
    batch = examples.collate([0])
    padded = dict(batch)
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        padded[key] = F.pad(batch[key], (0, 7))  # id 0 = [PAD]
    padded["match"] = F.pad(batch["match"], (0, 0, 0, 7))
    torch.testing.assert_close(model(**padded).logits, model(**batch).logits)


@torch.no_grad()
def test_matches_steer_the_qat_scores(examples, tokenizer):
    model = qat_model(tiny_encoder("bert", len(tokenizer)))
    batch = examples.collate([0, 1])
    unmatched = {**batch, "match": torch.zeros_like(batch["match"])}
    assert not torch.allclose(model(**unmatched).logits, model(**batch).logits)


@torch.no_grad()
def test_lm_only_ignores_the_graph(encoder, examples):
    model = qat_model(encoder, "lm_only")
    batch = examples.collate([0])
    other = examples.collate([1])  # another question's graphs and matches
    changed = {**batch, "graph": other["graph"], "match": other["match"]}
    logits = model(**batch).logits
    torch.testing.assert_close(model(**changed).logits, logits)
    without = {key: value for key, value in batch.items() if key not in ("graph", "match")}
    torch.testing.assert_close(model(**without).logits, logits)
    assert model.regulariser() == 0


def test_a_larger_bias_lowers_the_loss(examples, tokenizer):
    model = qat_model(tiny_encoder("bert", len(tokenizer)))
    logits, labels = torch.zeros(2, 3), torch.tensor([0, 1])
    biases = [p for n, p in model.named_parameters() if n.endswith("attention.bias")]
    assert len(biases) == 2  # k = 2 layers
    with torch.no_grad():
        for bias in biases:
            bias.zero_()
    torch.testing.assert_close(model.loss(logits, labels), F.cross_entropy(logits, labels))
    with torch.no_grad():
        for bias in biases:
            bias.fill_(1.0)
    expected = F.cross_entropy(logits, labels) - 10.0 * torch.tanh(torch.tensor(1.0))
    torch.testing.assert_close(model.loss(logits, labels), expected)
    model.loss(logits, labels).backward()
    assert all((bias.grad < 0).all() for bias in biases)  # gradient descent raises the biases


@pytest.mark.parametrize("variant", ["qat", "lm_only"])
def test_parameter_groups_partition_the_parameters(variant, tokenizer):
    model = qat_model(tiny_encoder("bert", len(tokenizer)), variant)
    groups = model.parameter_groups()
    encoder, decoder = ({id(p) for p in groups[g]} for g in ("encoder", "decoder"))
    assert encoder == {id(p) for p in model.encoder.parameters()}
    assert not encoder & decoder
    assert encoder | decoder == {id(p) for p in model.parameters()}
    assert len(groups["encoder"]) + len(groups["decoder"]) == len(list(model.parameters()))


def test_a_frozen_encoder_gets_no_gradient(examples, tokenizer):
    model = qat_model(tiny_encoder("bert", len(tokenizer))).train()
    batch = examples.collate([0, 1])
    model.freeze_encoder(True)
    model(**batch).loss.backward()
    assert all(p.grad is None for p in model.encoder.parameters())
    assert all(p.grad is not None for p in model.decoder.parameters())
    model.freeze_encoder(False)
    model(**batch).loss.backward()
    assert model.encoder.embeddings.word_embeddings.weight.grad is not None


def test_config_is_built_from_a_section_and_checked():
    section = {"variant": "qat", "k": 2, "d_model": 1024, "n_heads": 16, "ffn_dim": 2048,
               "dropout": 0.1, "lambda_rpe": 10.0}  # fmt: skip
    assert build(QATConfig, section, "qat").d_model == 1024
    with pytest.raises(ValueError, match="missing keys"):
        build(QATConfig, {k: v for k, v in section.items() if k != "k"}, "qat")
    with pytest.raises(ValueError, match="multiple of n_heads"):
        build(QATConfig, {**section, "n_heads": 12}, "qat")
    with pytest.raises(ValueError, match="variant must be one of"):
        build(QATConfig, {**section, "variant": "gnn"}, "qat")
