"""Every result file name of the pipeline, in one place: the Snakemake rules (through
`workflow/rules/common.smk`) and the code that reads or writes the files both take them from here.

Functions return paths relative to the working directory (the Snakemake root) under `RESULTS`;
arguments left at their default are Snakemake wildcards (`"{seed}"`), so the same function names
a rule's output pattern and one concrete file. Stage code receives named paths on its command
line and never rebuilds a path from a directory; directory products (a checkpoint, the synthetic
corpus) are named once and their inner layout documented by the module that writes them.

Pure Python with no third-party imports: the Snakefile imports it while parsing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

RESULTS = "results"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"

# --- data ---------------------------------------------------------------------------------
SYNTHETIC = f"{RESULTS}/data/synthetic"
GLUE_SPLITS = ("train", "dev", "test")
MNLI_SPLITS = ("train", "dev_matched", "dev_mismatched", "test_matched", "test_mismatched")
CSQA_FILES = ("train_rand_split", "dev_rand_split", "test_rand_split_no_answers")
INHOUSE_QIDS = "inhouse_split_qids.txt"


def glue_splits(task: str) -> tuple[str, ...]:
    """The files of a GLUE task as distributed in `glue_data/<TASK>/` (without `.tsv`)."""
    return MNLI_SPLITS if task == "MNLI" else GLUE_SPLITS


def inspect_file(dataset: str = "{dataset}") -> str:
    """The validation summary of one dataset file (`lmlab data inspect`)."""
    return f"{RESULTS}/data/inspect/{dataset}.json"


# --- graph (QAT data path) -----------------------------------------------------------------
GRAPH = f"{RESULTS}/graph"
CPNET = f"{GRAPH}/cpnet"
QA_SPLITS = ("train", "dev", "test")


class CpnetFiles(NamedTuple):
    """The pruned English ConceptNet written by `lmlab graph conceptnet` (beside its
    `extract_stats.json`, `cpnet_stats_file`)."""

    concepts: str
    relations: str
    graph: str

    @classmethod
    def under(cls, directory: str | Path) -> CpnetFiles:
        """The files of an extraction directory."""
        root = Path(directory)
        return cls(
            concepts=str(root / "concepts.txt"),
            relations=str(root / "relations.txt"),
            graph=str(root / "graph.npz"),
        )


def cpnet_files() -> CpnetFiles:
    """The pipeline's ConceptNet extraction."""
    return CpnetFiles.under(CPNET)


CPNET_STATS = f"{CPNET}/extract_stats.json"


PATTERNS = f"{CPNET}/patterns.json"


def statement_file(dataset: str = "{dataset}", split: str = "{split}") -> str:
    return f"{GRAPH}/{dataset}/statement/{split}.statement.jsonl"


def grounded_file(dataset: str = "{dataset}", split: str = "{split}") -> str:
    return f"{GRAPH}/{dataset}/grounded/{split}.grounded.jsonl"


def subgraph_file(dataset: str = "{dataset}", split: str = "{split}") -> str:
    """Compact subgraphs of one split (lmlab.graph.subgraph_store)."""
    return f"{GRAPH}/{dataset}/subgraph/{split}.subgraph.npz"


def qagnn_adj_file(dataset: str = "{dataset}", split: str = "{split}") -> str:
    """The same subgraphs in QA-GNN's adj pickle format, beside the npz."""
    return f"{GRAPH}/{dataset}/subgraph/{split}.graph.adj.pk"


def metapath_file(dataset: str = "{dataset}", split: str = "{split}") -> str:
    return f"{GRAPH}/{dataset}/metapath/{split}.metapath.npz"


def graph_stats_file(dataset: str = "{dataset}") -> str:
    return f"{GRAPH}/{dataset}/stats.json"


# --- text ------------------------------------------------------------------------------------
TOKEN_CACHE = f"{RESULTS}/cache/tokens"


def tokens_file(dataset: str = "{dataset}", split: str = "{split}") -> str:
    """LM inputs of one split: a hard link into the token cache (lmlab.text.tokenize_cache)."""
    return f"{RESULTS}/text/{dataset}/{split}.tokens.safetensors"


# --- QAT --------------------------------------------------------------------------------------
QAT = f"{RESULTS}/qat"
QAT_SUMMARY = ("summary.csv", "summary.json", "fig_compare.png")  # rule qat_summary


def qat_matches_file(dataset: str = "{dataset}", split: str = "{split}") -> str:
    """LM token - graph node match lists of one split (lmlab.qat.matches)."""
    return f"{QAT}/{dataset}/matches/{split}.matches.npz"


def qat_file(
    name: str, dataset: str = "{dataset}", variant: str = "{variant}", seed: str | int = "{seed}"
) -> str:
    """A file of one QAT run: `metrics.json`, `efficiency.json`, `curve.csv`, `fig_curve.png`."""
    return f"{QAT}/{dataset}/{variant}/seed{seed}/{name}"


def qat_summary_file(name: str, dataset: str = "{dataset}") -> str:
    """A file of the across-seed QAT comparison."""
    return f"{QAT}/{dataset}/summary/{name}"


# --- UniPELT ----------------------------------------------------------------------------------
UNIPELT = f"{RESULTS}/unipelt"
UNIPELT_SUMMARY = {  # rule unipelt_summary, by output name
    "table1_csv": f"{UNIPELT}/summary/table1.csv",
    "table1_md": f"{UNIPELT}/summary/table1.md",
    "table4_csv": f"{UNIPELT}/summary/table4.csv",
    "table4_md": f"{UNIPELT}/summary/table4.md",
    "summary": f"{UNIPELT}/summary/summary.json",
    "figure": f"{UNIPELT}/summary/fig_compare.png",
}


def unipelt_file(
    name: str,
    task: str = "{task}",
    k: str | int = "{k}",
    method: str = "{method}",
    seed: str | int = "{seed}",
) -> str:
    """A file of one UniPELT run: `metrics.json`, `efficiency.json`, `gates.csv`, `stored/`,
    `fig_gates.png`."""
    return f"{UNIPELT}/{task}/k{k}/{method}/seed{seed}/{name}"


# --- head study --------------------------------------------------------------------------------
HEADS = f"{RESULTS}/heads"


def heads_measurements(readouts: Sequence[str]) -> list[str]:
    """The measurement files of one seed when θ0 is read through `readouts` (random, probe)."""
    names = [
        "run_config.json",  # hyper-parameters, seeds, precision, versions, metrics per epoch
        "importance_post.jsonl",  # I and its standard error at θ1
        "update.jsonl",  # U, Urel, Uq, Uk, Uv, Uo (+ orthogonal parts) from θ1 - θ0
    ]
    if "probe" in readouts:
        names.append("probe.json")  # the probe readout: settings, dev metric before and after
    for readout in readouts:
        names += [f"importance_pre_{readout}.jsonl", f"gradfisher_pre_{readout}.jsonl"]
    return names


HEADS_FIGURES = {  # rule heads_figures, by output name
    "i_vs_u": "fig_I_vs_U.png",
    "i_vs_g": "fig_I_vs_G.png",
    "stats": "fig_stats.png",
    "pruning": "fig_pruning.png",
}
HEADS_SUMMARY = {  # rule heads_summary, by output name
    "summary": "summary.csv",
    "stability": "stability.json",
    "figure": "fig_summary.png",
}


def per_example_file(measurement: str) -> str:
    """The per-example values kept beside a head-measurement file (for the bootstrap):
    `importance_post.jsonl` -> `importance_post_examples.safetensors`."""
    return measurement.removesuffix(".jsonl") + "_examples.safetensors"


def heads_file(name: str, task: str = "{task}", seed: str | int = "{seed}") -> str:
    """A per-seed file of the head study, e.g. `ckpt_init` (θ0), `ckpt_final` (θ1), `heads.csv`."""
    return f"{HEADS}/{task}/seed{seed}/{name}"


def heads_subset_file(task: str = "{task}") -> str:
    """The fixed eval subset of a task, shared by every seed."""
    return f"{HEADS}/{task}/eval_subset.json"


def heads_summary_file(name: str, task: str = "{task}") -> str:
    """An across-seed file of the head study."""
    return f"{HEADS}/{task}/summary/{name}"


TRAIN_STATE = "train_state.pt"
"""Per-run file name of the training loop's resumable checkpoint, kept beside a training rule's
outputs until they exist. Not a declared output: Snakemake deletes the outputs of a killed job,
and this file is what the rerun resumes from."""


EFFICIENCY = "efficiency.json"
"""Per-run file name of what the machine measured while a training rule ran (seconds and
throughput; UniPELT also inference latency and peak memory), beside the run's metrics file.
Metrics files hold only what the model achieved and are byte-identical between two runs of a
config on a CPU; timings never are, so they live here (`lmlab.training.timings`)."""
