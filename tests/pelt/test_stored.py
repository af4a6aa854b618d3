"""The stored artefact: only what inference needs, written atomically, reloaded onto the base
model with the same predictions."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from lmlab.pelt.config import METHODS
from lmlab.pelt.methods import apply_method, trainable_parameter_counts
from lmlab.pelt.stored import load_stored, save_stored

from ..tiny_models import build_tiny, tiny_batch
from .helpers import logits, randomise, tiny_config


def _trained(arch: str, method: str):
    """A model with `method` whose trained parameters all differ from the base model's."""
    model = randomise(apply_method(build_tiny(arch), tiny_config(method)))
    generator = torch.Generator().manual_seed(9)
    with torch.no_grad():
        for _, parameter in sorted(model.named_parameters()):
            if parameter.requires_grad:
                parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.05)
    return model


@pytest.mark.parametrize("method", sorted(METHODS))
def test_reload_reproduces_the_predictions(arch, method, tmp_path):
    model = _trained(arch, method)
    batch = tiny_batch(model)
    save_stored(model, tmp_path / "stored")
    reloaded = load_stored(build_tiny(arch), tmp_path / "stored")
    torch.testing.assert_close(logits(reloaded, batch), logits(model, batch), atol=1e-5, rtol=1e-5)
    assert trainable_parameter_counts(reloaded).stored == trainable_parameter_counts(model).stored


def test_artefact_holds_the_stored_parameters_and_the_config(tmp_path):
    model = _trained("bert-sdpa", "unipelt")
    save_stored(model, tmp_path / "stored")
    tensors = load_file(tmp_path / "stored" / "pelt.safetensors")
    assert not any("prefix_encoder" in name for name in tensors)
    assert tensors["bert.encoder.layer.1.attention.self.prefix.key"].shape == (3, 32)
    assert (
        sum(t.numel() for t in tensors.values()) == trainable_parameter_counts(model).stored_total
    )
    meta = json.loads((tmp_path / "stored" / "pelt.json").read_text())
    assert meta["pelt"] == tiny_config("unipelt").to_dict()
    assert (meta["model_type"], meta["num_labels"]) == ("bert", 3)


def test_a_failed_save_leaves_no_directory(tmp_path, monkeypatch):
    import lmlab.pelt.stored as stored

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(stored, "save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        save_stored(_trained("bert-sdpa", "lora"), tmp_path / "stored")
    assert list(tmp_path.iterdir()) == []


def test_loading_onto_another_architecture_is_refused(tmp_path):
    save_stored(_trained("bert-sdpa", "adapter"), tmp_path / "stored")
    with pytest.raises(ValueError, match="model_type"):
        load_stored(build_tiny("roberta"), tmp_path / "stored")
