"""What each rule declares matches what it runs: its `code` param digests its stage's import
closure (so no code change can leave a stale result), and workflow/dvc-stages.yaml lists exactly
the config keys the rule reads."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
import yaml

from lmlab.workflow.imports import stage_code

from ..conftest import ROOT
from .helpers import NOTHING_TO_DO, snakemake

RULE_FILES = sorted((ROOT / "workflow" / "rules").glob("*.smk"))
COMMAND = re.compile(r"python -m lmlab (?:--gpus \{[^}]+\} )?(\w+) ([\w-]+)")
CODE = re.compile(r'code=code\("(\w+)", "([\w-]+)"\)')
CONFIG_READ = re.compile(r'\b(?:setting|section)\("([\w.]+)"\)')


def rule_blocks() -> dict[str, str]:
    """Each rule's text: from `rule NAME:` to the next line that is not indented."""
    blocks = {}
    for path in RULE_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            match = re.match(r"rule (\w+):", line)
            if not match:
                continue
            end = i + 1
            while end < len(lines) and (not lines[end] or lines[end][0].isspace()):
                end += 1
            blocks[match.group(1)] = "\n".join(lines[i:end])
    return blocks


BLOCKS = rule_blocks()
STAGES = {name: COMMAND.search(block).groups() for name, block in BLOCKS.items() if name != "all"}


def test_every_rule_declares_the_code_of_the_stage_it_runs():
    assert len(STAGES) >= 20
    for name, (family, stage) in STAGES.items():
        declared = CODE.findall(BLOCKS[name])
        assert declared == [(family, stage)], f"rule {name} runs lmlab {family} {stage}"


# Imports, in a fresh interpreter, what each stage's handler imports, and prints the `lmlab`
# modules that were loaded (module-level imports at run time: independent of the static
# closure). lmlab modules are dropped between stages; third-party ones stay cached.
PROBE = textwrap.dedent(
    """
    import ast, inspect, json, sys, textwrap
    from lmlab.workflow.imports import handler

    loaded = {}
    for family, stage in json.loads(sys.argv[1]):
        for name in [m for m in sys.modules if m == "lmlab" or m.startswith("lmlab.")]:
            del sys.modules[name]
        import lmlab.cli
        lmlab.cli.build_parser(family)
        function = handler(family, stage)
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        exec(compile(ast.Module(body=imports, type_ignores=[]), "<handler>", "exec"), {})
        loaded[f"{family} {stage}"] = sorted(
            m.__file__ for n, m in sys.modules.items()
            if (n == "lmlab" or n.startswith("lmlab.")) and getattr(m, "__file__", None)
        )
    print(json.dumps(loaded))
    """
)


@pytest.mark.slow
def test_no_stage_imports_a_module_its_rule_does_not_declare():
    pairs = sorted(set(STAGES.values()))
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(pairs)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    loaded = json.loads(proc.stdout)
    for family, stage in pairs:
        declared = {str(ROOT / path) for path in stage_code(family, stage, ROOT)}
        missing = set(loaded[f"{family} {stage}"]) - declared
        assert not missing, f"lmlab {family} {stage} imports undeclared {sorted(missing)}"


def test_the_closure_follows_lazy_imports_and_skips_other_stages_handlers():
    finetune = set(stage_code("heads", "finetune", ROOT))
    assert "src/lmlab/training/loop.py" in finetune  # imported inside heads.finetune's callees
    assert "src/lmlab/heads/cli.py" in finetune
    assert "src/lmlab/heads/plots.py" not in finetune  # another stage's handler imports it
    assert not any(path.startswith("src/lmlab/graph/") for path in finetune)


def test_rules_read_config_only_through_setting_and_section():
    for name, block in BLOCKS.items():
        assert "config[" not in block, f"rule {name} indexes config directly"


@pytest.mark.parametrize("configfile", ["config.yaml", "config/smoke.yaml"])
def test_every_dvc_param_is_written_in_the_shipped_configs(configfile):
    """DVC reads params from the file itself (no schema defaults): a key left to its default
    there stops `dvc repro` with "missing parameters". (dvc.yaml follows the DAG of
    config.yaml; the DVC test copies smoke.yaml there.)"""
    spec = yaml.safe_load((ROOT / "workflow" / "dvc-stages.yaml").read_text())
    config = yaml.safe_load((ROOT / configfile).read_text())
    for name, stage in spec.items():
        for key in (stage or {}).get("params", []):
            value = config
            for part in key.split("."):
                assert isinstance(value, dict) and part in value, f"{configfile}: {key} ({name})"
                value = value[part]


def test_dvc_stage_params_are_exactly_the_keys_each_rule_reads():
    spec = yaml.safe_load((ROOT / "workflow" / "dvc-stages.yaml").read_text())
    assert set(spec) == set(STAGES)
    for name in STAGES:
        reads = set(CONFIG_READ.findall(BLOCKS[name]))
        listed = set((spec[name] or {}).get("params", []))
        assert listed == reads, f"{name}: dvc-stages.yaml params {listed}, the rule reads {reads}"


@pytest.mark.slow
def test_editing_a_module_reruns_exactly_the_jobs_whose_stage_runs_it(project_copy):
    target = ["results/data/synthetic/manifest.json", "--configfile", "config/smoke.yaml"]
    snakemake(project_copy, *target, "--cores", "1")
    synth = project_copy / "src" / "lmlab" / "data" / "synth" / "common.py"
    unrelated = project_copy / "src" / "lmlab" / "heads" / "subset.py"
    unrelated.write_text(unrelated.read_text() + "# edited\n")
    synth.touch()  # a new modification time alone changes nothing
    assert NOTHING_TO_DO in snakemake(project_copy, "-n", *target).stdout
    synth.write_text(synth.read_text() + "# edited\n")
    dry = snakemake(project_copy, "-n", *target).stdout
    assert "rule synth_data:" in dry and "Params have changed" in dry
