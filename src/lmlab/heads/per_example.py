"""Per-example values of a head measurement, kept beside its JSON-lines file
(`lmlab.paths.per_example_file`) so that the aggregation can resample the eval subset's examples
(bootstrap intervals) and give every I its standard error.

safetensors rather than `.npz`: no pickle, and the bytes are the same on every run (a zip
archive stamps the time of writing). Arrays are float64 (the measurements sum in double). The
file's metadata holds the sha256 of its arrays (`lmlab.runtime.integrity`): a truncated or changed
file is reported with its path, never averaged into a statistic.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lmlab.paths import per_example_file
from lmlab.runtime.atomic import atomic_path
from lmlab.runtime.integrity import check_content, content_sha256, reading


def examples_path(measurement: str | os.PathLike) -> Path:
    """Where the per-example values of the measurement file `measurement` live."""
    path = Path(measurement)
    return path.with_name(per_example_file(path.name))


def write_examples(measurement: str | os.PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """Write `arrays` (name -> float64 array) beside `measurement`, atomically."""
    from safetensors.numpy import save_file

    target = examples_path(measurement)
    tensors = {
        name: np.ascontiguousarray(value, dtype=np.float64) for name, value in arrays.items()
    }
    with atomic_path(target) as tmp:
        save_file(tensors, str(tmp), metadata={"sha256": content_sha256(tensors)})
    return target


def read_examples(measurement: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays written by `write_examples` for `measurement`, checked against their record."""
    from safetensors import safe_open

    path = examples_path(measurement)
    with reading(path), safe_open(str(path), framework="np") as fh:
        arrays = {name: fh.get_tensor(name) for name in fh.keys()}  # noqa: SIM118
        recorded = (fh.metadata() or {}).get("sha256")
    check_content(path, recorded, arrays)
    return arrays


def write_measurement(
    measurement: str | os.PathLike, rows: list[dict], arrays: dict[str, np.ndarray]
) -> None:
    """A measurement stage's outputs: the per-example `arrays` beside `measurement`, then its
    per-head `rows` (JSON lines), each atomically."""
    from lmlab.runtime.atomic import write_jsonl

    write_examples(measurement, arrays)
    write_jsonl(measurement, rows)
