"""The typed configuration of one UniPELT experiment arm (SPEC §7; Mao et al., ACL 2022, §3-4).

`PeltConfig` is built once from the validated `pelt:` config section; every field is required
here because the schema alone holds defaults. `METHODS` says, per method name, which submodules
it adds and whether they are gated: the paper compares full fine-tuning, each single method
(LoRA, prefix-tuning, bottleneck adapter: ungated), UniPELT (all three, each with its gate, §3.2)
and UniPELT without gates (§4.3 ablation). The per-method configs (`lora_config()` and so on)
are what the method folders consume, as peft's tuners do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lmlab.pelt.adapter.config import AdapterConfig
from lmlab.pelt.lora.config import LoraConfig
from lmlab.pelt.prefix.config import PrefixConfig


@dataclass(frozen=True)
class Method:
    """Which submodules a method adds, and whether each carries a gate."""

    lora: bool
    prefix: bool
    adapter: bool
    gated: bool


METHODS: dict[str, Method] = {
    "full": Method(lora=False, prefix=False, adapter=False, gated=False),
    "lora": Method(lora=True, prefix=False, adapter=False, gated=False),
    "adapter": Method(lora=False, prefix=False, adapter=True, gated=False),
    "prefix": Method(lora=False, prefix=True, adapter=False, gated=False),
    "unipelt": Method(lora=True, prefix=True, adapter=True, gated=True),
    "unipelt_nogate": Method(lora=True, prefix=True, adapter=True, gated=False),
}


@dataclass(frozen=True)
class PeltConfig:
    """One method and its hyper-parameters (paper: rank 8, alpha 16, prefix 10 with an MLP of
    512, adapter reduction 16; the values come from the config schema, not from here)."""

    method: str
    lora_rank: int
    lora_alpha: float
    prefix_length: int
    prefix_hidden: int
    adapter_reduction: int

    def __post_init__(self) -> None:
        # The method name comes from a rule's wildcard or a stored artefact, not from a config
        # key the schema checks; the sizes come from `unipelt.method`, which the schema bounds.
        if self.method not in METHODS:
            raise ValueError(f"pelt.method: {self.method!r} is not one of {sorted(METHODS)}")

    @property
    def spec(self) -> Method:
        return METHODS[self.method]

    def lora_config(self) -> LoraConfig | None:
        if not self.spec.lora:
            return None
        return LoraConfig(rank=self.lora_rank, alpha=self.lora_alpha, gated=self.spec.gated)

    def prefix_config(self) -> PrefixConfig | None:
        if not self.spec.prefix:
            return None
        return PrefixConfig(
            length=self.prefix_length, hidden=self.prefix_hidden, gated=self.spec.gated
        )

    def adapter_config(self) -> AdapterConfig | None:
        if not self.spec.adapter:
            return None
        return AdapterConfig(reduction=self.adapter_reduction, gated=self.spec.gated)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PeltConfig:
        return cls(**values)


@dataclass(frozen=True)
class MethodSizes:
    """`unipelt.method`: the hyper-parameters every method draws its own from (PeltConfig
    without the method name)."""

    lora_rank: int
    lora_alpha: float
    prefix_length: int
    prefix_hidden: int
    adapter_reduction: int

    def for_method(self, method: str) -> PeltConfig:
        return PeltConfig(method, **asdict(self))


@dataclass(frozen=True)
class UniPELTTrain:
    """`unipelt.train`: one run's optimisation; `lr` per method (PELT methods need far larger
    learning rates than full fine-tuning)."""

    epochs: int
    batch_size: int
    eval_batch_size: int
    warmup_ratio: float
    weight_decay: float
    max_grad_norm: float
    patience: int
    lr: dict[str, float]


@dataclass(frozen=True)
class Efficiency:
    """`unipelt.efficiency`: the fixed batch and length at which inference latency and peak
    memory are measured, and how many timed passes."""

    batch_size: int
    seq_len: int
    repeats: int
