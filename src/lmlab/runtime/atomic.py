"""Atomic outputs: a file or directory appears under its final name only once it is complete.

Snakemake treats a file that exists as done; a job killed half-way must therefore never leave a
partial file under the final name. Everything is written to a temporary sibling (same filesystem,
so the final `os.replace` is atomic) and renamed at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(path: str | os.PathLike, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it to `path` if the block succeeds.

    With `directory=True` the temporary path is an (empty, existing) directory, for checkpoints.
    On an exception the temporary file or directory is removed and `path` is left untouched.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        os.close(fd)
        tmp = Path(name)
    plain_mode(tmp)
    try:
        yield tmp
        if directory and final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def plain_mode(path: str | os.PathLike) -> None:
    """Give `path` the mode a plain open()/mkdir() would (0666/0777 less the umask).

    mkstemp, mkdtemp and some writers (safetensors) create owner-only files; results live in
    shared directories and DVC remotes, so they must stay readable by the group.
    """
    umask = os.umask(0)
    os.umask(umask)
    path = Path(path)
    path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj: Any, indent: int | None = 2) -> None:
    """Write `obj` as JSON to `path` atomically, with a trailing newline."""
    write_text(path, json.dumps(obj, indent=indent, sort_keys=False) + "\n")


def write_jsonl(path: str | os.PathLike, rows: Any) -> None:
    """Write an iterable of JSON-serialisable rows, one per line, atomically."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
