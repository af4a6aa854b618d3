"""Run `python -m lmlab ...` in a child process that SIGKILLs itself at the N-th call of a
training problem's `loss` (the middle of an epoch, for the resume tests of every training
stage); N = 0 runs it through."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Sequence

CHILD = textwrap.dedent(
    """
    import importlib, os, signal, sys

    module, name, kill_at, argv = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    if kill_at:
        problem = getattr(importlib.import_module(module), name)
        calls, original = [0], problem.loss

        def loss(self, model, batch):
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(self, model, batch)

        problem.loss = loss
    from lmlab.cli import main
    raise SystemExit(main(argv))
    """
)


def run_lmlab(problem: str, kill_at: int, argv: Sequence[str]) -> subprocess.CompletedProcess:
    """`lmlab <argv>` with `problem` ("module:Class") killed at its `kill_at`-th loss call."""
    module, name = problem.split(":")
    command = [sys.executable, "-c", CHILD, module, name, str(kill_at), *argv]
    return subprocess.run(command, capture_output=True, text=True, check=False)
