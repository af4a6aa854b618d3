"""The `data.files` entries of the config (data.source: files), checked when the DAG is built.

workflow/rules/common.smk calls `check_data_entry` before it hands a path to a rule, so a
mistyped path stops `snakemake -n` with the config key and the path instead of failing a job
later, perhaps a GPU job after hours of graph preprocessing. Files inside a directory entry
(`train.tsv`, `dev_rand_split.jsonl`) are rule inputs, which Snakemake reports by path.
"""

from __future__ import annotations

from pathlib import Path

from lmlab.models.resolve import is_hub_id

DATA_FILE_KINDS = {
    "glue": "directory",  # glue_data/ with one folder per task, or a hub id (nyu-mll/glue)
    "csqa": "directory",
    "obqa": "directory",
    "conceptnet": "file",  # assertions .csv, or the distributed .csv.gz
}
"""What each `data.files` entry must name."""


def check_data_entry(kind: str, value: str) -> None:
    """Raise `ValueError` naming `data.files.<kind>` and `value` unless it names what it must
    (`DATA_FILE_KINDS`); a GLUE entry may instead be a hub id (`lmlab.models.resolve.is_hub_id`)."""
    key = f"data.files.{kind}"
    if kind == "glue" and is_hub_id(value):
        return
    path = Path(value)
    wanted = DATA_FILE_KINDS[kind]
    if not path.exists() and kind == "glue":
        raise ValueError(
            f"config {key}: {value} is neither an existing directory nor a hub id (nyu-mll/glue)"
        )
    if not path.exists():
        raise ValueError(f"config {key}: {value} does not exist (expected a {wanted})")
    if (wanted == "directory") != path.is_dir():
        raise ValueError(f"config {key}: {value} is not a {wanted}")
