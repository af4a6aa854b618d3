"""Run `python -m lmlab ...` in a child process that SIGKILLs itself as soon as the N-th call of
one function returns, for the resume tests of every training stage: after a training problem's
`loss` (the middle of an epoch, before that step's update) or after a writer has put an output's
content under its temporary name (while the stage writes its outputs, before the rename that
completes them). N = 0 runs it through."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

CHILD = textwrap.dedent(
    """
    import functools, importlib, os, signal, sys

    module, name, kill_at, argv = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    if kill_at:
        *path, attribute = name.split(".")
        owner = importlib.import_module(module)
        for part in path:
            owner = getattr(owner, part)
        calls, original = [0], getattr(owner, attribute)

        @functools.wraps(original)
        def killing(*args, **kwargs):
            result = original(*args, **kwargs)
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        setattr(owner, attribute, killing)
    from lmlab.cli import main
    raise SystemExit(main(argv))
    """
)


def run_lmlab(target: str, kill_at: int, argv: Sequence[str]) -> subprocess.CompletedProcess:
    """`lmlab <argv>`, killed when the `kill_at`-th call of `target` ("module:function" or
    "module:Class.method", looked up where the stage calls it: a name the stage imported is
    replaced in the stage's module) returns."""
    module, name = target.split(":")
    command = [sys.executable, "-c", CHILD, module, name, str(kill_at), *argv]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def half_written(folder: Path, name: str) -> bool:
    """Whether the output `name` was being written into `folder` when the process died: the
    temporary sibling of `lmlab.runtime.atomic.atomic_path` (`.{name}.*.tmp`) is there, `name`
    itself is not."""
    return any(folder.glob(f".{name}.*.tmp")) and not (folder / name).exists()


def assert_write_kill_then_resume(
    run: Callable[[bool], subprocess.CompletedProcess],
    folder: Path,
    outputs: Sequence[str],
    state: str,
    partial: str,
    epochs: int = 3,
) -> None:
    """`run(True)` is a training stage killed while it writes its outputs after `epochs` epochs,
    `run(False)` the same stage run again: nothing may be taken as complete (no output under its
    name, `partial` half written, the loop's `state` kept), and the rerun resumes from the last
    epoch and finishes."""
    first = run(True)
    assert first.returncode == -signal.SIGKILL
    assert f"epoch {epochs}: train loss" in first.stderr  # the kill came after training
    assert not any((folder / name).exists() for name in outputs)
    assert (folder / state).is_file()
    assert half_written(folder, partial)
    second = run(False)
    assert second.returncode == 0, second.stderr
    assert f"resumed from the checkpoint of epoch {epochs}" in second.stderr
    assert all((folder / name).exists() for name in outputs)
    assert not (folder / state).exists()


def assert_mid_epoch_kill_then_resume(
    run: Callable[[Path, int], subprocess.CompletedProcess],
    root: Path,
    kill_at: int,
    state: str,
    outputs: Sequence[str],
) -> subprocess.CompletedProcess:
    """`run(folder, kill_at)` (0: no kill) trains into `folder`: an uninterrupted run into
    root/whole, then one killed at the `kill_at`-th loss call into root/killed (its loop `state`
    kept, none of `outputs` written) and run again to completion. Returns the rerun; the caller
    compares root/killed with root/whole."""
    whole = run(root / "whole", 0)
    assert whole.returncode == 0, whole.stderr
    killed = root / "killed"
    first = run(killed, kill_at)
    assert first.returncode == -signal.SIGKILL
    assert (killed / state).is_file()
    assert not any((killed / name).exists() for name in outputs)
    second = run(killed, 0)
    assert second.returncode == 0, second.stderr
    assert not (killed / state).exists()
    return second
