# What every family's rules use: config validation and access, result paths (lmlab.paths),
# each rule's code digest (computed from its stage's imports), and where the datasets live.
# Family helpers live in their own rules file. Rules never hold lambdas or inline Python.
import json
import shlex
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")

# Rules run `python -m lmlab` from this checkout's src/, also inside `--sdm conda` environments
# (which install the dependencies, not the project); the Snakefile reads the same src/.
SRC = Path(workflow.basedir) / "src"
sys.path.insert(0, str(SRC))
shell.prefix(f"export PYTHONPATH={SRC}:$PYTHONPATH; ")

# Result file names: one source for the rules and the code (lmlab.paths).
from lmlab.paths import (
    BENCHMARKS,
    CPNET_STATS,
    CSQA_FILES,
    EFFICIENCY,
    HEADS_FIGURES,
    heads_measurements,
    HEADS_SUMMARY,
    INHOUSE_QIDS,
    LOGS,
    PATTERNS,
    QA_SPLITS,
    QAT_SUMMARY,
    SYNTHETIC,
    TOKEN_CACHE,
    TRAIN_STATE,
    UNIPELT_SUMMARY,
    cpnet_files,
    glue_splits,
    graph_stats_file,
    grounded_file,
    heads_file,
    heads_subset_file,
    heads_summary_file,
    inspect_file,
    metapath_file,
    per_example_file,
    qagnn_adj_file,
    qat_file,
    qat_matches_file,
    qat_summary_file,
    statement_file,
    subgraph_file,
    tokens_file,
    unipelt_file,
)
from lmlab.workflow.figures import (
    seed_figures,
)  # per-seed figures: rule all, make figures
from lmlab.workflow.imports import stage_digest
from lmlab.data.locations import check_data_entry
from lmlab.models.resolve import check_model_settings

GRAPH_RESOURCES = "src/lmlab/graph/resources"


def check_models():
    """A model path that is not a model stops the DAG build, not a (GPU) job."""
    try:
        check_model_settings(config)
    except ValueError as err:
        raise WorkflowError(str(err)) from None


check_models()


wildcard_constraints:
    seed=r"\d+",
    task=r"[A-Za-z0-9-]+",
    dataset=r"[A-Za-z0-9_./-]+",


def code(family, stage):
    """The sha256 of the source files `python -m lmlab <family> <stage>` runs (its import
    closure), as a param. Snakemake re-runs a job whose params changed, so editing any of them
    re-runs exactly the jobs that run it. A digest rather than the files as inputs, because 50
    source files per job made Snakemake's DAG build a third slower on config/paper.yaml (1,228
    jobs; benchmarks/README.md). dvc.yaml lists the files as each stage's deps."""
    return stage_digest(family, stage, workflow.basedir)


def setting(key):
    """The config value at the dotted `key` (e.g. `heads.train.max_seq_len`). Rules read config
    only through `setting` and `section`, so the keys each rule reads are visible (and checked
    against workflow/dvc-stages.yaml by tests/workflow/test_dvc_params.py)."""
    value = config
    for part in key.split("."):
        value = value[part]
    return value


def thread_count(key):
    """A `threads:` value from config: like `setting`, but not a DVC param (the number of
    threads changes how fast a rule runs, never what it writes)."""
    return setting(key)


def section(key):
    """The config section at `key` as one JSON string: the stage reads it into its typed
    dataclass (lmlab.config.section_parser)."""
    return json.dumps(setting(key), sort_keys=True)


def shell_words(values):
    """A list as shell-quoted words."""
    return " ".join(shlex.quote(str(value)) for value in values)


def synthetic():
    return config["data"]["source"] == "synthetic"


def data_location(kind):
    """Where the `glue`, `csqa`, `obqa` or `conceptnet` data lives: the synthetic corpus or
    data.files."""
    if synthetic():
        return {
            "glue": f"{SYNTHETIC}/glue",
            "csqa": f"{SYNTHETIC}/csqa",
            "conceptnet": f"{SYNTHETIC}/conceptnet/assertions.csv",
        }[kind]
    files = config["data"]["files"]
    if kind not in files:
        raise WorkflowError(
            f"config data.files.{kind} is required with data.source: files"
        )
    try:
        check_data_entry(kind, files[kind])
    except ValueError as err:
        raise WorkflowError(str(err)) from None
    return files[kind]


def glue_is_local():
    """A GLUE source that is a directory of .tsv files (a hub id is read inside the jobs)."""
    return synthetic() or Path(data_location("glue")).is_dir()


def glue_split_file(task, split):
    """The local .tsv of a GLUE split, as a list: empty when GLUE comes from the hub."""
    if not glue_is_local():
        return []
    path = f"{data_location('glue')}/{task}/{split}.tsv"
    if not synthetic() and not Path(path).is_file():
        raise WorkflowError(
            f"config data.files.glue: {path} does not exist (GLUE {task}, split {split})"
        )
    return [path]
