"""One finished smoke run shared by the tests that only read its results (the run costs about
two minutes on 2 cores; tests that change files work on their own copy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import copy_project
from .helpers import snakemake


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """A project copy in which `snakemake --configfile config/smoke.yaml` has finished. Read it,
    never change it: other tests see the same directory."""
    project = copy_project(tmp_path_factory.mktemp("smoke") / "project")
    snakemake(project, "--configfile", "config/smoke.yaml", "--cores", "2")
    return project
