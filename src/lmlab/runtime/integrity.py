"""Integrity records: a truncated or corrupted file that lmlab wrote is detected when it is read
back and reported with its path, never silently used (issue 11, SPEC §10).

Every format gets a sha256 written at save time and checked on load, where the format allows:
- inside the file, a digest of its content (`content_sha256`: the arrays, tensors and plain
  values it holds, independent of how the container lays them out): the statement token cache
  (safetensors metadata), the `.subgraph.npz` and `.metapath.npz` files (a `sha256` member,
  `save_npz` / `load_npz`) and the training loop's `train_state.pt` (a `sha256` entry);
- beside the files, for a checkpoint directory whose weight files another library writes
  (`save_pretrained`, UniPELT's stored artefact): `integrity.json`, the size and sha256 of each
  file (`write_manifest` / `check_manifest`).
The containers' own checks are not enough: safetensors checks its header and sizes (a truncated
file fails) but not the tensor bytes; `torch.load` fails on a truncated zip but loads a flipped
byte inside a tensor; an `.npz` has zip CRC-32s, but numpy stops reading a member where its npy
header says the array ends, so a flipped shape or dtype digit loads a wrong array unchecked. And
their errors seldom name the file: `reading(path)` turns them into `CorruptFileError`.

What follows a detection. Snakemake never re-runs the rule that wrote a file damaged after the
fact (it compares modification times: bit rot changes none, and rewriting a file only makes its
consumers look out of date), so:
- reported: the consuming stage fails with "<path> is truncated or corrupted (...); delete it and
  re-run" (for a checkpoint file: "delete <its directory>"); Snakemake makes a deleted output
  again, and `snakemake --forcerun <rule>` re-makes one that exists;
- rebuilt, where that is natural: the training loop discards a damaged `train_state.pt` with a
  warning and trains from epoch 1; the token cache re-tokenizes a damaged entry on a cache hit.

Cost: hashlib's sha256 streams about 1 GB/s on one core (measured 1.0 GB/s on the 2-core test
machine under load), and each file is hashed once per load
(the largest, a roberta-large checkpoint or train state, in a few seconds against minutes of
training; a split's subgraphs or tokens in well under a second). The records hold no timestamp
or path: two runs still write identical bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from lmlab.runtime.atomic import atomic_path

MANIFEST = "integrity.json"
NO_RECORD = "no integrity record: written by another program or an older lmlab"
_BLOCK = 1 << 20


class CorruptFileError(ValueError):
    """A file does not match what was written: truncated, damaged, or without its record.
    `output` is what to delete for the step to write it again (the file, or its directory)."""

    def __init__(
        self, path: str | os.PathLike, reason: str, output: str | os.PathLike | None = None
    ):
        self.path, self.reason = Path(path), reason
        remove = "it" if output is None or Path(output) == self.path else str(output)
        super().__init__(
            f"{path} is truncated or corrupted ({reason}); delete {remove} and re-run the step "
            "that wrote it (`snakemake --forcerun <rule>` if Snakemake sees nothing to do)"
        )


@contextmanager
def reading(path: str | os.PathLike, output: str | os.PathLike | None = None) -> Iterator[None]:
    """Re-raise what a third-party reader raises in the block as `CorruptFileError` on `path`
    (part of `output`, if given); a missing or unreadable file keeps its own error (nothing is
    wrong with its bytes)."""
    try:
        yield
    except (CorruptFileError, FileNotFoundError, PermissionError, IsADirectoryError, MemoryError):
        raise
    except Exception as err:
        first_line = (str(err).strip().splitlines() or [""])[0]
        raise CorruptFileError(path, f"{type(err).__name__}: {first_line}", output) from err


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def content_sha256(value: Any) -> str:
    """sha256 of nested dicts, lists, tuples, numpy arrays, torch tensors (any device) and plain
    values: equal for equal content whether it was read as numpy or torch, whatever the dict
    order; an array's dtype and shape count with its bytes."""
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


def check_content(path: str | os.PathLike, recorded: str | None, value: Any) -> None:
    """Raise `CorruptFileError` unless `value`, as loaded from `path`, has the digest recorded
    in it at save time."""
    if not recorded:
        raise CorruptFileError(path, NO_RECORD)
    if content_sha256(value) != recorded:
        raise CorruptFileError(path, "its content does not match its sha256 record")


def write_manifest(directory: str | os.PathLike) -> None:
    """Record the size and sha256 of every file under `directory` in its `integrity.json`
    (call it on the temporary directory, once every other file is written)."""
    directory = Path(directory)
    files = {
        path.relative_to(directory).as_posix(): {
            "bytes": path.stat().st_size,
            "sha256": file_sha256(path),
        }
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path != directory / MANIFEST
    }
    text = json.dumps({"files": files}, indent=2, sort_keys=True) + "\n"
    (directory / MANIFEST).write_text(text, encoding="utf-8")


def check_manifest(directory: str | os.PathLike) -> None:
    """Raise `CorruptFileError` naming the first file of `directory` whose size or sha256
    differs from its `integrity.json` (sizes first: a truncation costs no hashing)."""
    directory = Path(directory)
    manifest = directory / MANIFEST
    if not manifest.is_file():
        raise CorruptFileError(directory, f"{NO_RECORD} (no {MANIFEST})")
    with reading(manifest, directory):
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    for name, record in files.items():
        path = directory / name
        if not path.is_file():
            raise CorruptFileError(path, "missing", directory)
        size = path.stat().st_size
        if size != record["bytes"]:
            raise CorruptFileError(path, f"{size} bytes, {record['bytes']} written", directory)
        if file_sha256(path) != record["sha256"]:
            raise CorruptFileError(path, "its sha256 differs from the one written", directory)


def save_npz(path: str | os.PathLike, arrays: dict[str, Any]) -> None:
    """Write `arrays` to an uncompressed `.npz` atomically, with their `content_sha256` as the
    member `sha256`."""
    arrays = {name: np.asarray(value) for name, value in arrays.items()}
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.savez(fh, **arrays, sha256=np.str_(content_sha256(arrays)))


def load_npz(path: str | os.PathLike, names: set[str], kind: str) -> dict[str, np.ndarray]:
    """The arrays of an `.npz` written by `save_npz` (no pickles), after checking that it holds
    `names` (else it is not a `kind` file) and its content digest."""
    with reading(path), np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    missing = names - set(arrays)
    if missing:
        raise ValueError(f"{path}: not a {kind} file (missing {sorted(missing)})")
    recorded = arrays.pop("sha256", None)
    check_content(path, None if recorded is None else str(recorded), arrays)
    return arrays


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, dict):
        digest.update(b"{%d" % len(value))
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
    elif isinstance(value, list | tuple):
        digest.update(b"[%d" % len(value))
        for item in value:
            _feed(digest, item)
    elif (array := _as_bytes(value)) is not None:
        dtype, shape, data = array
        digest.update(f"<{dtype}{shape}>".encode())
        digest.update(data)
    else:
        digest.update(f"{value!r};".encode())


def _as_bytes(value: Any) -> tuple[str, tuple[int, ...], np.ndarray] | None:
    """(dtype name, shape, the bytes as a flat uint8 array) of an array or tensor, else None."""
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        flat = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
        return array.dtype.name, array.shape, flat
    torch = sys.modules.get("torch")  # only a caller that holds tensors has imported torch
    if torch is not None and isinstance(value, torch.Tensor):
        flat = value.detach().to("cpu").contiguous().reshape(-1).view(torch.uint8).numpy()
        return str(value.dtype).removeprefix("torch."), tuple(value.shape), flat
    return None
