"""LoRA: the update s * B A x on W_q and W_v, B starting at zero, token states only."""

from __future__ import annotations

import torch

from lmlab.models.architecture import encoder_layers, qkv_projections
from lmlab.pelt.methods import apply_method

from ..tiny_models import build_tiny, tiny_batch
from .helpers import logits, randomise, tiny_config


def test_b_starts_at_zero_so_the_model_is_unchanged(arch):
    base = build_tiny(arch)
    model = apply_method(build_tiny(arch), tiny_config("lora"))
    batch = tiny_batch(model)
    torch.testing.assert_close(logits(model, batch), logits(base, batch), rtol=0, atol=0)


def test_ungated_lora_adds_alpha_over_r_times_b_a_x():
    model = randomise(apply_method(build_tiny("bert-eager"), tiny_config("lora")))
    query, _, _ = qkv_projections(model, encoder_layers(model)[1])
    seen = []
    query.register_forward_hook(lambda _m, args, out: seen.append((args[0], out)))
    logits(model, tiny_batch(model))
    ((x, out),) = seen
    branch = query.lora
    expected = query.weight @ x.unsqueeze(-1)
    expected = expected.squeeze(-1) + query.bias + 2.0 * branch.B(branch.A(x))
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


def test_deberta_relative_position_projection_keeps_the_pretrained_weights():
    model = randomise(apply_method(build_tiny("deberta-v2"), tiny_config("lora")))
    query, _, _ = qkv_projections(model, encoder_layers(model)[0])
    calls = []
    query.register_forward_hook(lambda _m, args, out: calls.append((args[0], out)))
    logits(model, tiny_batch(model))
    assert len(calls) == 2  # the token states, then the relative-position embeddings
    (tokens, token_out), (positions, position_out) = calls
    plain = torch.nn.functional.linear
    assert not torch.allclose(token_out, plain(tokens, query.weight, query.bias))
    torch.testing.assert_close(position_out, plain(positions, query.weight, query.bias))
