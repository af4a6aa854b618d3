"""Cached all-heads ablation sweep vs the naive sweep (one full forward pass per head).

Both compute I(l, h) for every head of the same model on the same examples (fp32, eval mode);
the table prints both wall times, their ratio and the largest |ΔI|. Goal (issue 3): ratio <= 0.55
with |ΔI| < 1e-5. On a shared machine the load drifts during a run, so the two sweeps alternate
batch by batch (examples sorted by length, as the pipeline batches them; the first sweep of each
batch alternates too): both see the same load, and the per-batch results are merged exactly.

    .venv/bin/python benchmarks/head_ablation.py --n 128
    .venv/bin/python benchmarks/head_ablation.py --model microsoft/deberta-v3-base \
        --source glue_data

The model is θ0 as the pipeline builds it (pretrained encoder + classification head seeded with
--seed); the examples are the first --n pairs of the MNLI dev_matched split, read from --source
(default: the synthetic corpus of config.yaml, written to a temporary directory).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `lmlab heads` does (lmlab/cli.py)
os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np
import torch
import yaml

from lmlab.data.glue import glue_task
from lmlab.heads.importance import cached_importance, naive_importance
from lmlab.models.architecture import head_shape
from lmlab.models.classifier import initial_classifier
from lmlab.tasks.examples import Examples, load_examples

ROOT = Path(__file__).resolve().parents[1]


def synthetic_source(folder: Path) -> Path:
    """The synthetic corpus of config.yaml, written into `folder`; returns its glue directory."""
    from lmlab.config import SyntheticData, build
    from lmlab.data.synth import write_corpus

    params = yaml.safe_load((ROOT / "config.yaml").read_text())["data"]["synthetic"]
    write_corpus(folder, build(SyntheticData, params))
    return folder / "glue"


def interleaved_sweeps(model, examples: Examples, batch_size: int, heads_per_pass: int) -> dict:
    """{sweep: (seconds, I per head)} for the naive and the cached sweep, alternating per batch."""
    sweeps = {
        "naive": lambda part: naive_importance(model, part, batch_size),
        "cached": lambda part: cached_importance(model, part, batch_size, heads_per_pass),
    }
    seconds = dict.fromkeys(sweeps, 0.0)
    weighted: dict[str, np.ndarray] = {}
    order = np.argsort(-examples.lengths(), kind="stable")
    for number, start in enumerate(range(0, len(order), batch_size)):
        part = examples.select(order[start : start + batch_size].tolist())
        names = list(sweeps) if number % 2 == 0 else list(reversed(sweeps))
        for name in names:
            tic = time.perf_counter()
            ablations = sweeps[name](part)
            seconds[name] += time.perf_counter() - tic
            scores = np.array([row["I"] for row in ablations.rows()]) * len(part)
            weighted[name] = weighted.get(name, 0.0) + scores
    return {name: (seconds[name], weighted[name] / len(examples)) for name in sweeps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--n", type=int, default=128, help="number of dev_matched pairs")
    parser.add_argument("--source", help="glue_data directory (default: synthetic corpus)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--heads-per-pass", type=int, default=4)
    parser.add_argument("--max-seq-len", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.set_float32_matmul_precision("highest")

    model, tokenizer = initial_classifier(args.model, glue_task("MNLI").label_names, args.seed)
    model.eval()
    with tempfile.TemporaryDirectory() as scratch:
        source = args.source or synthetic_source(Path(scratch))
        examples = load_examples(
            "MNLI", "dev_matched", source, tokenizer, args.max_seq_len, range(args.n)
        )
    result = interleaved_sweeps(model, examples, args.batch_size, args.heads_per_pass)
    (t_naive, naive), (t_cached, cached) = result["naive"], result["cached"]
    delta = float(np.abs(cached - naive).max())
    layers, heads, _ = head_shape(model)
    tokens = int(examples.lengths().sum())
    print(f"model {args.model}: {layers} layers x {heads} heads; {args.n} MNLI pairs, "
          f"{tokens} tokens; batch {args.batch_size}, {args.heads_per_pass} heads per pass; "
          f"torch threads {torch.get_num_threads()}")  # fmt: skip
    print(f"{'sweep':<30}{'seconds':>10}")
    print(f"{'naive (one pass per head)':<30}{t_naive:>10.2f}")
    print(f"{'cached (layer inputs)':<30}{t_cached:>10.2f}")
    print(f"{'ratio cached / naive':<30}{t_cached / t_naive:>10.3f}")
    print(f"{'max |ΔI|':<30}{delta:>10.2e}")
    print(f"{'max |I|':<30}{float(np.abs(naive).max()):>10.2e}")


if __name__ == "__main__":
    main()
