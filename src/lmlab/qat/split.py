"""One split of the QAT data path, from the pipeline's files (SPEC §5, §6): its match lists
(stage `matches`, one rule per split) and its model examples (read by stage `train`).

The files are those of the graph and text stages: the statement tokens (lmlab.text,
`<split>.tokens.safetensors`), the subgraphs and meta-paths (`<split>.subgraph.npz`,
`<split>.metapath.npz`) and the concept vocabulary (`concepts.txt` of the ConceptNet stage). The
match lists depend only on those and on the matcher, so they are a rule's output
(`<split>.matches.npz`, lmlab.paths) that every seed and variant reads. The tokenizer is the one
of `model`, checked to be the one that made the tokens.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lmlab.graph.loader import GraphDataset
from lmlab.qat.batches import QATExamples
from lmlab.qat.config import MatcherConfig
from lmlab.qat.matcher import build_matcher
from lmlab.qat.matches import MatchLists, precompute_matches
from lmlab.text.tokenize_cache import load_tokens, tokenizer_dir, tokenizer_identity


def write_matches(
    tokens_path: str | os.PathLike,
    subgraph_npz: str | os.PathLike,
    metapath_npz: str | os.PathLike,
    concepts_path: str | os.PathLike,
    model: str,
    matcher: MatcherConfig,
    max_node_num: int,
    output: str | os.PathLike,
) -> MatchLists:
    """Stage function: the match lists of one split, written to `output` (atomically)."""
    from transformers import AutoTokenizer

    tokens, metadata = load_tokens(tokens_path)
    directory = tokenizer_dir(model)
    if tokenizer_identity(directory) != json.loads(metadata["tokenizer"]):
        raise ValueError(
            f"{tokens_path} was tokenized by another tokenizer than that of model {model!r}"
        )
    tokenizer = AutoTokenizer.from_pretrained(str(directory))
    embeddings = None
    if matcher.kind == "lm_embedding":
        from lmlab.qat.model import load_encoder

        embeddings = load_encoder(model).get_input_embeddings().weight
    graphs = GraphDataset(subgraph_npz, metapath_npz, max_node_num)
    concepts = Path(concepts_path).read_text(encoding="utf-8").splitlines()
    lists = precompute_matches(
        tokens, graphs, concepts, tokenizer, build_matcher(matcher, tokenizer, embeddings)
    )
    lists.save(output)
    return lists


def split_examples(
    variant: str,
    tokens_path: str | os.PathLike,
    subgraph_npz: str | os.PathLike | None,
    metapath_npz: str | os.PathLike | None,
    matches_npz: str | os.PathLike | None,
    max_node_num: int,
) -> QATExamples:
    """The examples of one split: the statement tokens, and for `qat` the loader graphs and the
    match lists too (`lm_only` reads no graph file)."""
    tokens, _ = load_tokens(tokens_path)
    if variant == "lm_only":
        return QATExamples(tokens)
    graphs = GraphDataset(subgraph_npz, metapath_npz, max_node_num)
    return QATExamples(tokens, graphs, MatchLists.load(matches_npz))
