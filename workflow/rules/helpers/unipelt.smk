# Helpers of the unipelt rules (workflow/rules/unipelt.smk): data, runs, targets.


def check_unipelt_tasks():
    """UniPELT's tasks must be GLUE tasks the data stages provide."""
    missing = set(config["unipelt"]["tasks"]) - set(config["data"]["glue_tasks"])
    if missing:
        raise WorkflowError(
            f"config unipelt.tasks {sorted(missing)} are not in data.glue_tasks "
            f"{config['data']['glue_tasks']}"
        )


check_unipelt_tasks()


def unipelt_data(wildcards):
    """The task's training split (K-shot train and dev come from it) and its official dev
    split (the test set; MNLI: matched)."""
    test = "dev_matched" if wildcards.task == "MNLI" else "dev"
    return {
        "train": glue_split_file(wildcards.task, "train"),
        "test": glue_split_file(wildcards.task, test),
    }


def unipelt_runs():
    """(task, K, method, seed) of every configured run, in config order."""
    section = config["unipelt"]
    return [
        (task, k, method, seed)
        for task in section["tasks"]
        for k in section["k"]
        for method in section["methods"]
        for seed in config["seeds"]
    ]


def unipelt_run_files(name):
    """The file `name` of every configured run, in unipelt_runs() order."""
    return [unipelt_file(name, *run) for run in unipelt_runs()]


def unipelt_targets():
    """Final outputs of UniPELT (rule all)."""
    targets = list(UNIPELT_SUMMARY.values())
    for seed in config["seeds"]:
        targets += seed_figures(config, seed)["unipelt"]
    return targets
