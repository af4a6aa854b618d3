"""Config sections with the schema's defaults, for tests: the schema stays the only place that
holds them (tests override what they exercise)."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from lmlab.config import build, with_defaults

from .conftest import ROOT

T = TypeVar("T")


@functools.cache
def default_config() -> dict:
    """The whole config as the Snakefile sees it for an empty config.yaml (defaults filled)."""
    return with_defaults({}, ROOT / "workflow" / "schemas" / "config.schema.yaml")


def default_section(cls: type[T], path: str, **overrides: Any) -> T:
    """The section at dotted `path` built as `cls`, with `overrides` replacing keys."""
    values = default_config()
    for key in path.split("."):
        values = values[key]
    return build(cls, {**values, **overrides}, path)
