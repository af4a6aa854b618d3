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


def check_heads_readouts():
    """The case sets and the pruning order may only use a θ0 readout that is measured."""
    readouts = config["heads"]["pre_readout"]
    chosen = config["heads"]["analysis"]["readout"]
    if chosen not in readouts:
        raise WorkflowError(
            f"config heads.analysis.readout {chosen!r} is not in heads.pre_readout {readouts}"
        )
    score = config["heads"]["analysis"]["pruning"]["score"]
    if score != "I_post" and score.split("_")[-1] not in readouts:
        raise WorkflowError(
            f"config heads.analysis.pruning.score {score!r} needs its readout in "
            f"heads.pre_readout {readouts}"
        )


check_heads_readouts()


def heads_train_data(wildcards):
    return {
        "train": glue_split_file(wildcards.task, "train"),
        "dev": glue_split_file(wildcards.task, config["heads"]["eval_split"]),
    }


def heads_eval_data(wildcards):
    return glue_split_file(wildcards.task, config["heads"]["eval_split"])


MEASURED_CHECKPOINTS = {
    "pre_random": "ckpt_init",  # θ0 with its seeded random classification head
    "pre_probe": "ckpt_probe",  # θ0 with a head fitted on its frozen encoder
    "post": "ckpt_final",  # θ1
}


def heads_checkpoint(wildcards):
    """The checkpoint a measurement `when` (pre_random, pre_probe, post) reads."""
    name = MEASURED_CHECKPOINTS[wildcards.when]
    return heads_file(name, wildcards.task, wildcards.seed)


def heads_aggregate_inputs(wildcards):
    """The measurement files of one seed and the per-example values beside them."""
    readouts = config["heads"]["pre_readout"]
    importance = {
        f"importance_{when}": heads_file(
            f"importance_{when}.jsonl", wildcards.task, wildcards.seed
        )
        for when in ["post", *(f"pre_{r}" for r in readouts)]
    }
    gradfisher = {
        f"gradfisher_{r}": heads_file(
            f"gradfisher_pre_{r}.jsonl", wildcards.task, wildcards.seed
        )
        for r in readouts
    }
    files = {**importance, **gradfisher}
    examples = {
        f"{key}_examples": per_example_file(path) for key, path in files.items()
    }
    return {**files, **examples}


def heads_aggregate_arguments(wildcards, input):
    """`--importance WHEN=FILE ... --gradfisher READOUT=FILE ...` of rule heads_aggregate."""
    importance = [
        f"{key.removeprefix('importance_')}={input[key]}"
        for key in input.keys()
        if key.startswith("importance_") and not key.endswith("_examples")
    ]
    gradfisher = [
        f"{key.removeprefix('gradfisher_')}={input[key]}"
        for key in input.keys()
        if key.startswith("gradfisher_") and not key.endswith("_examples")
    ]
    return (
        f"--importance {shell_words(importance)} --gradfisher {shell_words(gradfisher)}"
    )


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
        measured = heads_measurements(config["heads"]["pre_readout"])
        targets += [heads_file(name, task, seed) for name in measured]
        targets += seed_figures(config, seed)["heads"]
    targets += [heads_summary_file(name, task) for name in HEADS_SUMMARY.values()]
    return targets
