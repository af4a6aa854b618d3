"""dvc.yaml is generated from the Snakemake DAG; `dvc repro` and Snakemake agree on what is done."""

import json
import re
from pathlib import Path

import pytest
import yaml

from lmlab.workflow.dvc_yaml import Job, build, parse_dry_run, stage_name

from ..conftest import ROOT
from .helpers import BIN, NOTHING_TO_DO, run, snakemake

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


@pytest.fixture(scope="module")
def cloned(dvc_smoke_run: Path) -> Path:
    """A fresh `git clone` of `dvc_smoke_run` (tests/workflow/conftest.py), its outputs fetched
    by `dvc pull`, then `snakemake --touch` as the README says: pulled files get new
    modification times in no particular order and a clone has no .snakemake records, so
    Snakemake sees updated inputs."""
    clone = dvc_smoke_run.parent / "clone"
    run(dvc_smoke_run.parent, "git", "clone", "-q", str(dvc_smoke_run), str(clone))
    run(clone, str(BIN / "dvc"), "pull", "-q")
    snakemake(clone, "--touch")
    return clone


def _stages(project: Path) -> dict[str, dict]:
    return yaml.safe_load((project / "dvc.yaml").read_text())["stages"]


def _paths(stage: dict, *keys: str) -> set[str]:
    """The files a dvc.yaml stage lists under `keys` (an entry is a path or {path: properties})."""
    entries = [entry for key in keys for entry in stage.get(key, [])]
    return {path for entry in entries for path in ([entry] if isinstance(entry, str) else entry)}


def _declared(project: Path, key: str) -> set[str]:
    """Every output that dvc.yaml declares under `key` (metrics or plots)."""
    return {path for stage in _stages(project).values() for path in _paths(stage, key)}


def _downstream(stages: dict[str, dict], names: set[str]) -> set[str]:
    """`names` and every stage that depends, directly or not, on one of their outputs."""
    found = set(names)
    while True:
        made = {path for name in found for path in _paths(stages[name], "outs", "metrics", "plots")}
        more = {n for n, stage in stages.items() if made & set(stage["deps"])} - found
        if not more:
            return found
        found |= more


@pytest.mark.slow
def test_dvc_repro_runs_the_same_jobs_then_snakemake_has_nothing_to_do(dvc_smoke_run):
    dry = snakemake(dvc_smoke_run, "-n")
    assert NOTHING_TO_DO in dry.stdout + dry.stderr
    status = run(dvc_smoke_run, str(BIN / "dvc"), "status")
    assert "up to date" in status.stdout


@pytest.mark.slow
def test_after_clone_pull_and_touch_snakemake_has_nothing_to_do(cloned):
    files = {p.relative_to(cloned).as_posix() for p in cloned.glob("results/**/*") if p.is_file()}
    assert _declared(cloned, "metrics") | _declared(cloned, "plots") <= files
    dry = snakemake(cloned, "-n")
    assert NOTHING_TO_DO in dry.stdout + dry.stderr
    assert "up to date" in run(cloned, str(BIN / "dvc"), "status").stdout


@pytest.mark.slow
def test_metrics_show_lists_every_declared_per_seed_and_aggregate_metric(dvc_smoke_run):
    declared = _declared(dvc_smoke_run, "metrics")
    stages = _stages(dvc_smoke_run)
    aggregates = {name for name in stages if name.split("--")[0].endswith("_summary")}
    assert aggregates and all(stages[name].get("metrics") for name in aggregates)
    assert any(re.search(r"/seed\d+/", path) for path in declared)
    shown = json.loads(run(dvc_smoke_run, str(BIN / "dvc"), "metrics", "show", "--json").stdout)
    files = shown[""]["data"]
    assert set(files) == declared
    assert all(entry.get("data") and "error" not in entry for entry in files.values())


@pytest.mark.slow
def test_plots_show_writes_every_declared_plot(dvc_smoke_run, tmp_path):
    run(dvc_smoke_run, str(BIN / "dvc"), "plots", "show", "-o", str(tmp_path / "plots"))
    page = (tmp_path / "plots" / "index.html").read_text()
    declared = _declared(dvc_smoke_run, "plots")
    assert declared and not [path for path in declared if path not in page]
    images = list((tmp_path / "plots" / "static").iterdir())
    assert len(images) == len([path for path in declared if path.endswith(".png")])


@pytest.mark.slow
def test_params_diff_shows_a_changed_key(cloned):
    config = cloned / "config.yaml"
    original = config.read_text()
    top_k = yaml.safe_load(original)["heads"]["analysis"]["top_k"]
    config.write_text(original.replace(f"top_k: {top_k}", f"top_k: {top_k + 1}", 1))
    try:
        diff = json.loads(run(cloned, str(BIN / "dvc"), "params", "diff", "--json").stdout)
    finally:
        config.write_text(original)
    assert diff == {
        "config.yaml": {"heads.analysis.top_k": {"old": top_k, "new": top_k + 1, "diff": 1}}
    }


@pytest.mark.slow
def test_exp_run_set_param_reruns_only_the_stages_that_read_it(cloned):
    """`dvc exp run --set-param` on a key that only the cheap analysis stages read: they and what
    depends on them rerun, nothing else; the experiment records the value; a metric changes."""
    key = "heads.analysis.top_k"
    top_k = yaml.safe_load((cloned / "config.yaml").read_text())["heads"]["analysis"]["top_k"]
    exp = run(
        cloned, str(BIN / "dvc"), "exp", "run", "--set-param", f"config.yaml:{key}={top_k // 2}"
    )
    stages = _stages(cloned)
    readers = {name for name, stage in stages.items() if key in _params(stage)}
    ran = set(re.findall(r"^Running stage '([^']+)'", exp.stdout + exp.stderr, flags=re.M))
    assert readers and readers <= ran <= _downstream(stages, readers), ran
    shown = json.loads(run(cloned, str(BIN / "dvc"), "exp", "show", "--json").stdout)
    revs = [rev for row in shown for group in row["experiments"] or [] for rev in group["revs"]]
    assert [_value(rev["data"]["params"]["config.yaml"]["data"], key) for rev in revs] == [
        top_k // 2
    ]
    changed = json.loads(run(cloned, str(BIN / "dvc"), "metrics", "diff", "--json").stdout)
    assert {path for name in readers for path in _paths(stages[name], "metrics")} & set(changed)


def _params(stage: dict) -> list[str]:
    """The config.yaml keys a dvc.yaml stage declares."""
    return [key for entry in stage.get("params", []) for key in entry.get("config.yaml", [])]


def _value(config: dict, dotted: str):
    for part in dotted.split("."):
        config = config[part]
    return config


def test_metrics_and_plots_can_select_outputs_by_file_name():
    job = Job(rule="agg", output=["r/s0/heads.csv", "r/s0/stats.json", "r/s0/fig.png"])
    spec = {"agg": {"metrics": ["stats.json"], "plots": ["*.png"]}}
    stage = build([job], spec, {"agg": "workflow/rules/x.smk"}, "config.yaml")["stages"]["agg"]
    assert stage["outs"] == ["r/s0/heads.csv"]
    assert stage["metrics"] == ["r/s0/stats.json"]
    assert stage["plots"] == ["r/s0/fig.png"]
    every = build([job], {"agg": {"metrics": True}}, {"agg": "x.smk"}, "config.yaml")
    assert "outs" not in every["stages"]["agg"] and len(every["stages"]["agg"]["metrics"]) == 3
    drawn = {"agg": {"plots": {"*.csv": {"x": "epoch", "y": "loss"}, "*.png": None}}}
    stage = build([job], drawn, {"agg": "x.smk"}, "config.yaml")["stages"]["agg"]
    assert stage["plots"] == [{"r/s0/heads.csv": {"x": "epoch", "y": "loss"}}, "r/s0/fig.png"]
