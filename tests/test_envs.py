"""envs/*.yaml (for `snakemake --sdm conda`): valid conda specs pinned like requirements.lock."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

LOCK = {
    name.lower(): version
    for name, version in re.findall(
        r"^([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "requirements.lock").read_text(), flags=re.M
    )
}
ENV_FILES = sorted((ROOT / "envs").glob("*.yaml"))


def test_every_env_is_used_by_a_rule():
    rules = "".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    for env in ENV_FILES:
        assert f'"../../envs/{env.name}"' in rules, f"{env.name} is not used by any rule"


@pytest.mark.parametrize("env", ENV_FILES, ids=lambda p: p.name)
def test_env_is_conda_spec_pinned_as_lock(env):
    spec = yaml.safe_load(env.read_text())
    assert "conda-forge" in spec["channels"]
    deps = spec["dependencies"]
    assert "pip" in deps and any(str(d).startswith("python=3.11") for d in deps)
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    for line in pip:
        name, version = line.split("==")
        assert LOCK[name.lower()] == version, f"{env.name}: {line} != lock {LOCK[name.lower()]}"


def test_lock_pins_cpu_agnostic_torch():
    assert LOCK["torch"] == "2.13.0"
