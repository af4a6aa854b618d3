# Helpers of the heads rules (workflow/rules/heads.smk): paths, parameters, targets.


def check_heads_task():
    """The head study's task must be one of the GLUE tasks the data stages provide."""
    task = config["heads"]["task"]
    if task not in config["data"]["glue_tasks"]:
        raise WorkflowError(
            f"config heads.task {task!r} is not in data.glue_tasks "
            f"{config['data']['glue_tasks']}"
        )


check_heads_task()


def heads_train_data(wildcards):
    return {
        "train": glue_split_file(wildcards.task, "train"),
        "dev": glue_split_file(wildcards.task, config["heads"]["eval_split"]),
    }


def heads_eval_data(wildcards):
    return glue_split_file(wildcards.task, config["heads"]["eval_split"])


def heads_checkpoint(wildcards):
    """θ0 (`ckpt_init`) for measurements `pre`, θ1 (`ckpt_final`) for `post`."""
    name = {"pre": "ckpt_init", "post": "ckpt_final"}[wildcards.when]
    return heads_file(name, wildcards.task, wildcards.seed)


def heads_accumulation(wildcards, attempt):
    """Micro-batches per batch: 1, doubled by every retry (after an out-of-memory error)."""
    return 2 ** (attempt - 1)


def heads_summary_inputs(wildcards):
    """The per-seed files the summary reads, one per configured seed, in config order."""
    names = {
        "heads_csv": "heads.csv",
        "stats": "stats.json",
        "cases": "cases.json",
        "pruning": "pruning.jsonl",
    }
    return {
        key: [heads_file(name, wildcards.task, seed) for seed in config["seeds"]]
        for key, name in names.items()
    }


def heads_targets():
    """Final measurement files of the head study, for every configured seed (rule all)."""
    task = config["heads"]["task"]
    targets = [heads_subset_file(task)]
    for seed in config["seeds"]:
        targets += [heads_file(name, task, seed) for name in HEADS_MEASUREMENTS]
        targets += seed_figures(config, seed)["heads"]
    targets += [heads_summary_file(name, task) for name in HEADS_SUMMARY.values()]
    return targets
