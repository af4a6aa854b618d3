"""Run snakemake / dvc / lmlab as subprocesses the way a user does, from a project directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
NOTHING_TO_DO = "Nothing to be done"
GIT_USER = ("-c", "user.name=lmlab tests", "-c", "user.email=tests@lmlab.invalid")


def user_env(tmp: Path | None = None) -> dict[str, str]:
    """The environment of an activated .venv, offline, with a private GPU lock directory."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["HF_HUB_OFFLINE"] = "1"
    env["HF_DATASETS_OFFLINE"] = "1"
    if tmp is not None:
        env["LMLAB_GPU_LOCK_DIR"] = str(tmp / "gpu-locks")
    return env


def run(cwd: Path, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run `cmd` in `cwd`; on failure the assertion message carries the whole output."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=user_env(cwd), capture_output=True, text=True, check=False
    )
    if check:
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def snakemake(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(cwd, str(BIN / "snakemake"), *args, check=check)
