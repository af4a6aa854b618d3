"""Bottleneck-adapter hyper-parameters (Houlsby et al., 2019; Pfeiffer placement; UniPELT §3.1):
the bottleneck is hidden / reduction wide; gated adapters scale their output by a gate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AdapterConfig:
    reduction: int
    gated: bool
