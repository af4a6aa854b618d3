# Helpers shared by every rules file: config validation, paths, code inputs, targets.
# Rules never hold lambdas or inline Python: every computed input or parameter is a function here.
import json
import shlex
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")

RESULTS = "results"
SRC = "src/lmlab"
SYNTHETIC = f"{RESULTS}/data/synthetic"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"

# Rules run `python -m lmlab` from this checkout's src/, also inside `--sdm conda` environments
# (which install the dependencies, not the project): the code that runs is the code declared
# as input, so a code change re-runs exactly the rules that use it.
shell.prefix(f"export PYTHONPATH={workflow.basedir}/src:$PYTHONPATH; ")


wildcard_constraints:
    seed=r"\d+",
    task=r"[A-Za-z0-9-]+",
    dataset=r"[A-Za-z0-9_./-]+",


# GLUE file names as distributed in glue_data/<TASK>/ (MNLI has matched/mismatched dev and test).
MNLI_SPLITS = [
    "train",
    "dev_matched",
    "dev_mismatched",
    "test_matched",
    "test_mismatched",
]
GLUE_SPLITS = ["train", "dev", "test"]
CSQA_FILES = ["train_rand_split", "dev_rand_split", "test_rand_split_no_answers"]


def code(*modules):
    """Source files a rule runs (declared as input so that editing them re-runs the rule)."""
    return [f"{SRC}/{module}" for module in modules]


def synthetic():
    return config["data"]["source"] == "synthetic"


def check_synthetic_tasks():
    """With the synthetic corpus, every configured GLUE task needs generated files."""
    missing = set(config["data"]["glue_tasks"]) - set(
        config["data"]["synthetic"]["glue"]
    )
    if synthetic() and missing:
        raise WorkflowError(
            f"config data.glue_tasks lists {sorted(missing)} but data.synthetic.glue only "
            f"generates {sorted(config['data']['synthetic']['glue'])}"
        )


check_synthetic_tasks()


def glue_splits(task):
    return MNLI_SPLITS if task == "MNLI" else GLUE_SPLITS


def data_location(kind):
    """Where the `glue`, `csqa` or `conceptnet` data lives: synthetic corpus or data.files."""
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
    return files[kind]


def glue_is_local():
    """A GLUE source that is a directory of .tsv files (a hub id is read inside the jobs)."""
    return synthetic() or Path(data_location("glue")).is_dir()


def dataset_files():
    """Every local dataset file of the configured corpus, keyed by its short name."""
    files = {}
    if glue_is_local():
        for task in config["data"]["glue_tasks"]:
            for split in glue_splits(task):
                files[f"glue/{task}/{split}"] = (
                    f"{data_location('glue')}/{task}/{split}.tsv"
                )
    if synthetic() or "csqa" in config["data"]["files"]:
        for name in CSQA_FILES:
            files[f"csqa/{name}"] = f"{data_location('csqa')}/{name}.jsonl"
    if synthetic() or "conceptnet" in config["data"]["files"]:
        files["conceptnet/assertions"] = data_location("conceptnet")
    return files


def synthetic_outputs():
    """Files written by `lmlab data synth` for the configured sizes."""
    outputs = {
        "assertions": f"{SYNTHETIC}/conceptnet/assertions.csv",
        "manifest": f"{SYNTHETIC}/manifest.json",
        "inhouse_qids": f"{SYNTHETIC}/csqa/inhouse_split_qids.txt",
    }
    for name in CSQA_FILES:
        outputs[f"csqa_{name}"] = f"{SYNTHETIC}/csqa/{name}.jsonl"
    for task in config["data"]["synthetic"]["glue"]:
        for split in glue_splits(task):
            outputs[f"glue_{task}_{split}"] = f"{SYNTHETIC}/glue/{task}/{split}.tsv"
    return outputs


def output_dir_of_manifest(wildcards, output):
    """The directory a multi-file stage writes into: the one holding its manifest."""
    return str(Path(output.manifest).parent)


def dataset_file(wildcards):
    files = dataset_files()
    if wildcards.dataset not in files:
        raise WorkflowError(
            f"unknown dataset {wildcards.dataset!r}; known: {sorted(files)}"
        )
    return files[wildcards.dataset]


def inspect_task(wildcards):
    """`--task` for GLUE files (the directory name), empty otherwise."""
    parts = wildcards.dataset.split("/")
    return f"--task {parts[1]}" if parts[0] == "glue" else ""


def json_param(section):
    """A config section as one JSON string (passed to the CLI as a single quoted argument)."""
    return json.dumps(section, sort_keys=True)


def data_targets():
    """Final outputs of the data stages (rule all)."""
    targets = [f"{RESULTS}/data/inspect/{name}.json" for name in dataset_files()]
    if synthetic():
        targets.append(synthetic_outputs()["manifest"])
    return targets
