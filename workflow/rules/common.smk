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


def setting(key):
    """The config value at the dotted `key` (e.g. `heads.train.max_seq_len`). Rules read config
    only through `setting` and `section`, so the keys each rule reads are visible (and checked
    against workflow/dvc-stages.yaml by tests/workflow/test_dvc_params.py)."""
    value = config
    for part in key.split("."):
        value = value[part]
    return value


def section(key):
    """The config section at `key` as one JSON string: the stage reads it into its typed
    dataclass (lmlab.config.section_parser)."""
    return json.dumps(setting(key), sort_keys=True)


def shell_words(values):
    """A list as shell-quoted words."""
    return " ".join(shlex.quote(str(value)) for value in values)


def data_targets():
    """Final outputs of the data stages (rule all)."""
    targets = [f"{RESULTS}/data/inspect/{name}.json" for name in dataset_files()]
    if synthetic():
        targets.append(synthetic_outputs()["manifest"])
    return targets


# --- graph family (workflow/rules/graph.smk): ConceptNet, statements, grounding, tokens ---
GRAPH = f"{RESULTS}/graph"
CPNET = f"{GRAPH}/cpnet"
PATTERNS = f"{CPNET}/patterns.json"  # grounding's lemma patterns of the concepts (graph_patterns)
GRAPH_RESOURCES = f"{SRC}/graph/resources"
TOKEN_CACHE = f"{RESULTS}/cache/tokens"
QA_SPLITS = ["train", "dev", "test"]


def check_graph_dataset():
    """OpenBookQA has no synthetic version: graph.dataset obqa needs data.files.obqa."""
    if config["graph"]["dataset"] == "obqa" and (
        synthetic() or "obqa" not in config["data"]["files"]
    ):
        raise WorkflowError(
            "config graph.dataset: obqa needs data.source: files and data.files.obqa"
        )


check_graph_dataset()


def cpnet_outputs():
    """Files of rule graph_conceptnet (read back by lmlab.graph.conceptnet.load_graph)."""
    return {
        "concepts": f"{CPNET}/concepts.txt",
        "relations": f"{CPNET}/relations.txt",
        "graph": f"{CPNET}/graph.npz",
        "stats": f"{CPNET}/extract_stats.json",
    }


def output_dir_of_graph(wildcards, output):
    """The directory rule graph_conceptnet writes into."""
    return str(Path(output.graph).parent)


def qa_sources(wildcards):
    """Question file of one split, plus the in-house ids for the CSQA splits cut from train."""
    if wildcards.dataset == "obqa":
        return {"questions": f"{data_location('obqa')}/{wildcards.split}.jsonl"}
    root = data_location("csqa")
    if wildcards.split == "dev":
        return {"questions": f"{root}/dev_rand_split.jsonl"}
    return {
        "questions": f"{root}/train_rand_split.jsonl",
        "qids": f"{root}/inhouse_split_qids.txt",
    }


def inhouse_args(wildcards):
    """`--inhouse-qids FILE --inhouse-part train|test` for CSQA in-house train and test."""
    sources = qa_sources(wildcards)
    if "qids" not in sources:
        return ""
    return f"--inhouse-qids {shlex.quote(sources['qids'])} --inhouse-part {wildcards.split}"


def statement_file(dataset, split):
    return f"{GRAPH}/{dataset}/statement/{split}.statement.jsonl"


def grounded_file(dataset, split):
    return f"{GRAPH}/{dataset}/grounded/{split}.grounded.jsonl"


def tokens_file(dataset, split):
    """LM inputs of one split: a hard link into the token cache (lmlab.text.tokenize_cache)."""
    return f"{RESULTS}/text/{dataset}/{split}.tokens.safetensors"


def subgraph_file(dataset, split):
    """Compact subgraphs of one split (lmlab.graph.subgraph_store)."""
    return f"{GRAPH}/{dataset}/subgraph/{split}.subgraph.npz"


def qagnn_adj_file(dataset, split):
    """The same subgraphs in QA-GNN's adj pickle format, beside the npz."""
    return f"{GRAPH}/{dataset}/subgraph/{split}.graph.adj.pk"


def metapath_file(dataset, split):
    return f"{GRAPH}/{dataset}/metapath/{split}.metapath.npz"


def cpnet_dir_of_input(wildcards, input):
    """The ConceptNet directory a rule reads (the one holding its `graph` input)."""
    return str(Path(input.graph).parent)


def subgraph_gpus():
    """The LM ranker scores nodes with a masked LM (GPU when one is free); the cheap one is CPU."""
    return 1 if config["graph"]["subgraph"]["ranker"] == "lm" else 0


def graph_stats_inputs(wildcards):
    """Every split's grounding, subgraphs and meta-paths, for `lmlab graph stats`."""
    inputs = {}
    for split in QA_SPLITS:
        inputs[f"grounded_{split}"] = grounded_file(wildcards.dataset, split)
        inputs[f"subgraph_{split}"] = subgraph_file(wildcards.dataset, split)
        inputs[f"metapath_{split}"] = metapath_file(wildcards.dataset, split)
    return inputs


def graph_result_dir(wildcards):
    return f"{GRAPH}/{wildcards.dataset}"


def graph_targets():
    """Final outputs of the graph family (rule all)."""
    dataset = config["graph"]["dataset"]
    targets = list(cpnet_outputs().values())
    for split in QA_SPLITS:
        targets.append(grounded_file(dataset, split))
        targets.append(tokens_file(dataset, split))
        targets.append(qagnn_adj_file(dataset, split))
    targets.append(f"{GRAPH}/{dataset}/stats.json")
    return targets


# --- heads family (workflow/rules/heads.smk): the head study of SPEC §8 ---
HEADS = f"{RESULTS}/heads"


def check_heads_task():
    """The head study's task must be one of the GLUE tasks the data stages provide."""
    task = config["heads"]["task"]
    if task not in config["data"]["glue_tasks"]:
        raise WorkflowError(
            f"config heads.task {task!r} is not in data.glue_tasks "
            f"{config['data']['glue_tasks']}"
        )


check_heads_task()


def heads_file(name, task="{task}", seed="{seed}"):
    """A per-seed output of the head study (names: lmlab.heads.paths)."""
    return f"{HEADS}/{task}/seed{seed}/{name}"


def heads_subset_file(task="{task}"):
    """The fixed eval subset of a task, shared by every seed."""
    return f"{HEADS}/{task}/eval_subset.json"


def heads_glue_split(task, split):
    """The local .tsv of a GLUE split, as a list: empty when GLUE comes from the hub."""
    if not glue_is_local():
        return []
    return [f"{data_location('glue')}/{task}/{split}.tsv"]


def heads_train_data(wildcards):
    return {
        "train": heads_glue_split(wildcards.task, "train"),
        "dev": heads_glue_split(wildcards.task, config["heads"]["eval_split"]),
    }


def heads_eval_data(wildcards):
    return heads_glue_split(wildcards.task, config["heads"]["eval_split"])


def heads_checkpoint(wildcards):
    """θ0 (`ckpt_init`) for measurements `pre`, θ1 (`ckpt_final`) for `post`."""
    name = {"pre": "ckpt_init", "post": "ckpt_final"}[wildcards.when]
    return heads_file(name, wildcards.task, wildcards.seed)


def heads_accumulation(wildcards, attempt):
    """Micro-batches per batch: 1, doubled by every retry (after an out-of-memory error)."""
    return 2 ** (attempt - 1)


# Outputs of rule heads_summary (results/heads/{task}/summary/), by output name.
HEADS_SUMMARY = {
    "summary": "summary.csv",
    "stability": "stability.json",
    "figure": "fig_summary.png",
}
# Figures of one seed (rule heads_figures), by output name.
HEADS_FIGURES = {
    "i_vs_u": "fig_I_vs_U.png",
    "i_vs_g": "fig_I_vs_G.png",
    "stats": "fig_stats.png",
    "pruning": "fig_pruning.png",
}


def heads_figures_of(seed, task=None):
    """Every figure of one seed (task: heads.task). Redraw them from the existing measurements,
    never retraining: `snakemake <these files> --cores 2 --forcerun heads_figures
    --allowed-rules heads_figures` (see README)."""
    task = task or config["heads"]["task"]
    return [heads_file(name, task, seed) for name in HEADS_FIGURES.values()]


def heads_summary_file(name, task="{task}"):
    """An across-seed output of the head study."""
    return f"{HEADS}/{task}/summary/{name}"


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


def heads_analysis(*keys):
    """The `heads.analysis` keys a rule reads, as one JSON argument (other keys changing must
    not re-run it)."""
    return json_param({key: config["heads"]["analysis"][key] for key in keys})


def heads_seeds():
    """The configured seeds as CLI arguments."""
    return " ".join(str(seed) for seed in config["seeds"])


def heads_model_label():
    """The model name shown in figure titles."""
    model = config["model"]
    return "all-MiniLM-L6-v2" if model == "embedded" else model


def heads_targets():
    """Final measurement files of the head study, for every configured seed (rule all)."""
    task = config["heads"]["task"]
    targets = [heads_subset_file(task)]
    for seed in config["seeds"]:
        for name in [
            "run_config.json",
            "importance_pre.jsonl",
            "importance_post.jsonl",
            "gradfisher_pre.jsonl",
            "update.jsonl",
        ]:
            targets.append(heads_file(name, task, seed))
        targets += heads_figures_of(seed, task)
    targets += [heads_summary_file(name, task) for name in HEADS_SUMMARY.values()]
    return targets
