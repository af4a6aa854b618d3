"""Finished runs of the smoke config shared by the tests that only read their results: one by
Snakemake (`smoke_run`, about two minutes on 2 cores) and one by `dvc repro` (`dvc_smoke_run`);
tests that change files work on their own copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from ..conftest import ROOT, copy_project
from .helpers import BIN, GIT_USER, run, snakemake


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """A project copy in which `snakemake --configfile config/smoke.yaml` has finished. Read it,
    never change it: other tests see the same directory."""
    project = copy_project(tmp_path_factory.mktemp("smoke") / "project")
    snakemake(project, "--configfile", "config/smoke.yaml", "--cores", "2")
    return project


def write_smoke_config(project: Path) -> None:
    """Make the smoke config `project`'s config.yaml, as `--configfile config/smoke.yaml`
    applies it (merged over config.yaml with Snakemake's own rule): DVC stages run Snakemake
    with config.yaml alone, and the run then uses exactly the config `smoke_run` used."""
    config = yaml.safe_load((project / "config.yaml").read_text())
    update_config(config, yaml.safe_load((project / "config" / "smoke.yaml").read_text()))
    (project / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


@pytest.fixture(scope="session")
def dvc_smoke_run(tmp_path_factory) -> Path:
    """A second, independent run of the smoke config: `dvc repro` of the generated dvc.yaml in
    a git + DVC project copy (config.yaml = the smoke config, `write_smoke_config`), committed,
    its outputs pushed to a local DVC remote (the folder `remote` beside it). Read it, never
    change it; a test that pulls or edits params works on a clone of it."""
    root = tmp_path_factory.mktemp("dvc-smoke")
    project = copy_project(root / "project")
    shutil.copy2(ROOT / ".gitignore", project / ".gitignore")  # results/ stays out of git
    write_smoke_config(project)
    run(project, "git", "init", "-q")
    run(project, str(BIN / "dvc"), "init", "-q")
    run(project, str(BIN / "python"), "-m", "lmlab", "workflow", "dvc-yaml")
    run(project, str(BIN / "dvc"), "repro", "-q")
    run(project, str(BIN / "dvc"), "remote", "add", "--default", "local", str(root / "remote"))
    run(project, "git", "add", "--all")
    run(project, "git", *GIT_USER, "commit", "-q", "-m", "smoke run")
    run(project, str(BIN / "dvc"), "push", "-q")
    return project
