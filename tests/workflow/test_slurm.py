"""profiles/slurm on a stand-in cluster: with fake Slurm commands on PATH
(tests/workflow/fake_slurm.py), `snakemake --workflow-profile profiles/slurm` on the smoke config
submits every job with the GPUs, memory and time limit its rule asks for, runs it, and finishes.

Targets: the UniPELT comparison of the smoke grid (the whole smoke run would cost minutes), i.e.
synth_data, unipelt_gates_figure and unipelt_summary (CPU) and the two unipelt_train runs (GPU).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lmlab.paths import UNIPELT_SUMMARY, unipelt_file

from . import fake_slurm
from .helpers import BIN, user_env

GATES_FIGURE = unipelt_file("fig_gates.png", "SST-2", 8, "unipelt", 0)
TARGETS = ["unipelt_summary", GATES_FIGURE]
GPU_RULES = {"unipelt_train": 1}  # `resources: gpu` of the GPU rules among the targets' jobs
CPU_RULES = {"synth_data", "unipelt_gates_figure", "unipelt_summary"}
PARTITION = "gpu"  # not the cluster's default (cpu*): the profile's setting must reach sbatch


def fake_commands(folder: Path) -> Path:
    """One executable per Slurm command in `folder`, each running fake_slurm.py."""
    folder.mkdir()
    for name in fake_slurm.COMMANDS:
        script = folder / name
        run = f'exec "{sys.executable}" "{fake_slurm.__file__}" {name} "$@"'
        script.write_text(f"#!/bin/sh\n{run}\n")
        script.chmod(0o755)
    return folder


def fill_account_and_partition(profile: Path) -> dict:
    """Uncomment the profile's account and partition lines, as its comment tells a user to;
    returns the profile as loaded."""
    text = profile.read_text()
    for key, value in (("slurm_account", fake_slurm.ACCOUNT), ("slurm_partition", PARTITION)):
        placeholder = f"# - {key}=YOUR_{key.split('_')[1].upper()}"
        assert placeholder in text, f"profiles/slurm no longer shows {placeholder!r}"
        text = text.replace(placeholder, f"- {key}={value}")
    profile.write_text(text)
    return yaml.safe_load(text)


def expected_limits(profile: dict, rule: str) -> dict[str, str]:
    """sbatch's --mem and -t for `rule`: its set-resources entry, else the default."""
    limits = dict(item.split("=", 1) for item in profile["default-resources"])
    limits.update({k: str(v) for k, v in profile.get("set-resources", {}).get(rule, {}).items()})
    return {"--mem": limits["mem_mb"], "-t": limits["runtime"]}


def submissions(state: Path) -> list[dict]:
    """Every sbatch call: its options, rule, the srun options inside it and the exit status."""
    jobs = []
    for record in sorted(state.glob("*/sbatch.json")):
        folder = record.parent
        options = json.loads(record.read_text())["options"]
        srun = folder / "srun.jsonl"
        jobs.append({
            "rule": options["--comment"].removeprefix("rule_").split("_wildcards_")[0],
            "options": options,
            "srun": [json.loads(line) for line in srun.read_text().splitlines()]
            if srun.exists() else [],
            "rc": (folder / "rc").read_text().strip() if (folder / "rc").exists() else None,
            "log": folder / "job.log",
        })  # fmt: skip
    return jobs


@pytest.mark.slow
def test_slurm_profile_submits_each_rules_resources_and_the_jobs_complete(project_copy, tmp_path):
    profile = fill_account_and_partition(project_copy / "profiles" / "slurm" / "config.yaml")
    state = tmp_path / "slurm"
    env = user_env(project_copy)
    env["PATH"] = f"{fake_commands(tmp_path / 'bin')}:{env['PATH']}"
    env["FAKE_SLURM_DIR"] = str(state)
    command = [str(BIN / "snakemake"), *TARGETS, "--workflow-profile", "profiles/slurm"]
    command += ["--configfile", "config/smoke.yaml"]
    # Poll the fake sacct every second instead of the cluster-friendly 40 s.
    command += ["--slurm-init-seconds-before-status-checks", "1"]
    command += ["--seconds-between-status-checks", "1"]
    proc = subprocess.run(
        command, cwd=project_copy, env=env, capture_output=True, text=True, timeout=600
    )
    jobs = submissions(state)
    logs = "\n".join(f"--- {job['rule']}:\n{job['log'].read_text()}" for job in jobs)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{logs}"

    rules = [job["rule"] for job in jobs]
    assert sorted(rules) == sorted([*CPU_RULES, "unipelt_train", "unipelt_train"])
    for job in jobs:
        options, rule = job["options"], job["rule"]
        assert job["rc"] == "0", job
        assert options["-A"] == fake_slurm.ACCOUNT and options["-p"] == PARTITION, job
        assert {k: options.get(k) for k in ("--mem", "-t")} == expected_limits(profile, rule)
        assert len(job["srun"]) == 1, job  # the job step that ran the rule's command
        if rule in GPU_RULES:
            assert options.get("--gpus") == str(GPU_RULES[rule]), job
            assert job["srun"][0].get("--gpus") == str(GPU_RULES[rule]), job
        else:
            assert "--gpus" not in options and "--gres" not in options, job
            assert "--gpus" not in job["srun"][0], job
    assert expected_limits(profile, "unipelt_train") != expected_limits(profile, "synth_data")
    assert (project_copy / UNIPELT_SUMMARY["summary"]).is_file()
    assert (project_copy / GATES_FIGURE).is_file()
