"""The QAT config sections as typed, frozen dataclasses (SPEC §2, §6).

Built with `lmlab.config.build` from the validated config; the schema holds the defaults and
bounds (paper values: k 2, d_model 1024, n_heads 16, ffn_dim 2048, dropout 0.1, lambda_rpe 10).
Only what the schema cannot say (a relation between two keys; the variant, which comes from a
rule's wildcard) is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass

VARIANTS = ("qat", "lm_only")


@dataclass(frozen=True)
class QATConfig:
    """The model: `qat` (LM + relation-aware graph transformer) or `lm_only` (the LM baseline).

    `k` relation-aware layers of width `d_model` with `n_heads` heads and an FFN of `ffn_dim`;
    `dropout` inside the decoder; the loss subtracts `lambda_rpe` times the mean tanh of the
    cross-modal biases (the regulariser of QAT's training script).
    """

    variant: str
    k: int
    d_model: int
    n_heads: int
    ffn_dim: int
    dropout: float
    lambda_rpe: float

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"config qat variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"config qat d_model ({self.d_model}) must be a multiple of n_heads "
                f"({self.n_heads})"
            )


@dataclass(frozen=True)
class QATTrain:
    """`qat.train`: the optimisation of one run (paper, `run_csqa.sh`: RAdam, encoder lr 2e-5,
    decoder lr 1e-4, batch 128 from micro-batches of 4, 30 epochs, encoder frozen for the first
    4, early stop after 10 epochs without dev gain, clipping 1.0). `batch_size` and
    `eval_batch_size` count questions."""

    epochs: int
    batch_size: int
    micro_batch_size: int
    encoder_lr: float
    decoder_lr: float
    weight_decay: float
    warmup_ratio: float
    max_grad_norm: float
    unfreeze_epoch: int
    patience: int
    eval_batch_size: int


@dataclass(frozen=True)
class MatcherConfig:
    """Which LM tokens match which graph nodes (lmlab.qat.matcher).

    `kind`: `lemma` (exact lemma match, the offline default), `lm_embedding` (cosine of the LM's
    input embeddings >= `threshold`) or `word_vectors` (cosine of the vectors of the GloVe-format
    text file `word_vectors` >= `threshold`; the paper's matcher with GloVe-840B).
    """

    kind: str
    threshold: float
    word_vectors: str | None
