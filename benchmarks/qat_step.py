"""One QAT training step against one LM-only step on the same micro-batch: examples/s and peak
memory side by side, and their ratios (goal: a `qat` step costs at most 1.3x an `lm_only` step on
the default model; the graph side must stay small next to the encoder).

Each measurement runs in its own process (peak memory is per process: max RSS on CPU,
`torch.cuda.max_memory_allocated` on a GPU); the variants alternate over `--repeats` rounds and
the median is printed. A step is forward, backward and an optimizer step with the encoder
unfrozen, on the first `--questions` training questions of the pipeline's files (run `make run`
first, or point `--results` at another results directory).

    .venv/bin/python benchmarks/qat_step.py
    .venv/bin/python benchmarks/qat_step.py --questions 4 --d-model 256
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def child(args: argparse.Namespace) -> None:
    """Measure one variant in this process; print a JSON line."""
    import torch
    import yaml

    from lmlab import paths
    from lmlab.config import build
    from lmlab.qat.config import QATConfig
    from lmlab.qat.model import build_model
    from lmlab.qat.split import split_examples
    from lmlab.qat.train import QATProblem

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    section = {**config["qat"]["model"], "d_model": args.d_model, "variant": args.variant}
    root = Path(args.results)

    def under(path: str) -> str:
        return str(root / Path(path).relative_to(paths.RESULTS))

    examples = split_examples(
        args.variant,
        under(paths.tokens_file("csqa", "train")),
        under(paths.subgraph_file("csqa", "train")),
        under(paths.metapath_file("csqa", "train")),
        under(paths.qat_matches_file("csqa", "train")),
        config["graph"]["loader"]["max_node_num"],
    )
    torch.manual_seed(0)
    model = build_model(build(QATConfig, section), "embedded").train()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device)
    problem = QATProblem(examples, examples, examples, 0, args.questions, args.questions, 10.0)
    optimizer = torch.optim.RAdam(model.parameters(), lr=1e-5)
    indices = list(range(args.questions))
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def step() -> None:
        loss = problem.loss(model, problem.collate(indices, device))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step()  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024
    seconds = time.perf_counter() - start
    print(json.dumps({"examples_per_s": args.steps * args.questions / seconds, "peak_mb": peak_mb}))


def measure(args: argparse.Namespace, variant: str) -> dict:
    argv = [sys.executable, __file__, "--child", "--variant", variant]
    argv += ["--questions", str(args.questions), "--steps", str(args.steps)]
    argv += ["--d-model", str(args.d_model), "--results", args.results]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=16, help="questions per micro-batch")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--d-model", type=int, default=128, help="graph side width")
    parser.add_argument("--results", default=str(ROOT / "results"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=["qat", "lm_only"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    runs: dict[str, list[dict]] = {"qat": [], "lm_only": []}
    for _ in range(args.repeats):
        for variant in runs:
            runs[variant].append(measure(args, variant))
    median = {
        v: {k: statistics.median(r[k] for r in rs) for k in ("examples_per_s", "peak_mb")}
        for v, rs in runs.items()
    }
    qat, lm = median["qat"], median["lm_only"]
    print(f"QAT step vs LM-only step: {args.questions} questions x 5 choices per micro-batch, "
          f"d_model {args.d_model}, median of {args.repeats}")  # fmt: skip
    print(f"{'variant':<10}{'examples/s':>12}{'peak MB':>10}")
    for variant, row in median.items():
        print(f"{variant:<10}{row['examples_per_s']:>12.1f}{row['peak_mb']:>10.0f}")
    print(f"step time qat / lm_only: {lm['examples_per_s'] / qat['examples_per_s']:.2f}x "
          f"(goal <= 1.3x); peak memory qat / lm_only: "
          f"{qat['peak_mb'] / max(lm['peak_mb'], 1e-9):.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
