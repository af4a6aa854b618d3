"""Statement tokenization cache: a cold run (tokenize and store) vs a warm run (cache hit).

Both produce the same tokens file for the same statement file, tokenizer and max_seq_len; the
table prints the cold throughput (statements = question-choice pairs per second), both wall
times, their ratio, in-process and as the `python -m lmlab text tokenize` command a rule runs,
and the throughput of the batched tokenizer call alone (without importing and loading it).

    .venv/bin/python benchmarks/tokenize_cache.py
    .venv/bin/python benchmarks/tokenize_cache.py --questions path/to/csqa/dev_rand_split.jsonl

The questions default to the synthetic CommonsenseQA train file of config.yaml (700 questions),
written to a temporary directory and turned into a statement file by the graph stage.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import yaml
from transformers import AutoTokenizer

from lmlab.data.csqa import read_qa_jsonl
from lmlab.graph.statements import write_statements
from lmlab.text.tokenize_cache import encode, tokenize_statements, tokenizer_dir

ROOT = Path(__file__).resolve().parents[1]


def synthetic_questions(folder: Path) -> Path:
    """The synthetic CSQA train file of config.yaml, written into `folder`."""
    from lmlab.config import SyntheticData, build
    from lmlab.data.synth import write_corpus

    params = yaml.safe_load((ROOT / "config.yaml").read_text())["data"]["synthetic"]
    write_corpus(folder, build(SyntheticData, params))
    return folder / "csqa" / "train_rand_split.jsonl"


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--max-seq-len", type=int, default=64)
    parser.add_argument("--questions", help="CSQA jsonl (default: synthetic train)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        questions = Path(args.questions) if args.questions else synthetic_questions(folder)
        statements = folder / "statements.jsonl"
        n_questions = write_statements(questions, statements, "csqa")
        n_pairs = n_questions * 5

        def run(cache: Path):
            return tokenize_statements(statements, args.model, args.max_seq_len, cache)

        cold, t_cold = timed(run, folder / "cache")
        warm, t_warm = timed(run, folder / "cache")
        assert not cold.hit and warm.hit and cold.entry == warm.entry
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir(args.model)))
        _, t_encode = timed(
            encode, read_qa_jsonl(statements).questions, tokenizer, args.max_seq_len
        )

        command = [sys.executable, "-m", "lmlab", "text", "tokenize", str(statements),
                   "--model", args.model, "--max-seq-len", str(args.max_seq_len)]  # fmt: skip
        cli = {}
        for label, cache in (("cold", folder / "cli-cache"), ("warm", folder / "cli-cache")):
            proc, cli[label] = timed(
                subprocess.run, [*command, "--cache-dir", str(cache)], capture_output=True,
                text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            )  # fmt: skip
            assert proc.stdout.startswith("new " if label == "cold" else "hit ")

    print(f"{n_questions} questions, {n_pairs} statements, model {args.model}, "
          f"max_seq_len {args.max_seq_len}, {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'run':<22}{'cold (s)':>10}{'warm (s)':>10}{'cold/warm':>11}{'statements/s cold':>19}")
    for label, c, w in (("in-process", t_cold, t_warm), ("CLI (python -m lmlab)", *cli.values())):
        print(f"{label:<22}{c:>10.3f}{w:>10.3f}{c / w:>11.1f}{n_pairs / c:>19.0f}")
    print(f"{'encode() alone':<22}{t_encode:>10.3f}{'':>10}{'':>11}{n_pairs / t_encode:>19.0f}")
    print("command: .venv/bin/python benchmarks/tokenize_cache.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
