"""Bad input as a user meets it: `snakemake -n` and the `lmlab` CLI stop with a message naming
the culprit (config key, path, file and line) before any job runs, and write nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import yaml

from lmlab.paths import glue_splits

from .helpers import BIN, run, snakemake

CSQA_FILES = [
    "train_rand_split.jsonl",
    "dev_rand_split.jsonl",
    "test_rand_split_no_answers.jsonl",
    "inhouse_split_qids.txt",
]


def _real_files(project: Path, conceptnet: str = "data/cpnet/assertions.csv.gz") -> dict:
    """Stand-in dataset files under `project/data` (the DAG only needs them to exist) and the
    `data` section that names them, GLUE from the hub."""
    for name in CSQA_FILES:
        (project / "data" / "csqa").mkdir(parents=True, exist_ok=True)
        (project / "data" / "csqa" / name).touch()
    (project / "data" / "cpnet").mkdir()
    (project / "data" / "cpnet" / "assertions.csv.gz").write_bytes(gzip.compress(b""))
    files = {"glue": "nyu-mll/glue", "csqa": "data/csqa", "conceptnet": conceptnet}
    return {"data": {"source": "files", "files": files}}


def _dry_run(project: Path, config: dict):
    (project / "bad.yaml").write_text(yaml.safe_dump(config))
    return snakemake(project, "-n", "--configfile", "bad.yaml", check=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unknown_nested_key", ["'lora_rnak' was unexpected", "On instance['unipelt']['method']"]),
        ("model_is_a_file", ["config model: model 'weights.bin' is a file, not a model"]),
        ("missing_conceptnet", ["config data.files.conceptnet: data/cpnet/assertions.csv "
                                "does not exist"]),
        ("glue_dir_without_a_task", ["config data.files.glue: data/glue/SST-2/train.tsv "
                                     "does not exist"]),
    ],
)  # fmt: skip
def test_dry_run_stops_naming_the_culprit_and_writes_nothing(project_copy, case, expected):
    project = project_copy
    if case == "unknown_nested_key":
        config = {"unipelt": {"method": {"lora_rnak": 8}}}
    elif case == "model_is_a_file":
        (project / "weights.bin").write_bytes(b"\0" * 8)
        config = {"model": "weights.bin"}
    elif case == "missing_conceptnet":
        config = _real_files(project, conceptnet="data/cpnet/assertions.csv")
    else:
        config = _real_files(project)
        (project / "data" / "glue" / "MNLI").mkdir(parents=True)
        for split in glue_splits("MNLI"):  # SST-2, the other default task, is missing
            (project / "data" / "glue" / "MNLI" / f"{split}.tsv").touch()
        config["data"]["files"]["glue"] = "data/glue"
    proc = _dry_run(project, config)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    for text in expected:
        assert text in message, message
    assert "Traceback" not in message
    assert not (project / "results").exists()


@pytest.mark.slow
def test_distributed_conceptnet_gzip_is_a_valid_data_file(project_copy):
    proc = _dry_run(project_copy, _real_files(project_copy))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "graph_conceptnet" in proc.stdout
    assert not (project_copy / "results").exists()


def test_cli_refuses_a_file_that_is_not_conceptnet_and_writes_nothing(tmp_path):
    source = tmp_path / "glue_data" / "QNLI" / "train.tsv"  # given as the ConceptNet file
    source.parent.mkdir(parents=True)
    source.write_text("index\tquestion\tsentence\tlabel\n" + "0\tQ?\tS.\tentailment\n" * 200)
    out = tmp_path / "cpnet"
    outputs = [f"--{name}={out / file}" for name, file in
               (("concepts", "concepts.txt"), ("relations", "relations.txt"),
                ("graph", "graph.npz"), ("stats", "stats.json"))]  # fmt: skip
    proc = run(tmp_path, str(BIN / "python"), "-m", "lmlab", "graph", "conceptnet", str(source),
               *outputs, "--blacklist", "uk", "--workers", "2", check=False)  # fmt: skip
    assert proc.returncode == 2
    assert f"{source}: not a ConceptNet assertions file" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()  # nothing half-written


def test_cli_names_file_and_line_of_an_unknown_label(tmp_path):
    path = tmp_path / "MNLI" / "dev_matched.tsv"
    path.parent.mkdir()
    header = "index\tpromptID\tpairID\tgenre\tsentence1\tsentence2\tgold_label\n"
    path.write_text(header + "0\t1\t1\tx\tA.\tB.\tneutral\n1\t2\t2\tx\tC.\tD.\tentails\n")
    summary = tmp_path / "summary.json"
    proc = run(tmp_path, str(BIN / "python"), "-m", "lmlab", "data", "inspect", str(path),
               "--output", str(summary), check=False)  # fmt: skip
    assert proc.returncode == 2
    assert f"{path}:3: unknown label 'entails'" in proc.stderr
    assert not summary.exists()
