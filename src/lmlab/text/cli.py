"""`lmlab text ...`: tokenize statement files into the content-addressed token cache."""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `text` sub-commands to `parser`."""
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    tokenize = stages.add_parser(
        "tokenize", help="tokenize a statement jsonl once (cached by tokenizer, length, content)"
    )
    tokenize.add_argument("statements", help="statement jsonl (QA-GNN format)")
    tokenize.add_argument("--model", default="embedded", help="config `model` whose tokenizer")
    tokenize.add_argument("--max-seq-len", type=int, required=True, help="tokens per choice")
    tokenize.add_argument(
        "--cache-dir", required=True, help="content-addressed store (<key>.safetensors)"
    )
    tokenize.add_argument("--output", help="also link the cached tensors to this file")
    tokenize.set_defaults(func=_tokenize)


def _tokenize(args: argparse.Namespace) -> int:
    from lmlab.text.tokenize_cache import tokenize_statements

    result = tokenize_statements(
        args.statements, args.model, args.max_seq_len, args.cache_dir, args.output
    )
    print(f"{'hit' if result.hit else 'new'} {result.entry}")
    return 0
