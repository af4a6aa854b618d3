"""Train-step time and inference latency of every UniPELT-study method, relative to full
fine-tuning and to the frozen base model, at one batch and length (the paper's Table 4: UniPELT
trains in 67% of fine-tuning's time and infers in 127%; goal here: gated UniPELT inference at
most 1.3x the base model).

Each method runs in its own process on the packaged MiniLM classifier: a train step is forward,
backward and an AdamW step on a fixed random batch; inference is a forward pass in eval mode
(`lmlab.pelt.efficiency.inference_cost`); medians of `--repeats` timed passes after a warm-up.
Peak memory is the same function's, as in the pipeline's `efficiency.json`: what one inference
pass allocates above the model's weights (profiler memory events on a CPU, allocator statistics
on CUDA). `base` is the classifier without any method (inference only).

    .venv/bin/python benchmarks/unipelt_overhead.py
    .venv/bin/python benchmarks/unipelt_overhead.py --batch-size 16 --seq-len 128
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

METHODS = ("base", "full", "lora", "adapter", "prefix", "unipelt", "unipelt_nogate")


def child(args: argparse.Namespace) -> None:
    """Measure one method in this process; print a JSON line."""
    import torch

    from lmlab.models.classifier import initial_classifier
    from lmlab.pelt.config import PeltConfig
    from lmlab.pelt.efficiency import inference_cost, random_batch
    from lmlab.pelt.methods import apply_method

    torch.manual_seed(0)
    model, _ = initial_classifier("embedded", ("negative", "positive"), seed=0)
    if args.method != "base":
        apply_method(model, PeltConfig(args.method, 8, 16.0, 10, 512, 16))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device)
    cost = inference_cost(model, args.batch_size, args.seq_len, args.repeats)
    step_ms = None
    if args.method != "base":
        batch = {k: v.to(device) for k, v in random_batch(model, args.batch_size,
                                                          args.seq_len).items()}  # fmt: skip
        labels = torch.zeros(args.batch_size, dtype=torch.long, device=device)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=1e-4)
        model.train()

        def step() -> None:
            loss = torch.nn.functional.cross_entropy(model(**batch).logits, labels)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.synchronize()

        step()
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        step_ms = 1000 * statistics.median(times)
    print(json.dumps({"step_ms": step_ms, "latency_ms": cost["latency_ms_per_example"],
                      "peak_mb": cost["peak_memory_mb"]}))  # fmt: skip


def measure(args: argparse.Namespace, method: str) -> dict:
    argv = [sys.executable, __file__, "--child", method, "--batch-size", str(args.batch_size)]
    argv += ["--seq-len", str(args.seq_len), "--repeats", str(args.repeats)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def ratio(value: float | None, reference: float | None) -> str:
    return "" if value is None or not reference else f"{value / reference:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.method = args.child
        child(args)
        return
    rows = {method: measure(args, method) for method in METHODS}
    base, full = rows["base"], rows["full"]
    print(f"UniPELT-study methods on MiniLM, batch {args.batch_size} x {args.seq_len} tokens, "
          f"median of {args.repeats}")  # fmt: skip
    header = (
        "method",
        "step ms",
        "step/full",
        "infer ms/ex",
        "infer/full",
        "infer/base",
        "peak MB",
    )
    print("{:<16}{:>10}{:>11}{:>13}{:>12}{:>12}{:>9}".format(*header))
    for method, row in rows.items():
        step = "" if row["step_ms"] is None else f"{row['step_ms']:.1f}"
        print(f"{method:<16}{step:>10}{ratio(row['step_ms'], full['step_ms']):>11}"
              f"{row['latency_ms']:>13.3f}{ratio(row['latency_ms'], full['latency_ms']):>12}"
              f"{ratio(row['latency_ms'], base['latency_ms']):>12}"
              f"{row['peak_mb']:>9.1f}")  # fmt: skip
    gated = rows["unipelt"]["latency_ms"] / base["latency_ms"]
    print(f"gated UniPELT inference / base model: {gated:.2f}x (goal <= 1.3x)")


if __name__ == "__main__":
    main()
