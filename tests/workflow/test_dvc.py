"""dvc.yaml is generated from the Snakemake DAG; `dvc repro` and Snakemake agree on what is done."""

from pathlib import Path

import pytest

from lmlab.workflow.dvc_yaml import Job, build, parse_dry_run, stage_name

from .helpers import BIN, NOTHING_TO_DO, run, snakemake

ROOT = Path(__file__).resolve().parents[2]

DRY_RUN = """\
Building DAG of jobs...
[Mon Nov 23 00:42:35 2026]
rule inspect_data:
    input: results/x.tsv, src/lmlab/data/inspect.py
    output: results/data/inspect/glue/SST-2/dev.json
    log: results/logs/inspect_data/glue/SST-2/dev.log
    jobid: 9
    reason: Forced execution
    wildcards: dataset=glue/SST-2/dev
    resources: tmpdir=/tmp, gpu=0
Shell command: python -m lmlab data inspect results/x.tsv

[Mon Nov 23 00:42:35 2026]
localrule all:
    input: results/data/inspect/glue/SST-2/dev.json
    jobid: 0
"""


def test_dry_run_listing_is_parsed_into_jobs():
    jobs = parse_dry_run(DRY_RUN)
    assert jobs[0] == Job(
        rule="inspect_data",
        input=["results/x.tsv", "src/lmlab/data/inspect.py"],
        output=["results/data/inspect/glue/SST-2/dev.json"],
        log=["results/logs/inspect_data/glue/SST-2/dev.log"],
        wildcards={"dataset": "glue/SST-2/dev"},
    )
    assert jobs[1].rule == "all" and jobs[1].output == []
    assert stage_name(jobs[0]) == "inspect_data--glue-SST-2-dev"


def test_committed_dvc_yaml_matches_the_dag():
    proc = run(
        ROOT, str(BIN / "python"), "-m", "lmlab", "workflow", "dvc-yaml", "--check", check=False
    )
    assert proc.returncode == 0, "dvc.yaml drifted; run `make dvc-yaml`:\n" + proc.stdout


@pytest.mark.slow
def test_dvc_repro_runs_the_same_jobs_then_snakemake_has_nothing_to_do(project_copy):
    (project_copy / "config.yaml").write_text((project_copy / "config" / "smoke.yaml").read_text())
    run(project_copy, "git", "init", "-q")
    run(project_copy, str(BIN / "dvc"), "init", "-q")
    run(project_copy, str(BIN / "python"), "-m", "lmlab", "workflow", "dvc-yaml")
    run(project_copy, str(BIN / "dvc"), "repro", "-q")
    dry = snakemake(project_copy, "-n")
    assert NOTHING_TO_DO in dry.stdout + dry.stderr
    status = run(project_copy, str(BIN / "dvc"), "status")
    assert "up to date" in status.stdout


def test_metrics_and_plots_can_select_outputs_by_file_name():
    job = Job(rule="agg", output=["r/s0/heads.csv", "r/s0/stats.json", "r/s0/fig.png"])
    spec = {"agg": {"metrics": ["stats.json"], "plots": ["*.png"]}}
    stage = build([job], spec, {"agg": "workflow/rules/x.smk"}, "config.yaml")["stages"]["agg"]
    assert stage["outs"] == ["r/s0/heads.csv"]
    assert stage["metrics"] == [{"r/s0/stats.json": {"cache": False}}]
    assert stage["plots"] == ["r/s0/fig.png"]
    every = build([job], {"agg": {"metrics": True}}, {"agg": "x.smk"}, "config.yaml")
    assert "outs" not in every["stages"]["agg"] and len(every["stages"]["agg"]["metrics"]) == 3
