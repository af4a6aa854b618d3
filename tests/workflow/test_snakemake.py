"""The Snakemake workflow: dry runs and lint on the shipped configs, and a real smoke run."""

import json
import re

import pytest
import yaml

from lmlab.workflow.figures import FIGURE_RULES

from .helpers import BIN, NOTHING_TO_DO, run, snakemake
from .standins import make_paper_inputs


@pytest.mark.parametrize("configfile", ["config.yaml", "config/smoke.yaml", "config/paper.yaml"])
def test_dry_run_and_lint_pass(project_copy, configfile):
    if configfile == "config/paper.yaml":
        make_paper_inputs(project_copy)
    dry = snakemake(project_copy, "-n", "--configfile", configfile)
    assert "inspect_data" in dry.stdout
    assert ("synth_data" in dry.stdout) == (configfile != "config/paper.yaml")
    config = yaml.safe_load((project_copy / configfile).read_text())
    seeds, qat, unipelt = len(config["seeds"]), config["qat"], config["unipelt"]
    grid = len(unipelt["tasks"]) * len(unipelt["k"]) * len(unipelt["methods"])
    runs = {"qat_train": len(qat["variants"]) * seeds, "unipelt_train": grid * seeds}
    for rule, count in runs.items():  # every run of both families is a job of the DAG
        assert re.search(rf"^{rule}\s+{count}$", dry.stdout, flags=re.M), rule
    lint = snakemake(project_copy, "--lint", "--configfile", configfile)
    assert "Congratulations" in lint.stdout + lint.stderr


def test_invalid_config_stops_before_any_job(project_copy):
    (project_copy / "bad.yaml").write_text("data:\n  source: hub\n")
    proc = snakemake(project_copy, "-n", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert "'hub' is not one of ['synthetic', 'files']" in message
    assert "On instance['data']['source']" in message
    assert not (project_copy / "results").exists()


@pytest.mark.slow
def test_smoke_run_end_to_end_then_nothing_to_do(smoke_run):
    project = smoke_run
    smoke = yaml.safe_load((project / "config" / "smoke.yaml").read_text())
    sizes = smoke["data"]["synthetic"]
    inspect = project / "results" / "data" / "inspect"
    mnli = json.loads((inspect / "glue" / "MNLI" / "train.json").read_text())
    assert mnli["rows"] == sizes["glue"]["MNLI"]["train"] and mnli["skipped"] == 0
    csqa = json.loads((inspect / "csqa" / "dev_rand_split.json").read_text())
    assert csqa["rows"] == sizes["csqa"]["dev"]
    assert (project / "results" / "logs" / "synth_data.log").exists()
    again = snakemake(project, "-n", "--configfile", "config/smoke.yaml")
    assert NOTHING_TO_DO in again.stdout + again.stderr

    # `make figures SEED=0`: every figure of the seed is redrawn, by the figure rules only
    figures = run(project, str(BIN / "python"), "-m", "lmlab", "workflow", "figures",
                  "--seed", "0", "--configfile", "config/smoke.yaml").stdout.split()  # fmt: skip
    redraw = snakemake(project, *figures, "-n", "--configfile", "config/smoke.yaml")
    stats = redraw.stdout.split("Job stats:")[1].split("total")[0]
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", stats, flags=re.M))
    assert set(jobs) == set(FIGURE_RULES)
    assert jobs == {"heads_figures": "1", "qat_figure": "2", "unipelt_gates_figure": "1"}
