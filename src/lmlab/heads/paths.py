"""File names of the head study's outputs (SPEC §8), shared by the stages, the CLI and the
analysis modules. Per-seed files live in `results/heads/{task}/seed{seed}/`; the eval subset is
one per task (`results/heads/{task}/eval_subset.json`), since every seed scores the same examples.
"""

from __future__ import annotations

CKPT_INIT = "ckpt_init"  # θ0: pretrained encoder + seeded classification head, before any update
CKPT_FINAL = "ckpt_final"  # θ1: best fine-tuned checkpoint by dev metric
RUN_CONFIG = "run_config.json"  # hyper-parameters, seeds, precision, versions, metrics per epoch
EVAL_SUBSET = "eval_subset.json"  # sorted indices of the eval split (per task)
IMPORTANCE = {"pre": "importance_pre.jsonl", "post": "importance_post.jsonl"}  # I at θ0 / θ1
GRADFISHER = "gradfisher_pre.jsonl"  # G, F, Ppred at θ0
UPDATE = "update.jsonl"  # U, Urel, Uq, Uk, Uv, Uo (+ orthogonal parts) from θ1 - θ0
