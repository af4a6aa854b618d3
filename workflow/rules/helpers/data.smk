# Helpers of the data rules (workflow/rules/data.smk): paths, parameters, targets.


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


def dataset_files():
    """Every local dataset file of the configured corpus, keyed by its short name."""
    files = {}
    if glue_is_local():
        for task in config["data"]["glue_tasks"]:
            for split in glue_splits(task):
                files[f"glue/{task}/{split}"] = glue_split_file(task, split)[0]
    if synthetic() or "csqa" in config["data"]["files"]:
        for name in CSQA_FILES:
            files[f"csqa/{name}"] = f"{data_location('csqa')}/{name}.jsonl"
    if synthetic() or "conceptnet" in config["data"]["files"]:
        files["conceptnet/assertions"] = data_location("conceptnet")
    return files


def synthetic_outputs():
    """Files written by `lmlab data synth` for the configured sizes (its layout: the real
    distributions', SPEC §4)."""
    outputs = {
        "assertions": f"{SYNTHETIC}/conceptnet/assertions.csv",
        "manifest": f"{SYNTHETIC}/manifest.json",
        "inhouse_qids": f"{SYNTHETIC}/csqa/{INHOUSE_QIDS}",
    }
    for name in CSQA_FILES:
        outputs[f"csqa_{name}"] = f"{SYNTHETIC}/csqa/{name}.jsonl"
    for task in config["data"]["synthetic"]["glue"]:
        for split in glue_splits(task):
            outputs[f"glue_{task}_{split}"] = f"{SYNTHETIC}/glue/{task}/{split}.tsv"
    return outputs


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


def data_targets():
    """Final outputs of the data stages (rule all)."""
    targets = [inspect_file(name) for name in dataset_files()]
    if synthetic():
        targets.append(synthetic_outputs()["manifest"])
    return targets


def synthetic_dir(wildcards, output):
    """The directory `lmlab data synth` writes the corpus into (the manifest's)."""
    return str(Path(output.manifest).parent)
