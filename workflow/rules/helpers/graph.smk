# Helpers of the graph rules (workflow/rules/graph.smk): paths, parameters, targets.


def check_graph_dataset():
    """OpenBookQA has no synthetic version: graph.dataset obqa needs data.files.obqa."""
    if config["graph"]["dataset"] == "obqa" and (
        synthetic() or "obqa" not in config["data"]["files"]
    ):
        raise WorkflowError(
            "config graph.dataset: obqa needs data.source: files and data.files.obqa"
        )


check_graph_dataset()


def cpnet_inputs():
    """The ConceptNet extraction's files, as named inputs."""
    return cpnet_files()._asdict()


def qa_sources(wildcards):
    """Question file of one split, plus the in-house ids for the CSQA splits cut from train."""
    if wildcards.dataset == "obqa":
        return {"questions": f"{data_location('obqa')}/{wildcards.split}.jsonl"}
    root = data_location("csqa")
    if wildcards.split == "dev":
        return {"questions": f"{root}/dev_rand_split.jsonl"}
    return {
        "questions": f"{root}/train_rand_split.jsonl",
        "qids": f"{root}/{INHOUSE_QIDS}",
    }


def inhouse_args(wildcards):
    """`--inhouse-qids FILE --inhouse-part train|test` for CSQA in-house train and test."""
    sources = qa_sources(wildcards)
    if "qids" not in sources:
        return ""
    return f"--inhouse-qids {shlex.quote(sources['qids'])} --inhouse-part {wildcards.split}"


def subgraph_gpus():
    """The LM ranker scores nodes with a masked LM (GPU when one is free); the cheap one is CPU."""
    return 1 if config["graph"]["subgraph"]["ranker"] == "lm" else 0


def graph_stats_inputs(wildcards):
    """Every split's grounding, subgraphs and meta-paths, in QA_SPLITS order."""
    return {
        "grounded": [grounded_file(wildcards.dataset, s) for s in QA_SPLITS],
        "subgraph": [subgraph_file(wildcards.dataset, s) for s in QA_SPLITS],
        "metapath": [metapath_file(wildcards.dataset, s) for s in QA_SPLITS],
    }


def graph_targets():
    """Final outputs of the graph family (rule all)."""
    dataset = config["graph"]["dataset"]
    targets = [*cpnet_files(), CPNET_STATS, graph_stats_file(dataset)]
    for split in QA_SPLITS:
        targets.append(grounded_file(dataset, split))
        targets.append(qagnn_adj_file(dataset, split))
    return targets


def conceptnet_assertions(wildcards):
    """The ConceptNet assertions file, looked up only when a graph job is needed: a run that asks
    for head-study or UniPELT targets alone needs no data.files.conceptnet."""
    return data_location("conceptnet")
