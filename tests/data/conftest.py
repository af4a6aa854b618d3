"""Fixtures for the dataset reader tests: small hand-written files in a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """`write("RTE/dev.tsv", text)` writes `text` byte for byte (UTF-8) under `tmp_path`."""

    def _write(relative: str, text: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return path

    return _write
