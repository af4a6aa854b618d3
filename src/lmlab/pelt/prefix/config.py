"""Prefix-tuning hyper-parameters (Li & Liang, 2021; UniPELT §3.1): prefix length and the hidden
width of the reparameterisation MLP; gated prefixes scale their keys and values by a gate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrefixConfig:
    length: int
    hidden: int
    gated: bool
