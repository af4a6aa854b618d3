"""Hand-made per-head measurement files in the formats of the measurement stages (importance,
gradient/Fisher, update jsonl, pruning jsonl), for the analysis tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from lmlab.config import CaseThresholds
from lmlab.heads.aggregate import aggregate_seed

ANALYSIS = {"top_k": 20, "cases": CaseThresholds(top=0.1, bottom=0.3), "layer_normalise": False}
META = {"task": "MNLI", "seed": 0, "model": "tiny-test"}


def random_table(layers: int = 6, heads: int = 12, seed: int = 0) -> pd.DataFrame:
    """Plausible positive measurements for every head (Urel spanning decades, I around 0)."""
    rng = np.random.default_rng(seed)
    n = layers * heads
    table = pd.DataFrame(
        {
            "layer": np.repeat(np.arange(layers), heads),
            "head": np.tile(np.arange(heads), layers),
            "I_pre": rng.normal(0.01, 0.02, n),
            "I_post": rng.normal(0.02, 0.03, n),
            "G": 10 ** rng.uniform(-4, -1, n),
            "F": 10 ** rng.uniform(-7, -2, n),
            "Ppred": rng.uniform(0, 1, n),
            "Urel": 10 ** rng.uniform(-3, -1, n),
        }
    )
    for part in ("Uq", "Uk", "Uv", "Uo"):
        table[part] = rng.uniform(0.01, 0.1, n)
    table["U"] = np.sqrt((table[["Uq", "Uk", "Uv", "Uo"]] ** 2).sum(axis=1))
    return table


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def write_measurements(folder: Path, table: pd.DataFrame, extra_update: dict | None = None) -> dict:
    """The four measurement files of one seed from `table`; returns their paths by role."""
    folder.mkdir(parents=True, exist_ok=True)
    heads = table[["layer", "head"]].astype(int).to_dict("records")
    paths = {}
    for role, column, base in (
        ("importance_pre", "I_pre", 0.9),
        ("importance_post", "I_post", 0.4),
    ):
        rows = [
            {**h, "I": float(i), "loss_base": base, "loss_ablate": base + float(i)}
            for h, i in zip(heads, table[column], strict=True)
        ]
        paths[role] = _write_jsonl(folder / f"{role}.jsonl", rows)
    grad = table[["G", "F", "Ppred"]].to_dict("records")
    paths["gradfisher_pre"] = _write_jsonl(
        folder / "gradfisher_pre.jsonl", [{**h, **g} for h, g in zip(heads, grad, strict=True)]
    )
    update = table[["U", "Urel", "Uq", "Uk", "Uv", "Uo"]].to_dict("records")
    rows = [{**h, **u, **(extra_update or {})} for h, u in zip(heads, update, strict=True)]
    paths["update"] = _write_jsonl(folder / "update.jsonl", rows)
    return paths


def write_pruning(path: Path, heads_total: int, accuracies: dict[str, list[float]]) -> Path:
    """A pruning.jsonl with one row per (order, fraction); fractions 0, 0.5, 1."""
    rows = []
    for order, values in accuracies.items():
        for fraction, accuracy in zip((0.0, 0.5, 1.0), values, strict=True):
            rows.append(
                {
                    "order": order,
                    "repeat": 0,
                    "fraction": fraction,
                    "heads_off": round(fraction * heads_total),
                    "heads_total": heads_total,
                    "examples": 30,
                    "metric": "accuracy",
                    "majority_accuracy": 0.34,
                    "loss": 1.0,
                    "accuracy": accuracy,
                }
            )
    return _write_jsonl(path, rows)


def write_seed(root: Path, seed: int, table: pd.DataFrame) -> dict[str, Path]:
    """Measurements, aggregate outputs and a pruning curve of one seed under root/seed{seed}."""
    folder = root / f"seed{seed}"
    paths = write_measurements(folder, table)
    out = {name: folder / name for name in ("heads.csv", "stats.json", "cases.json")}
    aggregate_seed(
        paths,
        out["heads.csv"],
        out["stats.json"],
        out["cases.json"],
        *ANALYSIS.values(),
        {**META, "seed": seed},
    )
    accuracy = 0.8 - 0.01 * seed
    out["pruning.jsonl"] = write_pruning(
        folder / "pruning.jsonl",
        len(table),
        {"I_post": [accuracy, 0.7, 0.33], "random": [accuracy, 0.5, 0.33]},
    )
    return out
