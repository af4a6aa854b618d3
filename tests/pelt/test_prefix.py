"""Prefix-tuning: the gate scales only prefix keys/values, prefix positions always take softmax
mass, the attention-interface path (BERT/RoBERTa) and the DeBERTa-v2 path."""

from __future__ import annotations

import math

import pytest
import torch

from lmlab.models.architecture import attention_self, encoder_layers
from lmlab.pelt.methods import apply_method
from lmlab.pelt.padding import track_padding
from lmlab.pelt.prefix.config import PrefixConfig
from lmlab.pelt.prefix.layer import PrefixLayer
from lmlab.pelt.prefix.model import inject_prefix, materialised_prefix

from ..tiny_models import build_tiny, tiny_batch
from .helpers import force_gates, logits, randomise, tiny_config


def _with_prefix(arch: str, keys_values: dict[str, torch.Tensor]):
    """An ungated prefix model whose stored keys and values are `keys_values`."""
    model = apply_method(build_tiny(arch), tiny_config("prefix"), stored=True)
    model.load_state_dict(keys_values, strict=False)
    return model


def test_empty_prefix_leaves_attention_unchanged(arch):
    base = build_tiny(arch)
    model = build_tiny(arch)
    inject_prefix(model, PrefixConfig(length=0, hidden=4, gated=False), track_padding(model), True)
    batch = tiny_batch(model)
    torch.testing.assert_close(logits(model, batch), logits(base, batch), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("value", [0.3, 0.0])
def test_gate_multiplies_only_the_prefix_keys_and_values(arch, value):
    gated = randomise(apply_method(build_tiny(arch), tiny_config("unipelt")))
    force_gates(gated, {"lora_query", "lora_value", "adapter"}, 0.0)
    force_gates(gated, {"prefix"}, value)
    scaled = {name: value * tensor for name, tensor in materialised_prefix(gated).items()}
    batch = tiny_batch(gated)
    expected = logits(_with_prefix(arch, scaled), batch)
    torch.testing.assert_close(logits(gated, batch), expected, atol=1e-5, rtol=1e-5)


def test_prefix_gated_to_zero_still_takes_softmax_mass(arch):
    gated = randomise(apply_method(build_tiny(arch), tiny_config("unipelt")))
    force_gates(gated, {"lora_query", "lora_value", "adapter", "prefix"}, 0.0)
    batch = tiny_batch(gated)
    assert not torch.allclose(logits(gated, batch), logits(build_tiny(arch), batch), atol=1e-3)


def test_eager_and_sdpa_attention_agree_with_a_prefix():
    eager, sdpa = (
        randomise(apply_method(build_tiny(name), tiny_config("unipelt")))
        for name in ("bert-eager", "bert-sdpa")
    )
    assert eager.config._attn_implementation == "lmlab_prefix_eager"
    assert sdpa.config._attn_implementation == "lmlab_prefix_sdpa"
    batch = tiny_batch(eager)
    torch.testing.assert_close(logits(eager, batch), logits(sdpa, batch), atol=1e-5, rtol=1e-5)


def test_materialised_prefix_is_the_mlp_output(arch):
    trained = randomise(apply_method(build_tiny(arch), tiny_config("prefix")))
    tensors = materialised_prefix(trained)
    assert len(tensors) == 2 * 2 and all(t.shape == (3, 32) for t in tensors.values())
    batch = tiny_batch(trained)
    torch.testing.assert_close(
        logits(_with_prefix(arch, tensors), batch), logits(trained, batch), atol=1e-5, rtol=1e-5
    )


@pytest.mark.parametrize("arch", ["deberta-v2", "deberta-v2-conv"])
def test_deberta_prefix_scores_have_no_relative_position_terms(arch):
    model = randomise(apply_method(build_tiny(arch), tiny_config("prefix")))
    stock = build_tiny(arch)
    attention = attention_self(encoder_layers(model)[0])
    seen = {}
    attention.register_forward_pre_hook(lambda _m, args: seen.update(x=args[0]))
    batch = tiny_batch(model)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        probs = model(**inputs, output_attentions=True).attentions[0]  # [B, h, T, P + T]
        stock_probs = stock(**inputs, output_attentions=True).attentions[0]
        keys, _ = attention.prefix(seen["x"])
        heads, dim = 4, 8
        query = attention.query_proj(seen["x"]).view(*seen["x"].shape[:2], heads, dim)
        prefix_key = keys.view(keys.shape[0], -1, heads, dim)
        content = torch.einsum("bthd,bphd->bhtp", query, prefix_key) / math.sqrt(dim * 3)
    length = 3
    on_prefix = probs[..., :length] / probs[..., :length].sum(-1, keepdim=True)
    torch.testing.assert_close(on_prefix, torch.softmax(content, -1), atol=1e-5, rtol=1e-4)
    on_tokens = probs[..., length:] / probs[..., length:].sum(-1, keepdim=True)
    for row, n in enumerate(batch["attention_mask"].sum(-1).tolist()):
        torch.testing.assert_close(
            on_tokens[row, :, :n, :n], stock_probs[row, :, :n, :n], atol=1e-5, rtol=1e-4
        )


def test_stored_prefix_owns_keys_and_values_and_no_mlp():
    model = apply_method(build_tiny("roberta"), tiny_config("unipelt"), stored=True)
    assert not hasattr(model.base_model, "prefix_encoder")
    prefixes = [m for m in model.modules() if isinstance(m, PrefixLayer)]
    assert [tuple(p.key.shape) for p in prefixes] == [(3, 32), (3, 32)]
