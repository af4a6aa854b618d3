"""Encoder on the first device, decoder on the second, activations moved across in forward."""

from __future__ import annotations

from unittest import mock

import pytest
import torch

from lmlab.qat.batches import QATExamples
from lmlab.qat.config import QATConfig
from lmlab.qat.matcher import LemmaMatcher
from lmlab.qat.matches import precompute_matches
from lmlab.qat.model import QATModel
from lmlab.qat.placement import place_model, split_devices

from .conftest import tiny_encoder
from .handmade import CONCEPTS


def test_two_devices_split_and_one_device_holds_both():
    cuda0, cuda1 = torch.device("cuda:0"), torch.device("cuda:1")
    assert split_devices(["cuda:0", "cuda:1"]) == (cuda0, cuda1)
    assert split_devices([cuda0]) == (cuda0, cuda0)
    for devices in ([], ["cuda:0", "cuda:1", "cuda:2"]):
        with pytest.raises(ValueError, match="one or two devices"):
            split_devices(devices)


@pytest.fixture
def model_and_batch(tokens, graphs, tokenizer):
    torch.manual_seed(0)
    config = QATConfig("qat", k=1, d_model=16, n_heads=2, ffn_dim=16, dropout=0.0, lambda_rpe=1.0)
    model = QATModel(config, tiny_encoder("bert", len(tokenizer))).eval()
    lists = precompute_matches(tokens, graphs, CONCEPTS, tokenizer, LemmaMatcher())
    return model, QATExamples(tokens, graphs, lists).collate([0, 1])


def test_parts_are_moved_to_their_devices(model_and_batch):
    model, _ = model_and_batch
    with (
        mock.patch.object(model.encoder, "to") as encoder_to,
        mock.patch.object(model.decoder, "to") as decoder_to,
    ):
        assert place_model(model, ["cuda:0", "cuda:1"]) is model
    encoder_to.assert_called_once_with(torch.device("cuda:0"))
    decoder_to.assert_called_once_with(torch.device("cuda:1"))


@torch.no_grad()
def test_forward_after_placement_on_a_fake_pair_of_devices(model_and_batch):
    model, batch = model_and_batch
    before = model(**batch).logits
    place_model(model, ["cpu", "cpu"])
    assert model.encoder_device == model.decoder_device == torch.device("cpu")
    torch.testing.assert_close(model(**batch).logits, before)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@torch.no_grad()
def test_encoder_on_the_gpu_and_decoder_on_the_cpu_give_the_cpu_logits(model_and_batch):
    model, batch = model_and_batch
    before = model(**batch).logits
    place_model(model, ["cuda:0", "cpu"])
    assert model.encoder_device.type == "cuda" and model.decoder_device.type == "cpu"
    logits = model(**batch).logits  # batch on the CPU: forward moves each part's inputs
    assert logits.device.type == "cpu"
    torch.testing.assert_close(logits, before, atol=1e-4, rtol=1e-4)
