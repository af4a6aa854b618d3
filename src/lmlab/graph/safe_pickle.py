"""Read and write QA-GNN's `*.graph.adj.pk` files without letting a pickle run code.

`pickle.load` calls any importable function the file names (`os.system` included), so a pickle
downloaded from elsewhere is a program. `load_adj_pickle` only resolves the globals that
QA-GNN's adj files need — numpy arrays, dtypes and scalars, scipy COO/CSR matrices and
`collections.OrderedDict` — and refuses anything else with `BadPickle`, naming the file and the
global. Files written
by old numpy/scipy name modules that moved (`numpy.core.multiarray`, `scipy.sparse.coo`); they
are mapped to their current homes.
"""

from __future__ import annotations

import collections
import importlib
import os
import pickle
from typing import Any

from lmlab.runtime.atomic import atomic_path

# (module, name) pairs a QA-GNN adj pickle may reference, by their current module.
_ALLOWED = {
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("scipy.sparse", "coo_matrix"),
    ("scipy.sparse", "csr_matrix"),
    ("scipy.sparse", "coo_array"),
    ("scipy.sparse", "csr_array"),
    ("collections", "OrderedDict"),
}
_MOVED = {
    "numpy.core.multiarray": "numpy._core.multiarray",
    "numpy.core.numeric": "numpy._core.numeric",
    "scipy.sparse.coo": "scipy.sparse",
    "scipy.sparse._coo": "scipy.sparse",
    "scipy.sparse.csr": "scipy.sparse",
    "scipy.sparse._csr": "scipy.sparse",
    "scipy.sparse._arrays": "scipy.sparse",
}


class BadPickle(pickle.UnpicklingError, ValueError):
    """A pickle that may not or cannot be loaded (a refused global, a truncated or corrupt
    file). Also a `ValueError`, so the CLI reports it as bad input, without a traceback."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the allow-listed numpy/scipy/collections globals."""

    def find_class(self, module: str, name: str) -> Any:
        current = _MOVED.get(module, module)
        if (current, name) not in _ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: only numpy, scipy.sparse and "
                "collections.OrderedDict are allowed in an adj pickle"
            )
        if current == "collections":
            return getattr(collections, name)
        return getattr(importlib.import_module(current), name)


def load_adj_pickle(path: str | os.PathLike) -> list:
    """Load a QA-GNN adj pickle (a list of per-statement records) with the restricted unpickler.

    A global outside the allow-list, or a truncated or corrupt file, is a `BadPickle` naming
    `path` (and the global).
    """
    with open(path, "rb") as fh:
        try:
            records = RestrictedUnpickler(fh).load()
        except pickle.UnpicklingError as err:
            raise BadPickle(f"{path}: {err}") from None
        except EOFError as err:
            raise BadPickle(f"{path}: truncated ({err})") from None
    if not isinstance(records, list):
        raise ValueError(f"{path}: expected a list of records, got {type(records).__name__}")
    return records


def dump_adj_pickle(path: str | os.PathLike, records: list) -> None:
    """Write records atomically with pickle protocol 4 (readable by QA-GNN's Python 3.6+)."""
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        pickle.dump(records, fh, protocol=4)
