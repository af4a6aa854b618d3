"""Typed configuration: one frozen dataclass per config section, built from the validated config.

`workflow/schemas/config.schema.yaml` is the only place that holds defaults and bounds: the
Snakefile validates `config.yaml` against it (filling defaults) before any job runs, and every
stage receives its section as one JSON argument that `section_parser(cls)` turns into the
dataclass below (as peft's `LoraConfig`). Fields therefore have no defaults here, and `build`
checks structure only (every key known and present, nested sections built recursively), never
bounds: a second validator would drift from the schema.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class SplitSizes:
    """Examples per split of a synthetic GLUE task."""

    train: int
    dev: int
    test: int


@dataclass(frozen=True)
class CsqaSizes:
    """Questions per split of the synthetic CommonsenseQA, and the in-house train ids."""

    train: int
    dev: int
    test: int
    inhouse_train: int


@dataclass(frozen=True)
class SyntheticData:
    """`data.synthetic`: sizes and seed of the synthetic default corpus."""

    seed: int
    concepts: int
    edges_per_concept: int
    csqa: CsqaSizes
    glue: dict[str, SplitSizes]


@dataclass(frozen=True)
class SubgraphConfig:
    """`graph.subgraph`: nodes kept per statement and how extra nodes are ranked."""

    max_nodes: int
    ranker: str
    scorer_model: str
    scorer_batch_size: int


@dataclass(frozen=True)
class MetapathConfig:
    """`graph.metapath`: the longest question-answer relation path."""

    max_hops: int


@dataclass(frozen=True)
class HeadsTrain:
    """`heads.train`: fine-tuning θ0 -> θ1."""

    epochs: int
    batch_size: int
    lr: float
    max_seq_len: int
    warmup_ratio: float
    weight_decay: float
    decay_attention: bool
    max_grad_norm: float
    train_examples: int | None
    eval_batch_size: int


@dataclass(frozen=True)
class HeadsProbe:
    """`heads.probe`: the probe readout of θ0 (only the classification head is trained)."""

    steps: int
    batch_size: int
    lr: float


@dataclass(frozen=True)
class Bootstrap:
    """`heads.analysis.bootstrap`: percentile intervals over the eval subset's examples (per
    seed) and over seeds (summary)."""

    resamples: int
    level: float
    seed: int


@dataclass(frozen=True)
class CaseThresholds:
    """`heads.analysis.cases`: top and bottom fractions of the case sets."""

    top: float
    bottom: float


@dataclass(frozen=True)
class Pruning:
    """`heads.analysis.pruning`: the pruning curve of θ1."""

    fractions: tuple[float, ...]
    score: str
    random_orders: int
    random_seed: int


def build(cls: type[T], values: Mapping[str, Any], where: str = "") -> T:
    """The dataclass `cls` from a validated config mapping; nested dataclasses, tuples and
    dicts of dataclasses are built recursively. An unknown or missing key is an error naming
    its config path (`where` is the section's path, e.g. `heads.train`)."""
    if not isinstance(values, Mapping):
        raise ValueError(f"config {where or cls.__name__}: expected a mapping, got {values!r}")
    fields = {field.name: field for field in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    missing = sorted(set(fields) - set(values))
    if unknown or missing:
        raise ValueError(
            f"config {where or cls.__name__}: unknown keys {unknown}, missing keys {missing} "
            "(defaults come from workflow/schemas/config.schema.yaml)"
        )
    hints = typing.get_type_hints(cls)
    return cls(
        **{
            name: _convert(hints[name], values[name], f"{where}.{name}".lstrip("."))
            for name in fields
        }
    )


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return build(hint, value, where)
    if origin is tuple:
        return tuple(value)
    if origin is dict and dataclasses.is_dataclass(typing.get_args(hint)[1]):
        item = typing.get_args(hint)[1]
        return {key: build(item, sub, f"{where}.{key}") for key, sub in value.items()}
    if origin in (types.UnionType, typing.Union) and value is not None:
        concrete = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(concrete[0], value, where)
    return value


def with_defaults(values: Mapping[str, Any], schema: str | os.PathLike) -> dict[str, Any]:
    """`values` validated against the config schema with its defaults filled in, as the
    Snakefile sees them (for code that reads a config file outside Snakemake, and tests)."""
    from snakemake.utils import validate

    config = json.loads(json.dumps(dict(values)))  # a copy: validate fills it in place
    validate(config, str(schema))
    return config


def to_dict(section: Any) -> dict[str, Any]:
    """The plain (JSON-ready) form of a section, as found in the config."""
    return json.loads(json.dumps(dataclasses.asdict(section)))


def section_parser(cls: type[T]) -> Callable[[str], T]:
    """An argparse `type=` that reads one JSON object (a config section) into `cls`."""

    def parse(text: str) -> T:
        try:
            return build(cls, json.loads(text))
        except (json.JSONDecodeError, ValueError) as err:  # argparse prints this message
            raise argparse.ArgumentTypeError(f"{cls.__name__}: {err}") from err

    parse.__name__ = cls.__name__  # argparse names the type in its error messages
    return parse
