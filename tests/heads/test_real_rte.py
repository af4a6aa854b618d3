"""The head study end to end on real GLUE files: a slice of RTE as distributed
(`../shared/data/real/glue/RTE/*.tsv`, header kept) in a `glue_data/` directory, the pipeline
asked for the head-study targets only (`rule all` also wants CSQA and ConceptNet)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import yaml

from lmlab.paths import (
    HEADS_FIGURES,
    HEADS_SUMMARY,
    heads_file,
    heads_subset_file,
    heads_summary_file,
)

from ..workflow.helpers import snakemake

TASK = "RTE"
SEED = 0
ROWS = {"train": 24, "dev": 16, "test": 4}  # data rows per split; the DAG lists every split
SUBSET = 12  # eval subset drawn from the 16 dev rows
READOUT_COLUMNS = ["I_pre_random", "I_pre_probe", "I_post"]


def slice_glue(real_data: Path, dest: Path) -> Path:
    """`dest/RTE/<split>.tsv`: the header and the first `ROWS[split]` rows of each real file."""
    task_dir = dest / TASK
    task_dir.mkdir(parents=True)
    for split, rows in ROWS.items():
        lines = (real_data / "glue" / TASK / f"{split}.tsv").read_text().splitlines(True)
        (task_dir / f"{split}.tsv").write_text("".join(lines[: rows + 1]))
    return dest


def rte_config(project: Path, glue: Path) -> dict:
    """The smoke config's head study, pointed at the RTE slice (task RTE, split dev)."""
    smoke = yaml.safe_load((project / "config" / "smoke.yaml").read_text())
    return {
        **smoke,
        "seeds": [SEED],
        "data": {
            "source": "files",
            "glue_tasks": [TASK],
            "files": {  # no conceptnet: only graph jobs, not requested here, would read it
                "glue": str(glue),
            },
        },
        "heads": {**smoke["heads"], "task": TASK, "eval_split": "dev", "eval_subset_size": SUBSET},
        "unipelt": {**smoke["unipelt"], "tasks": [TASK]},  # must be among data.glue_tasks
    }


def head_study_targets() -> list[str]:
    """The across-seed summary and the seed's figures: every head-study rule runs for them."""
    summary = [heads_summary_file(name, TASK) for name in HEADS_SUMMARY.values()]
    figures = [heads_file(name, TASK, SEED) for name in HEADS_FIGURES.values()]
    return summary + figures


@pytest.fixture
def rte_run(real_data: Path, project_copy: Path, tmp_path: Path) -> Path:
    """A project copy in which the head study has run on the RTE slice."""
    glue = slice_glue(real_data, tmp_path / "glue_data")
    config = rte_config(project_copy, glue)
    (project_copy / "rte.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    snakemake(project_copy, *head_study_targets(), "--configfile", "rte.yaml", "--cores", "2")
    return project_copy


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.mark.slow
def test_head_study_runs_on_real_rte(rte_run: Path):
    for target in head_study_targets():
        assert (rte_run / target).stat().st_size > 0, target
    assert not (rte_run / "results" / "data").exists()  # real files read, no synthetic corpus

    run_config = read_json(rte_run / heads_file("run_config.json", TASK, SEED))
    assert (run_config["n_train"], run_config["n_dev"]) == (ROWS["train"], ROWS["dev"])
    labels = read_json(rte_run / heads_file("ckpt_final", TASK, SEED) / "config.json")["id2label"]
    assert sorted(labels.values()) == ["entailment", "not_entailment"]
    assert len(read_json(rte_run / heads_subset_file(TASK))) == SUBSET

    probe = read_json(rte_run / heads_file("probe.json", TASK, SEED))
    assert (probe["task"], probe["eval_split"]) == (TASK, "dev")
    assert 0.0 <= probe["dev_probe"][probe["metric"]] <= 1.0

    stats = read_json(rte_run / heads_file("stats.json", TASK, SEED))
    assert stats["readouts"] == ["random", "probe"]
    for pair, entry in stats["spearman"].items():
        low, high = entry["rho_ci"]
        assert -1.0 <= low <= high <= 1.0, pair

    with (rte_run / heads_file("heads.csv", TASK, SEED)).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == stats["n_heads"]
    for column in READOUT_COLUMNS:
        for row in rows:
            assert math.isfinite(float(row[column]))
            assert float(row[f"{column}_se"]) >= 0.0
