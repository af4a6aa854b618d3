"""LoRA hyper-parameters (Hu et al., 2022; UniPELT §3.1): rank r and alpha; ungated LoRA adds
(alpha / r) * B A x, gated LoRA replaces that scaling by its gate (UniPELT §3.2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoraConfig:
    rank: int
    alpha: float
    gated: bool

    @property
    def scaling(self) -> float:
        return self.alpha / self.rank
