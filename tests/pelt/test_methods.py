"""Assembling methods: exactly the expected trainable parameters, padding invariance of every
method on every architecture, gates at 0 give the base model, BERT-base parameter counts."""

from __future__ import annotations

import copy

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from lmlab.pelt.adapter.config import AdapterConfig
from lmlab.pelt.adapter.model import inject_adapters
from lmlab.pelt.config import METHODS, PeltConfig
from lmlab.pelt.lora.config import LoraConfig
from lmlab.pelt.lora.model import inject_lora
from lmlab.pelt.methods import apply_method, trainable_parameter_counts
from lmlab.pelt.padding import track_padding

from ..tiny_models import build_tiny, tiny_batch
from .helpers import force_gates, logits, randomise, tiny_config

LAYERS = (0, 1)
WEIGHT_BIAS = ("weight", "bias")


def _lora(root: str, targets: tuple[str, str], gated: bool) -> set[str]:
    names = {
        f"{root}.encoder.layer.{layer}.attention.self.{t}.lora.{m}.weight"
        for layer in LAYERS
        for t in targets
        for m in "AB"
    }
    if gated:
        names |= {
            f"{root}.encoder.layer.{layer}.attention.self.{t}.lora.gate.proj.{w}"
            for layer in LAYERS
            for t in targets
            for w in WEIGHT_BIAS
        }
    return names


def _adapter(root: str, gated: bool) -> set[str]:
    parts = ("down", "up", "gate.proj") if gated else ("down", "up")
    return {
        f"{root}.encoder.layer.{layer}.adapter.{p}.{w}"
        for layer in LAYERS
        for p in parts
        for w in WEIGHT_BIAS
    }


def _prefix(root: str, gated: bool) -> set[str]:
    names = {f"{root}.prefix_encoder.embedding.weight"}
    names |= {
        f"{root}.prefix_encoder.{p}.{w}" for p in ("proj_in", "proj_out") for w in WEIGHT_BIAS
    }
    if gated:
        names |= {
            f"{root}.encoder.layer.{layer}.attention.self.prefix.gate.proj.{w}"
            for layer in LAYERS
            for w in WEIGHT_BIAS
        }
    return names


BERT_HEAD = {"classifier.weight", "classifier.bias"}
BERT_EXPECTED = {
    "lora": _lora("bert", ("query", "value"), False) | BERT_HEAD,
    "adapter": _adapter("bert", False) | BERT_HEAD,
    "prefix": _prefix("bert", False) | BERT_HEAD,
    "unipelt": _lora("bert", ("query", "value"), True)
    | _adapter("bert", True)
    | _prefix("bert", True)
    | BERT_HEAD,
    "unipelt_nogate": _lora("bert", ("query", "value"), False)
    | _adapter("bert", False)
    | _prefix("bert", False)
    | BERT_HEAD,
}


def _trainable(model) -> set[str]:
    return {name for name, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("method", sorted(BERT_EXPECTED))
def test_bert_trains_exactly_the_methods_parameters_and_the_head(method):
    model = apply_method(build_tiny("bert-sdpa"), tiny_config(method))
    assert _trainable(model) == BERT_EXPECTED[method]


def test_full_fine_tuning_trains_everything():
    model = apply_method(build_tiny("bert-eager"), tiny_config("full"))
    assert _trainable(model) == {name for name, _ in model.named_parameters()}
    assert set(trainable_parameter_counts(model).training) == {"encoder", "head"}


def test_deberta_trains_its_pooler_as_part_of_the_head():
    model = apply_method(build_tiny("deberta-v2"), tiny_config("lora"))
    head = {f"{m}.{w}" for m in ("pooler.dense", "classifier") for w in WEIGHT_BIAS}
    assert _trainable(model) == _lora("deberta", ("query_proj", "value_proj"), False) | head


def test_roberta_trains_its_classification_head():
    model = apply_method(build_tiny("roberta"), tiny_config("adapter"))
    head = {f"classifier.{m}.{w}" for m in ("dense", "out_proj") for w in WEIGHT_BIAS}
    assert _trainable(model) == _adapter("roberta", False) | head


def test_a_model_takes_one_method_only():
    model = apply_method(build_tiny("bert-sdpa"), tiny_config("lora"))
    with pytest.raises(ValueError, match="already carries"):
        apply_method(model, tiny_config("adapter"))


def test_lora_and_adapter_gated_to_zero_give_the_base_model(arch):
    base = build_tiny(arch)
    model = build_tiny(arch)
    padding = track_padding(model)
    inject_lora(model, LoraConfig(rank=4, alpha=8.0, gated=True), padding)
    inject_adapters(model, AdapterConfig(reduction=4, gated=True), padding)
    randomise(model)
    batch = tiny_batch(model)
    assert not torch.allclose(logits(model, batch), logits(base, batch), atol=1e-3)
    force_gates(model, {"lora_query", "lora_value", "adapter"}, 0.0)
    torch.testing.assert_close(logits(model, batch), logits(base, batch), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_padding_does_not_change_the_logits(arch, method):
    model = randomise(apply_method(build_tiny(arch), tiny_config(method)))
    batch = tiny_batch(model, lengths=(6, 11))
    alone = {key: batch[key][:1, :6] for key in ("input_ids", "attention_mask")}
    torch.testing.assert_close(logits(model, batch)[:1], logits(model, alone), atol=1e-5, rtol=1e-5)


def _bert_base(method: str):
    """A BERT-base-sized classifier with `method`, on the meta device (no weights)."""
    config = BertConfig(
        hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072
    )
    with torch.device("meta"):
        model = BertForSequenceClassification(config)
    return apply_method(model, PeltConfig(method, 8, 16.0, 10, 512, 16))


def test_bert_base_counts_match_the_paper():
    """SPEC §7: adapter 894,528; LoRA 294,912; prefix 184,320 as stored; gates 36,912."""
    counts = trainable_parameter_counts(_bert_base("unipelt"))
    head = 768 * 2 + 2
    assert counts.stored == {
        "lora": 294_912,
        "prefix": 184_320,
        "adapter": 894_528,
        "gates": 36_912,
        "head": head,
    }
    mlp = 10 * 768 + (768 * 512 + 512) + (512 * 12 * 2 * 768 + 12 * 2 * 768)
    assert counts.training == {**counts.stored, "prefix": mlp}
    assert counts.stored_total - head == 1_410_672
    assert counts.model == 109_483_778


@pytest.mark.parametrize(
    ("method", "own"),
    [
        ("lora", {"lora": 294_912}),
        ("adapter", {"adapter": 894_528}),
        ("prefix", {"prefix": 184_320}),
    ],
)
def test_bert_base_single_methods_have_no_gates(method, own):
    assert trainable_parameter_counts(_bert_base(method)).stored == {**own, "head": 768 * 2 + 2}


def test_every_trained_parameter_gets_a_gradient(arch):
    model = randomise(apply_method(build_tiny(arch), tiny_config("unipelt"))).train()
    model(**tiny_batch(model)).loss.backward()
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
        else:
            assert parameter.grad is None, name


def test_a_deep_copy_carries_its_own_working_method(arch):
    model = randomise(apply_method(build_tiny(arch), tiny_config("unipelt")))
    batch = tiny_batch(model)
    copied = copy.deepcopy(model)
    torch.testing.assert_close(logits(copied, batch), logits(model, batch), atol=1e-6, rtol=1e-6)
    with torch.no_grad():
        model.base_model.prefix_encoder.embedding.weight.add_(1.0)
    assert not torch.allclose(logits(copied, batch), logits(model, batch), atol=1e-4)
