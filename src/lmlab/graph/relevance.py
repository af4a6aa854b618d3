"""Node relevance scores that rank a subgraph's extra nodes before the cut to `max_nodes`.

Two rankers, chosen by config `graph.subgraph.ranker`:

- `cheap` (default), `CooccurrenceRanker`: the cosine between a node's neighbour set and the
  statement's question+answer concept set, |N(x) ∩ QA| / sqrt(|N(x)| |QA|) (the Salton index of
  link prediction). |QA| is the same for every node of a statement, so the score stored is
  |N(x) ∩ QA| / sqrt(deg x). It prefers nodes tied to many of the statement's concepts and
  demotes hubs that neighbour everything (`relatedto` hubs), which is what the LM score does on
  real data too; and it is free: |N(x) ∩ QA| is the count the 2-hop rule already computes. The
  context node scores 1 (the cosine of the QA set with itself).
  Chosen over the cosine of LM input embeddings because it needs no model and no tokenization of
  every concept, and it depends only on the graph, so the CPU default stays seconds.
- `lm`, `LMRanker`: QA-GNN's score (Yasunaga et al. 2021, `utils/graph.py: get_LM_score`):
  with the context "{stem} {answer}." lower-cased, each node x scores minus the masked-LM loss
  of the sentence "{context} {x's words}." fed unmasked, summed over its tokens (special tokens
  included, padding excluded); the context node scores minus the loss of the context alone.
  QA-GNN uses RoBERTa-large; sentences are sorted by length and batched, on GPU when present.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lmlab.config import SubgraphConfig
from lmlab.graph.subgraph_store import concat_ranges, offsets_of
from lmlab.runtime.logs import progress

if TYPE_CHECKING:
    from lmlab.graph.adjacency import ConceptAdjacency
    from lmlab.graph.subgraph import Candidates

log = logging.getLogger(__name__)
RANKERS = ("cheap", "lm")


@dataclass(frozen=True)
class Scores:
    """Scores of one chunk's candidates: question/answer nodes, extra nodes, context nodes."""

    qa: np.ndarray
    extra: np.ndarray
    context: np.ndarray


class CooccurrenceRanker:
    """|N(x) ∩ QA| / sqrt(deg x), computed inside the extraction workers (module docstring)."""

    in_workers = True

    def __call__(self, adj: ConceptAdjacency, cand: Candidates, contexts: Sequence[str]) -> Scores:
        return Scores(
            qa=_cosine(cand.qa_counts, adj.degree[cand.qa_concepts]),
            extra=_cosine(cand.extra_counts, adj.degree[cand.extra_concepts]),
            context=np.ones(len(cand.num_qc)),
        )


def _cosine(counts: np.ndarray, degree: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts))
    linked = degree > 0
    out[linked] = counts[linked] / np.sqrt(degree[linked].astype(np.float64))
    return out


class LMRanker:
    """QA-GNN's LM-loss relevance (module docstring); runs in the main process (one model)."""

    in_workers = False

    def __init__(self, scorer: SentenceLoss) -> None:
        self.scorer = scorer

    def __call__(self, adj: ConceptAdjacency, cand: Candidates, contexts: Sequence[str]) -> Scores:
        sentences: list[str] = []
        for i, context in enumerate(contexts):
            context = context.lower()
            sentences.append(context)
            for offsets, concepts in (
                (cand.qa_offsets, cand.qa_concepts),
                (cand.extra_offsets, cand.extra_concepts),
            ):
                for cid in concepts[offsets[i] : offsets[i + 1]]:
                    sentences.append(f"{context} {adj.concepts[cid].replace('_', ' ')}.")
        scores = -self.scorer(sentences)
        n_qa, n_extra = np.diff(cand.qa_offsets), np.diff(cand.extra_offsets)
        starts = offsets_of(1 + n_qa + n_extra)[:-1]
        context = scores[starts]
        qa = scores[concat_ranges(starts + 1, n_qa)]
        extra = scores[concat_ranges(starts + 1 + n_qa, n_extra)]
        return Scores(qa=qa, extra=extra, context=context)


class SentenceLoss:
    """Summed masked-LM token loss of unmasked sentences, batched (QA-GNN's scoring pass)."""

    def __init__(self, model_spec: str, device: str = "auto", batch_size: int = 50) -> None:
        import torch
        from transformers import AutoModelForMaskedLM, AutoTokenizer

        from lmlab.models.resolve import resolve_model
        from lmlab.runtime.devices import autocast_dtype, select_device

        path = resolve_model(model_spec)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        model, info = AutoModelForMaskedLM.from_pretrained(path, output_loading_info=True)
        if info["missing_keys"]:
            raise ValueError(
                f"config graph.subgraph.scorer_model {model_spec!r} has no trained masked-LM "
                f"head (missing {sorted(info['missing_keys'])[:3]}...): LM-loss scores would be "
                "random; use a masked LM such as roberta-large"
            )
        self.device = select_device(device)
        self.model = model.to(self.device).eval()
        self.dtype = autocast_dtype(self.device)
        self.batch_size = batch_size
        self._torch = torch

    def __call__(self, sentences: Sequence[str]) -> np.ndarray:
        torch = self._torch
        ids = self.tokenizer(list(sentences), add_special_tokens=True)["input_ids"]
        order = np.argsort([len(s) for s in ids], kind="stable")
        losses = np.zeros(len(ids))
        pad = self.tokenizer.pad_token_id
        batches = range(0, len(order), self.batch_size)
        for start in progress(batches, desc="LM scores", total=len(batches)):
            index = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in index)
            batch = torch.full((len(index), width), pad, dtype=torch.long)
            mask = torch.zeros((len(index), width), dtype=torch.long)
            for row, i in enumerate(index):
                batch[row, : len(ids[i])] = torch.tensor(ids[i])
                mask[row, : len(ids[i])] = 1
            batch, mask = batch.to(self.device), mask.to(self.device)
            with (
                torch.inference_mode(),
                torch.autocast(self.device.type, self.dtype, enabled=self.dtype is not None),
            ):
                logits = self.model(input_ids=batch, attention_mask=mask).logits
            token_loss = torch.nn.functional.cross_entropy(
                logits.float().transpose(1, 2), batch, reduction="none"
            )
            losses[index] = (token_loss * mask).sum(dim=1).double().cpu().numpy()
        return losses


def make_ranker(params: SubgraphConfig, device: str = "auto") -> CooccurrenceRanker | LMRanker:
    """The ranker named by config `graph.subgraph` (ranker, scorer_model, scorer_batch_size)."""
    if params.ranker == "cheap":
        return CooccurrenceRanker()
    if params.ranker == "lm":
        log.info("LM relevance scores with %s", params.scorer_model)
        return LMRanker(SentenceLoss(params.scorer_model, device, params.scorer_batch_size))
    raise ValueError(
        f"config graph.subgraph.ranker must be one of {RANKERS}, got {params.ranker!r}"
    )
