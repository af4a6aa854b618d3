"""Put the encoder and the decoder of a QAT model on different devices (SPEC §6).

QAT's training script runs RoBERTa-large on cuda:0 and the graph transformer on cuda:1. Given
the devices of a job (`["cuda:0", "cuda:1"]`, or one device for both), `place_model` moves
`model.encoder` to the first and `model.decoder` to the second; `QATModel.forward` then sends
each input to the device of the part that reads it and the encoder's states across.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from lmlab.qat.model import QATModel


def split_devices(devices: Sequence[str | torch.device]) -> tuple[torch.device, torch.device]:
    """(encoder device, decoder device) of one or two devices: one device holds both parts."""
    if not 1 <= len(devices) <= 2:
        raise ValueError(f"QAT places its two parts on one or two devices, got {list(devices)}")
    encoder = torch.device(devices[0])
    return encoder, torch.device(devices[-1])


def place_model(model: QATModel, devices: Sequence[str | torch.device]) -> QATModel:
    """Move the encoder to the first device and the decoder to the last; returns `model`."""
    encoder, decoder = split_devices(devices)
    model.encoder.to(encoder)
    model.decoder.to(decoder)
    return model
