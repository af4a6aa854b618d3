# Helpers of the qat rules (workflow/rules/qat.smk): inputs per variant, GPUs, targets.


def qat_runs():
    """(variant, seed) of every configured run."""
    return [(v, s) for v in config["qat"]["variants"] for s in config["seeds"]]


def qat_train_inputs(wildcards):
    """Statement tokens of every split; for `qat` also its subgraphs, meta-paths and matches."""
    inputs = {"tokens": [tokens_file(wildcards.dataset, s) for s in QA_SPLITS]}
    if wildcards.variant == "qat":
        inputs["subgraph"] = [subgraph_file(wildcards.dataset, s) for s in QA_SPLITS]
        inputs["metapath"] = [metapath_file(wildcards.dataset, s) for s in QA_SPLITS]
        inputs["matches"] = [qat_matches_file(wildcards.dataset, s) for s in QA_SPLITS]
    return inputs


def qat_graph_arguments(wildcards, input):
    """The graph files of a `qat` run on its command line (none for `lm_only`)."""
    if wildcards.variant != "qat":
        return ""
    return " ".join(
        f"--{kind} {shell_words(input[kind])}"
        for kind in ("subgraph", "metapath", "matches")
    )


def qat_gpus(wildcards):
    """GPUs of one run: `qat.gpus` for qat (2 splits encoder and graph model), 1 for lm_only."""
    return config["qat"]["gpus"] if wildcards.variant == "qat" else 1


def qat_summary_inputs(wildcards):
    """Every run's metrics.json and curve.csv, in (variant, seed) config order."""
    return {
        "metrics": [
            qat_file("metrics.json", wildcards.dataset, v, s) for v, s in qat_runs()
        ],
        "curves": [
            qat_file("curve.csv", wildcards.dataset, v, s) for v, s in qat_runs()
        ],
    }


def qat_targets():
    """Final outputs of QAT (rule all)."""
    dataset = config["graph"]["dataset"]
    targets = [qat_summary_file(name, dataset) for name in QAT_SUMMARY]
    for seed in config["seeds"]:
        targets += seed_figures(config, seed)["qat"]
    return targets
