"""Gates: masked token average, padding invariance, on-device statistics read out at once."""

from __future__ import annotations

import pytest
import torch

from lmlab.pelt.gates import Gate, gate_statistics, gates, reset_gate_statistics
from lmlab.pelt.methods import apply_method
from lmlab.pelt.padding import PaddingMask

from ..tiny_models import build_tiny, tiny_batch
from .helpers import logits, randomise, tiny_config


def test_gate_averages_the_token_sigmoid_over_real_tokens_only():
    padding = PaddingMask()
    gate = Gate(8, padding, layer=0, site="adapter", like=torch.zeros(1))
    x = torch.randn(2, 4, 8)
    padding.mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])
    token = torch.sigmoid(gate.proj(x)).squeeze(-1)
    expected = torch.stack([token[0, :2].mean(), token[1].mean()])
    torch.testing.assert_close(gate(x), expected)


def test_gate_without_mask_averages_every_token():
    gate = Gate(8, PaddingMask(), layer=0, site="prefix", like=torch.zeros(1))
    x = torch.randn(3, 5, 8)
    torch.testing.assert_close(gate(x), torch.sigmoid(gate.proj(x)).squeeze(-1).mean(-1))


def _gate_values(model, batch) -> dict[tuple[int, str], torch.Tensor]:
    seen = {}
    handles = [
        gate.register_forward_hook(
            lambda module, _args, out: seen.setdefault((module.layer, module.site), out)
        )
        for gate in gates(model)
    ]
    logits(model, batch)
    for handle in handles:
        handle.remove()
    return seen


def test_gate_values_do_not_depend_on_padding(arch):
    model = randomise(apply_method(build_tiny(arch), tiny_config("unipelt")))
    batch = tiny_batch(model, lengths=(6, 11))
    alone = {key: value[:1, :6] for key, value in batch.items() if key != "labels"}
    padded, single = _gate_values(model, batch), _gate_values(model, alone)
    assert len(single) == 2 * 4
    for key, value in single.items():
        torch.testing.assert_close(padded[key][:1], value, atol=1e-6, rtol=1e-5)


def test_statistics_are_means_over_eval_examples_per_layer_and_submodule():
    model = randomise(apply_method(build_tiny("bert-sdpa"), tiny_config("unipelt")))
    first, second = tiny_batch(model, (5, 9, 7), seed=1), tiny_batch(model, (8, 4), seed=2)
    values = [_gate_values(model, first), _gate_values(model, second)]
    reset_gate_statistics(model)
    logits(model, first)
    logits(model, second)
    rows = gate_statistics(model)
    assert [(row.layer, row.site) for row in rows] == [
        (layer, site)
        for layer in (0, 1)
        for site in ("lora_query", "lora_value", "prefix", "adapter")
    ]
    for row in rows:
        seen = torch.cat([batch[(row.layer, row.site)] for batch in values])
        assert row.examples == 5
        assert row.mean == pytest.approx(seen.mean().item(), rel=1e-5)
    reset_gate_statistics(model)
    assert all(row.examples == 0 for row in gate_statistics(model))


def test_training_passes_leave_the_statistics_alone():
    model = apply_method(build_tiny("roberta"), tiny_config("unipelt")).train()
    model(**tiny_batch(model))
    assert all(row.examples == 0 for row in gate_statistics(model))


class _HostSyncs:
    """Counts tensor-to-host conversions (the calls that force a device sync)."""

    NAMES = ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__")

    def __init__(self, monkeypatch):
        self.calls = []
        for name in self.NAMES:
            original = getattr(torch.Tensor, name)
            monkeypatch.setattr(torch.Tensor, name, self._counting(name, original))

    def _counting(self, name, original):
        def method(tensor, *args, **kwargs):
            self.calls.append(name)
            return original(tensor, *args, **kwargs)

        return method


def test_accumulation_stays_on_device_and_readout_syncs_once(monkeypatch):
    base = build_tiny("bert-sdpa")
    model = apply_method(build_tiny("bert-sdpa"), tiny_config("unipelt"))
    device = next(model.parameters()).device
    assert all(
        isinstance(gate.total, torch.Tensor) and gate.total.device == device
        for gate in gates(model)
    )
    batch = tiny_batch(model)
    syncs = _HostSyncs(monkeypatch)
    logits(base, batch)
    base_calls = list(syncs.calls)
    syncs.calls.clear()
    for _ in range(3):
        logits(model, batch)
    assert syncs.calls == base_calls * 3  # the method adds no host sync to a forward pass
    syncs.calls.clear()
    gate_statistics(model)
    assert syncs.calls == ["tolist"]
