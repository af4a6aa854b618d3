"""UniPELT results for a reader (SPEC §7; Mao et al., ACL 2022, Tables 1 and 4).

Per gated run: `fig_gates.png`, the mean gate per layer and submodule on dev (`gates.csv`).

Across runs (`summary/`):
- `table1.csv` / `table1.md`: per K, methods x tasks, the test metric (x100; each task's own:
  MCC for CoLA, F1 for MRPC and QQP, Spearman for STS-B, accuracy otherwise) as mean ± std over
  seeds, with the average over tasks (per seed, then mean ± std over seeds), as the paper's
  Table 1;
- `table4.csv` / `table4.md`: per method, trainable parameters as stored (% of the classifier)
  and, relative to `full`, seconds per training step, inference latency per example and peak
  inference memory (each run's `efficiency.json`), means over every run, as the paper's Table 4
  (UniPELT: 1.26%, 67%, 127%). Machine timings: plain outputs, not DVC metrics;
- `summary.json` (DVC metric, byte-identical between two runs on a CPU): the average per
  (K, method) and the stored trainable parameters per method (% of the classifier);
- `fig_compare.png`: per K, the average over tasks per method, mean and each seed.
Standard deviations use n - 1 and are NaN with one seed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lmlab.pelt.config import METHODS
from lmlab.runtime.atomic import atomic_path, write_json, write_text
from lmlab.runtime.figures import save_figure

RATIO_COLUMNS = ("seconds_per_train_step", "latency_ms_per_example", "peak_memory_mb")


def gate_figure(gates: pd.DataFrame, title: str) -> Figure:
    """Heatmap of the mean gate (0-1) per layer (rows) and submodule (columns)."""
    table = gates.pivot(index="layer", columns="submodule", values="mean_gate")
    fig = Figure(figsize=(1.6 + 1.3 * table.shape[1], 1.2 + 0.35 * table.shape[0]),
                 layout="constrained")  # fmt: skip
    ax = fig.subplots()
    image = ax.imshow(table.to_numpy(), vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns)
    ax.set_yticks(range(table.shape[0]), table.index)
    ax.set(xlabel="submodule", ylabel="layer", title=title)
    for (row, col), value in np.ndenumerate(table.to_numpy()):
        ax.text(col, row, f"{value:.2f}", ha="center", va="center", color="white", fontsize=8)
    fig.colorbar(image, ax=ax, label="mean gate on dev")
    return fig


def _read_json(path: str | os.PathLike) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_gate_figure(
    gates_csv: str | os.PathLike, metrics_json: str | os.PathLike, output: str | os.PathLike
) -> None:
    """Stage `gates-figure`: fig_gates.png of one run (no model is loaded)."""
    run = _read_json(metrics_json)
    gates = pd.read_csv(gates_csv)
    if gates.empty:
        raise ValueError(f"{gates_csv}: method {run['method']!r} has no gates")
    title = f"{run['task']} K={run['k']} {run['method']} seed {run['seed']}"
    save_figure(gate_figure(gates, title), output)


def read_runs(
    metrics_jsons: Sequence[str | os.PathLike], efficiency_jsons: Sequence[str | os.PathLike]
) -> pd.DataFrame:
    """One row per run: task, k, method, seed, test and dev metric (x100) from its metrics.json,
    training and inference cost from its efficiency.json (given in the same order)."""
    if len(metrics_jsons) != len(efficiency_jsons):
        raise ValueError("unipelt summary: give one efficiency.json per metrics.json")
    rows = []
    for metrics_path, efficiency_path in zip(metrics_jsons, efficiency_jsons, strict=True):
        run, cost = _read_json(metrics_path), _read_json(efficiency_path)
        rows.append(
            {
                "task": run["task"],
                "k": str(run["k"]),
                "method": run["method"],
                "seed": run["seed"],
                "metric": run["metric"],
                "test": 100 * run["test"],
                "dev": 100 * run["dev"],
                "stored": run["trainable_parameters"]["stored"],
                "model": run["trainable_parameters"]["model"],
                "step_seconds": cost["seconds_per_train_step"],
                "latency_ms": cost["inference"]["latency_ms_per_example"],
                "peak_memory_mb": cost["inference"]["peak_memory_mb"],
            }
        )
    return pd.DataFrame(rows)


def _mean_std(values: pd.Series) -> tuple[float, float]:
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else float("nan")


def table1(runs: pd.DataFrame) -> pd.DataFrame:
    """Long form: k, method, task (or `avg`), mean, std, seeds."""
    rows = []
    for (k, method), part in runs.groupby(["k", "method"], sort=False):
        for task, cell in part.groupby("task", sort=False):
            mean, std = _mean_std(cell["test"])
            rows.append({"k": k, "method": method, "task": task, "mean": mean, "std": std,
                         "seeds": len(cell)})  # fmt: skip
        per_seed = part.groupby("seed")["test"].mean()
        mean, std = _mean_std(per_seed)
        rows.append({"k": k, "method": method, "task": "avg", "mean": mean, "std": std,
                     "seeds": len(per_seed)})  # fmt: skip
    return pd.DataFrame(rows)


def table4(runs: pd.DataFrame) -> pd.DataFrame:
    """Per method, means over runs and ratios to `full` (the paper's Table 4)."""
    means = runs.groupby("method", sort=False)[
        ["stored", "model", "step_seconds", "latency_ms", "peak_memory_mb"]
    ].mean()
    table = pd.DataFrame(
        {
            "trainable_stored_pct": 100 * means["stored"] / means["model"],
            "seconds_per_train_step": means["step_seconds"],
            "latency_ms_per_example": means["latency_ms"],
            "peak_memory_mb": means["peak_memory_mb"],
        }
    )
    if "full" in table.index:
        full = table.loc["full"]
        for column in RATIO_COLUMNS:
            table[f"{column}_vs_full"] = table[column] / full[column]
    return table.reset_index()


def _cell(mean: float, std: float) -> str:
    return f"{mean:.2f}" if np.isnan(std) else f"{mean:.2f} ± {std:.2f}"


def table1_markdown(table: pd.DataFrame) -> str:
    """Per K a markdown table: methods x tasks + avg, `mean ± std` (x100)."""
    blocks = []
    for k, part in table.groupby("k", sort=False):
        tasks = [t for t in dict.fromkeys(part["task"]) if t != "avg"] + ["avg"]
        lines = [f"K = {k} (test metric x100, mean ± std over seeds)", "",
                 "| method | " + " | ".join(tasks) + " |",
                 "|---|" + "---:|" * len(tasks)]  # fmt: skip
        for method, rows in part.groupby("method", sort=False):
            cells = rows.set_index("task")
            lines.append(
                f"| {method} | "
                + " | ".join(_cell(cells.loc[t, "mean"], cells.loc[t, "std"]) for t in tasks)
                + " |"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def table4_markdown(table: pd.DataFrame) -> str:
    """The paper's Table 4 columns plus peak inference memory, ratios to `full`."""
    lines = ["| method | stored params (%) | train time / full | inference / full "
             "| peak memory / full |",
             "|---|---:|---:|---:|---:|"]  # fmt: skip
    for _, row in table.iterrows():
        ratios = (row.get(f"{c}_vs_full", np.nan) for c in RATIO_COLUMNS)
        lines.append(
            f"| {row['method']} | {row['trainable_stored_pct']:.2f} | "
            + " | ".join(f"{r:.2f}" for r in ratios)
            + " |"
        )
    return "\n".join(lines) + "\n"


def compare_figure(runs: pd.DataFrame) -> Figure:
    """Per K, the average test metric over tasks per method: bar = mean over seeds, dots =
    seeds."""
    ks = list(dict.fromkeys(runs["k"]))
    fig = Figure(figsize=(2.2 + 3.2 * len(ks), 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(ks), sharey=True))
    methods = [m for m in METHODS if m in set(runs["method"])]
    for ax, k in zip(axes, ks, strict=True):
        part = runs[runs["k"] == k]
        for x, method in enumerate(methods):
            per_seed = part[part["method"] == method].groupby("seed")["test"].mean()
            ax.bar(x, per_seed.mean(), color=f"C{x}", alpha=0.6)
            ax.scatter(np.full(len(per_seed), x), per_seed, color=f"C{x}", zorder=3, s=14)
        ax.set_xticks(range(len(methods)), methods, rotation=30, ha="right")
        ax.set_title(f"K = {k}")
    axes[0].set_ylabel("test metric x100, average over tasks")
    tasks = ", ".join(dict.fromkeys(runs["task"]))
    fig.suptitle(f"UniPELT and baselines on {tasks} ({runs['seed'].nunique()} seed(s))")
    return fig


def summarise(
    metrics_jsons: Sequence[str | os.PathLike],
    efficiency_jsons: Sequence[str | os.PathLike],
    outputs: dict[str, str],
) -> dict:
    """Stage `summary`: every file of `outputs` (table1_csv, table1_md, table4_csv, table4_md,
    summary, figure) from the runs' metrics.json and efficiency.json (in the same order)."""
    if not metrics_jsons:
        raise ValueError("unipelt summary: no run given")
    runs = read_runs(metrics_jsons, efficiency_jsons)
    first, efficiency = table1(runs), table4(runs)
    with atomic_path(outputs["table1_csv"]) as tmp:
        first.to_csv(tmp, index=False, float_format="%.4g", na_rep="NaN")
    write_text(outputs["table1_md"], table1_markdown(first))
    with atomic_path(outputs["table4_csv"]) as tmp:
        efficiency.to_csv(tmp, index=False, float_format="%.4g", na_rep="NaN")
    write_text(outputs["table4_md"], table4_markdown(efficiency))
    averages = first[first["task"] == "avg"]
    summary = {
        "average_test": {
            f"k{k}": {
                r["method"]: {"mean": r["mean"], "std": None if np.isnan(r["std"]) else r["std"]}
                for _, r in part.iterrows()
            }
            for k, part in averages.groupby("k", sort=False)
        },
        "trainable_stored_pct": {
            row["method"]: float(row["trainable_stored_pct"]) for _, row in efficiency.iterrows()
        },
    }
    write_json(outputs["summary"], summary)
    save_figure(compare_figure(runs), outputs["figure"])
    return summary
