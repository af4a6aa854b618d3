"""`write_corpus`: run the four generators in a fixed order, write their files and the manifest.

`section` is the config section `data.synthetic` (`lmlab.config.SyntheticData`), already validated
and filled with defaults by `workflow/schemas/config.schema.yaml`, the one place for defaults and
bounds. What a JSON schema cannot say (relations between keys: in-house ids within train, a
question concept per question, a graph sparse enough to build) is checked first, by
`_check_feasible`; sizes are honoured exactly; a graph too dense to place an answer path or 4 far
distractors raises `ValueError` naming `data.synthetic.edges_per_concept`. Files are written
atomically after everything is generated, and `manifest.json` is written last. Its keys:
`generator`, `rules_version`, `params` (in a fixed key order), `word_source` (package versions and
a hash of the candidate word list, the only inputs besides params), `sizes` (data rows per file),
`conceptnet` (row counts per category, see `conceptnet.graph_counts` and `conceptnet.add_noise`),
`csqa` (`hops`, `distractor_fallbacks`, `answer_keys` per split), `glue` (`label_counts` per task
and labelled file) and `files` (path -> sha256, bytes, lines).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from lmlab.config import SyntheticData, to_dict
from lmlab.data.synth.common import STREAM_CSQA, STREAM_NOISE, stream, word_pool
from lmlab.data.synth.conceptnet import add_noise, assertions_text, build_graph, graph_counts
from lmlab.data.synth.csqa import build_csqa, choose_distractors, csqa_files
from lmlab.data.synth.mnli import mnli_files
from lmlab.data.synth.sst2 import sst2_files
from lmlab.runtime.atomic import write_json, write_text

RULES_VERSION = 1


def write_corpus(out_dir: str | Path, section: SyntheticData) -> dict[str, Any]:
    """Write the synthetic corpus under `out_dir` and return its manifest (see module docstring).

    `section` is config `data.synthetic`: seed, concepts, edges_per_concept, csqa sizes
    (train/dev/test/inhouse_train) and glue sizes per task (MNLI, SST-2: train/dev/test). All
    files are generated in memory first, then written one by one atomically, manifest last.
    The order of the generator calls is part of the output: the graph stream is shared by the
    base graph, the CSQA answer edges, the noise rows, the distractor choice and the malformed
    lines, and the CSQA stream by the questions and their rendering.
    """
    _check_feasible(section)
    params = to_dict(section)  # plain dicts in the schema's key order, for the manifest
    seed = params["seed"]
    graph, concepts = build_graph(seed, params["concepts"], params["edges_per_concept"])
    csqa_rng = stream(seed, STREAM_CSQA)
    questions = build_csqa(graph, concepts, params["csqa"], csqa_rng)
    noise = add_noise(graph, concepts, stream(seed, STREAM_NOISE))
    csqa_summary = choose_distractors(graph, concepts, questions)
    files, csqa_summary["answer_keys"] = csqa_files(
        questions, params["csqa"]["inhouse_train"], csqa_rng
    )
    files["conceptnet/assertions.csv"] = assertions_text(graph)
    glue_summary: dict[str, Any] = {}
    for task, sizes in params["glue"].items():
        builder = mnli_files if task == "MNLI" else sst2_files
        task_files, glue_summary[task] = builder(sizes, seed)
        files.update({f"glue/{task}/{name}": text for name, text in task_files.items()})

    manifest = {
        "generator": "lmlab.data.synth",
        "rules_version": RULES_VERSION,
        "params": params,
        "word_source": word_pool()[1],
        "sizes": _sizes(params),
        "conceptnet": {**graph_counts(graph, concepts), **noise},
        "csqa": csqa_summary,
        "glue": glue_summary,
        "files": {
            name: {
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "bytes": len(text.encode("utf-8")),
                "lines": text.count("\n"),
            }
            for name, text in sorted(files.items())
        },
    }
    out = Path(out_dir)
    for name, text in sorted(files.items()):
        write_text(out / name, text)
    write_json(out / "manifest.json", manifest)
    return manifest


def _check_feasible(section: SyntheticData) -> None:
    """Relations between keys that the schema cannot express; each would otherwise end in an
    IndexError deep inside a generator, or (a graph denser than (concepts - 1) / 4 edges per
    concept) in a builder that never finds a free pair."""
    csqa, where = section.csqa, "config data.synthetic"
    if csqa.inhouse_train > csqa.train:
        raise ValueError(f"{where}.csqa.inhouse_train ({csqa.inhouse_train}) exceeds train")
    if csqa.train + csqa.dev + csqa.test > section.concepts:
        raise ValueError(f"{where}: csqa train + dev + test need one concept each (> concepts)")
    if 4 * section.edges_per_concept > section.concepts - 1:
        raise ValueError(f"{where}.edges_per_concept must be <= (concepts - 1) / 4")


def _sizes(params: dict[str, Any]) -> dict[str, Any]:
    """Data rows (header excluded) of every dataset file, by dataset and split."""
    glue = params["glue"]
    sizes: dict[str, Any] = {"csqa": dict(params["csqa"]), "glue": {}}
    if "MNLI" in glue:
        mnli = glue["MNLI"]
        sizes["glue"]["MNLI"] = {
            "train": mnli["train"],
            "dev_matched": mnli["dev"],
            "dev_mismatched": mnli["dev"],
            "test_matched": mnli["test"],
            "test_mismatched": mnli["test"],
        }
    if "SST-2" in glue:
        sizes["glue"]["SST-2"] = dict(glue["SST-2"])
    return sizes
