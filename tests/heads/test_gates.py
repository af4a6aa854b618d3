import copy

import pytest
import torch

from lmlab.heads.gates import head_gates, heads_off, ones
from lmlab.models.architecture import attention_self, encoder_layers, head_shape, output_projection
from lmlab.tasks.examples import model_inputs
from lmlab.tasks.metrics import per_example_loss

from ..tiny_models import build_tiny, tiny_batch


def logits(model, batch):
    with torch.no_grad():
        return model(**model_inputs(batch)).logits


def test_gate_zero_equals_zeroing_the_heads_columns_of_w_o(tiny_model):
    batch = tiny_batch(tiny_model)
    _, _, dim = head_shape(tiny_model)
    for layer, head in [(0, 1), (1, 3)]:
        with head_gates(tiny_model, heads_off(tiny_model, [(layer, head)])):
            gated = logits(tiny_model, batch)
        pruned = copy.deepcopy(tiny_model)
        w_o = output_projection(encoder_layers(pruned)[layer]).weight
        with torch.no_grad():
            w_o[:, head * dim : (head + 1) * dim] = 0
        torch.testing.assert_close(gated, logits(pruned, batch), rtol=0, atol=1e-6)
        assert not torch.allclose(gated, logits(tiny_model, batch), atol=1e-4)


def test_gate_one_everywhere_changes_nothing(tiny_model):
    batch = tiny_batch(tiny_model)
    with head_gates(tiny_model, ones(tiny_model)):
        gated = logits(tiny_model, batch)
    with head_gates(tiny_model, ones(tiny_model, batch=5)):
        per_example = logits(tiny_model, batch)
    torch.testing.assert_close(gated, logits(tiny_model, batch), rtol=0, atol=0)
    torch.testing.assert_close(per_example, gated, rtol=0, atol=0)


def test_per_example_gates_act_on_their_own_row_only(tiny_model):
    batch = tiny_batch(tiny_model)
    gates = ones(tiny_model, batch=5)
    gates[1][2, 0] = 0.0  # example 2, layer 1, head 0
    with head_gates(tiny_model, gates):
        gated = logits(tiny_model, batch)
    with head_gates(tiny_model, heads_off(tiny_model, [(1, 0)])):
        off = logits(tiny_model, batch)
    base = logits(tiny_model, batch)
    torch.testing.assert_close(gated[2], off[2], rtol=0, atol=1e-6)
    torch.testing.assert_close(gated[[0, 1, 3, 4]], base[[0, 1, 3, 4]], rtol=0, atol=0)


def test_gate_gradient_is_inner_product_of_w_o_slice_with_its_gradient(tiny_model):
    batch = tiny_batch(tiny_model)
    layers, heads, dim = head_shape(tiny_model)
    gates = ones(tiny_model, batch=5, requires_grad=True)
    with head_gates(tiny_model, gates):
        loss = per_example_loss(tiny_model(**model_inputs(batch)).logits, batch["labels"]).sum()
    loss.backward()
    for layer in range(layers):
        w_o = output_projection(encoder_layers(tiny_model)[layer]).weight
        for head in range(heads):
            cols = slice(head * dim, (head + 1) * dim)
            expected = (w_o[:, cols] * w_o.grad[:, cols]).sum()
            got = gates[layer].grad[:, head].sum()
            torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-6)
    assert gates[0].grad.abs().sum() > 0


def test_hooks_are_removed_after_the_block_even_on_error():
    model = build_tiny("bert-sdpa")
    batch = tiny_batch(model)
    base = logits(model, batch)
    with pytest.raises(RuntimeError, match="boom"), head_gates(model, torch.zeros(2, 4)):
        raise RuntimeError("boom")
    for layer in encoder_layers(model):
        assert not attention_self(layer)._forward_hooks
    torch.testing.assert_close(logits(model, batch), base, rtol=0, atol=0)


def test_gate_shapes_are_checked():
    model = build_tiny("bert-eager")
    with pytest.raises(ValueError, match="layers given"), head_gates(model, torch.ones(3, 4)):
        pass
    with pytest.raises(ValueError, match="expected"), head_gates(model, torch.ones(2, 5)):
        pass
    with pytest.raises(ValueError, match="outside"):
        heads_off(model, [(2, 0)])
