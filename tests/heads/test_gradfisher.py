import numpy as np
import torch

from lmlab.heads.gradfisher import gate_gradients, gradient_rows, per_example_gate_gradients
from lmlab.tasks.examples import batches

from ..tiny_models import build_tiny
from .test_importance import random_examples


def test_one_backward_gives_each_examples_own_gate_gradient(tiny_model):
    examples = random_examples(5)
    batch = next(batches(examples, 5))
    together = per_example_gate_gradients(tiny_model, batch)
    assert together.shape == (2, 5, 4)
    for i in range(5):
        alone = next(batches(examples.select([int(batch["index"][i])]), 1))
        torch.testing.assert_close(
            together[:, i],
            per_example_gate_gradients(tiny_model, alone)[:, 0],
            atol=1e-6,
            rtol=1e-4,
        )


def test_g_f_ppred_follow_their_definitions_and_ppred_is_in_unit_interval():
    model = build_tiny("bert-sdpa")
    examples = random_examples(9)
    kept = gate_gradients(model, examples, batch_size=4)
    rows = gradient_rows(kept)
    grads = torch.cat([per_example_gate_gradients(model, b) for b in batches(examples, 4)], dim=1)
    grads = grads.double().numpy()
    assert kept.shape == (2, 4, 9)
    np.testing.assert_allclose(kept, grads.transpose(0, 2, 1), rtol=1e-12)
    for row in rows:
        g = grads[row["layer"], :, row["head"]]
        assert np.isclose(row["G"], np.abs(g).mean(), rtol=1e-9)
        assert np.isclose(row["F"], (g**2).mean(), rtol=1e-9)
        assert np.isclose(row["Gsigned"], g.mean(), rtol=1e-9, atol=1e-15)
        assert 0.0 <= row["Psign"] <= row["Ppred"] <= 1.0
    assert len(rows) == 8 and all(row["F"] > 0 for row in rows)


def test_gate_gradients_leave_the_weights_trainable_and_without_grad():
    model = build_tiny("deberta-v2")
    gate_gradients(model, random_examples(3), batch_size=2)
    assert all(p.requires_grad and p.grad is None for p in model.parameters())
