"""Shared fixtures: the repository root, real data samples, and throw-away project copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "real"
PROJECT_FILES = ["Snakefile", "workflow", "config.yaml", "config", "profiles", "src", "envs"]


@pytest.fixture
def real_data() -> Path:
    """`../shared/data/real`, or skip when the shared samples are not beside the checkout."""
    if not REAL_DATA.is_dir():
        pytest.skip("../shared/data/real is absent")
    return REAL_DATA


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the workflow (no results, no .snakemake) in a temporary directory."""
    dest = tmp_path / "project"
    dest.mkdir()
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest
