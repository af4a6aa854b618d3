"""Assembling a UniPELT-study method onto a sequence classifier (SPEC §7; Mao et al., ACL 2022).

`apply_method(model, config)` adds the method's submodules to a `*ForSequenceClassification`
model in place (LoRA, prefix, adapter and their gates, per `METHODS`), freezes everything else
except the classification head (random at initialisation, so always trained; the original code
froze it for its single-method baselines, which lmlab does not repeat) and records the config on
the model (`model.pelt_config`). `full` adds nothing and trains everything.

Every parameter belongs to one component: `lora`, `prefix`, `adapter`, `gates` (the method's
own), `head`, or `encoder` (the pretrained model). `trainable_parameter_counts` reports them as
trained (with the prefix MLP) and as stored (the prefix as its L x 2 x P x W keys and values).
For BERT-base: adapter 894,528; LoRA 294,912; prefix 184,320 stored; gates 36,912.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from lmlab.models.architecture import classification_head
from lmlab.pelt.adapter.layer import Adapter
from lmlab.pelt.adapter.model import inject_adapters
from lmlab.pelt.config import PeltConfig
from lmlab.pelt.gates import Gate
from lmlab.pelt.lora.layer import LoraBranch
from lmlab.pelt.lora.model import inject_lora
from lmlab.pelt.padding import track_padding
from lmlab.pelt.prefix.layer import PrefixEncoder, PrefixLayer
from lmlab.pelt.prefix.model import inject_prefix

COMPONENTS = ("lora", "prefix", "adapter", "gates", "head", "encoder")
_OWNERS = {LoraBranch: "lora", PrefixEncoder: "prefix", PrefixLayer: "prefix", Adapter: "adapter"}


def apply_method(model: nn.Module, config: PeltConfig, stored: bool = False) -> nn.Module:
    """Add `config.method` to `model` in place, freeze what the method does not train, and
    return `model`. With `stored=True` the prefix is created in its stored form (keys and values,
    no MLP), ready for `load_stored`."""
    if hasattr(model, "pelt_config"):
        raise ValueError(f"the model already carries the method {model.pelt_config.method!r}")
    lora, prefix, adapter = config.lora_config(), config.prefix_config(), config.adapter_config()
    if lora or prefix or adapter:
        padding = track_padding(model)
        if lora:
            inject_lora(model, lora, padding)
        if prefix:
            inject_prefix(model, prefix, padding, stored)
        if adapter:
            inject_adapters(model, adapter, padding)
    model.pelt_config = config
    trained = trained_parameter_names(model)
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name in trained)
    return model


def parameter_components(model: nn.Module) -> dict[str, str]:
    """The component (one of `COMPONENTS`) of every parameter of `model`, by name."""
    components = {name: "encoder" for name, _ in model.named_parameters()}
    for prefix, module in classification_head(model).items():
        components.update({f"{prefix}.{name}": "head" for name, _ in module.named_parameters()})
    # named_modules lists parents first, so a gate inside a LoRA branch or adapter ends as "gates"
    for prefix, module in model.named_modules():
        owner = "gates" if isinstance(module, Gate) else _OWNERS.get(type(module))
        if owner:
            components.update({f"{prefix}.{name}": owner for name, _ in module.named_parameters()})
    return components


def trained_parameter_names(model: nn.Module) -> set[str]:
    """Names of the parameters the method of `model` trains (all of them for `full`)."""
    components = parameter_components(model)
    if model.pelt_config.method == "full":
        return set(components)
    return {name for name, component in components.items() if component != "encoder"}


@dataclass(frozen=True)
class ParameterCounts:
    """Trainable parameters per component, during training and as stored after training."""

    training: dict[str, int]
    stored: dict[str, int]
    model: int  # parameters of the classifier the method was applied to (encoder + head)

    @property
    def training_total(self) -> int:
        return sum(self.training.values())

    @property
    def stored_total(self) -> int:
        return sum(self.stored.values())


def trainable_parameter_counts(model: nn.Module) -> ParameterCounts:
    """Count the method's parameters of `model` per component (zero components left out)."""
    components = parameter_components(model)
    trained = trained_parameter_names(model)
    training = dict.fromkeys(COMPONENTS, 0)
    model_size = 0
    for name, parameter in model.named_parameters():
        if components[name] in ("encoder", "head"):
            model_size += parameter.numel()
        if name in trained:
            training[components[name]] += parameter.numel()
    stored = dict(training)
    stored["prefix"] = sum(m.stored_size for m in model.modules() if isinstance(m, PrefixLayer))
    return ParameterCounts(
        training={key: n for key, n in training.items() if n},
        stored={key: n for key, n in stored.items() if n},
        model=model_size,
    )
