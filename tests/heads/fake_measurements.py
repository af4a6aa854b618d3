"""Hand-made per-head measurement files in the formats of the measurement stages (importance,
gradient/Fisher, update jsonl, pruning jsonl), for the analysis tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from lmlab.config import Bootstrap, CaseThresholds
from lmlab.heads.aggregate import aggregate_seed
from lmlab.heads.per_example import write_examples

ANALYSIS = {
    "top_k": 20,
    "cases": CaseThresholds(top=0.1, bottom=0.3),
    "layer_normalise": False,
    "readout": "probe",
    "bootstrap": Bootstrap(resamples=200, level=0.95, seed=0),
}
META = {"task": "MNLI", "seed": 0, "model": "tiny-test"}
READOUTS = ("random", "probe")
EXAMPLES = 24


def random_table(layers: int = 6, heads: int = 12, seed: int = 0) -> pd.DataFrame:
    """Plausible measurements for every head (Urel spanning decades, I around 0)."""
    rng = np.random.default_rng(seed)
    n = layers * heads
    table = pd.DataFrame(
        {
            "layer": np.repeat(np.arange(layers), heads),
            "head": np.tile(np.arange(heads), layers),
            "I_post": rng.normal(0.02, 0.03, n),
            "I_pre_random": rng.normal(0.0, 0.001, n),
            "I_pre_probe": rng.normal(0.01, 0.02, n),
            "G_random": 10 ** rng.uniform(-4, -1, n),
            "G_probe": 10 ** rng.uniform(-4, -1, n),
            "Urel": 10 ** rng.uniform(-3, -1, n),
        }
    )
    for column in ("I_post", "I_pre_random", "I_pre_probe"):
        table[f"{column}_se"] = np.abs(rng.normal(0.0, 0.01, n))
    for readout in READOUTS:
        table[f"F_{readout}"] = table[f"G_{readout}"] ** 2 * rng.uniform(1, 3, n)
        table[f"Ppred_{readout}"] = table[f"G_{readout}"] ** 2 / table[f"F_{readout}"]
    for part in ("Uq", "Uk", "Uv", "Uo"):
        table[part] = rng.uniform(0.01, 0.1, n)
    table["U"] = np.sqrt((table[["Uq", "Uk", "Uv", "Uo"]] ** 2).sum(axis=1))
    return table


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def per_example_deltas(means: np.ndarray, spread: float, rng: np.random.Generator) -> np.ndarray:
    """`[N, EXAMPLES]` per-example values whose row means are exactly `means`."""
    noise = rng.normal(0.0, spread, (len(means), EXAMPLES))
    return means[:, None] + noise - noise.mean(1, keepdims=True)


def write_measurements(
    folder: Path, table: pd.DataFrame, extra_update: dict | None = None, spread: float = 0.01
) -> tuple[dict[str, Path], dict[str, Path], Path]:
    """The measurement files of one seed from `table` (with per-example values of standard
    deviation `spread` around each head's I); returns (importance by `when`, gradfisher by
    readout, update)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    layers, heads = table["layer"].nunique(), table["head"].nunique()
    keys = table[["layer", "head"]].astype(int).to_dict("records")
    importance, gradfisher = {}, {}
    for when, base in (("post", 0.4), *((f"pre_{r}", 0.9) for r in READOUTS)):
        delta = per_example_deltas(table[f"I_{when}"].to_numpy(), spread, rng)
        se = delta.std(1, ddof=1) / np.sqrt(EXAMPLES)
        rows = [
            {**h, "I": float(i), "I_se": float(e), "loss_base": base, "loss_ablate": base + i}
            for h, i, e in zip(keys, delta.mean(1), se, strict=True)
        ]
        path = _write_jsonl(folder / f"importance_{when}.jsonl", rows)
        base_losses = base + rng.normal(0, 0.1, EXAMPLES)
        write_examples(path, {"base": base_losses, "delta": delta.reshape(layers, heads, -1)})
        importance[when] = path
    for readout in READOUTS:
        g = table[f"G_{readout}"].to_numpy()
        magnitude = rng.uniform(0.5, 1.5, (len(g), EXAMPLES))
        grads = g[:, None] * magnitude / magnitude.mean(1, keepdims=True)
        grads *= rng.choice([-1.0, 1.0], grads.shape)
        columns = [f"{c}_{readout}" for c in ("G", "F", "Ppred")]
        values = table[columns].rename(columns=lambda c: c.split("_")[0]).to_dict("records")
        rows = [{**h, **v} for h, v in zip(keys, values, strict=True)]
        path = _write_jsonl(folder / f"gradfisher_pre_{readout}.jsonl", rows)
        write_examples(path, {"grad": grads.reshape(layers, heads, -1)})
        gradfisher[readout] = path
    update = table[["U", "Urel", "Uq", "Uk", "Uv", "Uo"]].to_dict("records")
    rows = [{**h, **u, **(extra_update or {})} for h, u in zip(keys, update, strict=True)]
    return importance, gradfisher, _write_jsonl(folder / "update.jsonl", rows)


def aggregate(folder: Path, measurements: tuple, **overrides) -> dict[str, Path]:
    """`aggregate_seed` of `measurements` into folder/{heads.csv, stats.json, cases.json} with
    the test analysis settings (`overrides` replace them); returns the output paths."""
    outputs = {
        "heads_csv": folder / "heads.csv",
        "stats": folder / "stats.json",
        "cases": folder / "cases.json",
    }
    settings = {"meta": META, **ANALYSIS, **overrides}
    aggregate_seed(*measurements, outputs, **settings)
    return outputs


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
    outputs = aggregate(folder, write_measurements(folder, table), meta={**META, "seed": seed})
    out = {"heads.csv": outputs["heads_csv"], "stats.json": outputs["stats"]}
    out["cases.json"] = outputs["cases"]
    accuracy = 0.8 - 0.01 * seed
    out["pruning.jsonl"] = write_pruning(
        folder / "pruning.jsonl",
        len(table),
        {"I_post": [accuracy, 0.7, 0.33], "random": [accuracy, 0.5, 0.33]},
    )
    return out
