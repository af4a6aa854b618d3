"""Bottleneck adapter: Pfeiffer placement on the FFN output, zero-initialised up-projection."""

from __future__ import annotations

import torch

from lmlab.models.architecture import encoder_layers
from lmlab.pelt.methods import apply_method

from ..tiny_models import build_tiny, tiny_batch
from .helpers import logits, randomise, tiny_config


def test_up_projection_starts_at_zero_so_the_model_is_unchanged(arch):
    base = build_tiny(arch)
    model = apply_method(build_tiny(arch), tiny_config("adapter"))
    batch = tiny_batch(model)
    torch.testing.assert_close(logits(model, batch), logits(base, batch), rtol=0, atol=0)
    assert model.base_model.encoder.layer[0].adapter.down.out_features == 32 // 4


def test_adapter_acts_on_the_ffn_output_before_residual_and_layernorm(arch):
    model = randomise(apply_method(build_tiny(arch), tiny_config("adapter")))
    layer = encoder_layers(model)[1]
    seen = {}
    layer.intermediate.register_forward_hook(lambda _m, args, out: seen.update(x=args[0], i=out))
    layer.output.register_forward_hook(lambda _m, _args, out: seen.update(out=out))
    logits(model, tiny_batch(model))
    ffn = layer.output.dense(seen["i"])
    adapter = layer.adapter
    expected = layer.output.LayerNorm(ffn + adapter.up(torch.relu(adapter.down(ffn))) + seen["x"])
    torch.testing.assert_close(seen["out"], expected, atol=1e-5, rtol=1e-5)
