"""QAT results for a reader: the learning curve of one run, and over seeds the table and figure
that compare `qat` with `lm_only` (SPEC §6).

Per seed: `fig_curve.png` from `curve.csv` alone (train loss; dev and test accuracy per epoch,
the best dev epoch marked), so any seed's figure is redrawn without training. Across seeds:
`summary.csv` (per variant: mean, std, min, max over seeds of best dev accuracy and test accuracy
at the best dev epoch, and the number of seeds), `summary.json` (the same, plus the test-accuracy
gain of `qat` over `lm_only`: a DVC metric) and `fig_compare.png` (each seed's test accuracy per
variant with the mean, and the mean dev-accuracy curves). The chance level, 1 / choices, is
drawn on every accuracy axis: on the synthetic corpus text alone is at chance by construction.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lmlab.runtime.atomic import atomic_path, write_json
from lmlab.runtime.figures import save_figure

COLORS = {"qat": "tab:blue", "lm_only": "tab:orange"}
MEASURES = ("best_dev_accuracy", "test_accuracy_at_best_dev")


def curve_figure(curve: pd.DataFrame, title: str, chance: float) -> Figure:
    """Train loss (left) and dev/test accuracy (right) per epoch; the best dev epoch marked."""
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    loss_ax.plot(curve["epoch"], curve["train_loss"], marker="o", label="train")
    loss_ax.plot(curve["epoch"], curve["dev_loss"], marker="s", label="dev")
    loss_ax.set(xlabel="epoch", ylabel="loss (cross-entropy over choices)")
    loss_ax.legend()
    acc_ax.plot(curve["epoch"], curve["dev_accuracy"], marker="s", label="dev")
    acc_ax.plot(curve["epoch"], curve["test_accuracy"], marker="^", label="test")
    best = int(curve["dev_accuracy"].to_numpy().argmax())
    acc_ax.axvline(curve["epoch"].iloc[best], color="grey", linestyle=":", label="best dev")
    acc_ax.axhline(chance, color="black", linewidth=0.8, linestyle="--", label="chance")
    acc_ax.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
    acc_ax.legend()
    fig.suptitle(title)
    return fig


def write_curve_figure(
    curve_csv: str | os.PathLike, metrics_json: str | os.PathLike, output: str | os.PathLike
) -> None:
    """Stage `figure`: fig_curve.png of one run from its curve.csv and metrics.json."""
    metrics = json.loads(Path(metrics_json).read_text(encoding="utf-8"))
    title = (
        f"{metrics['dataset']} {metrics['variant']} seed {metrics['seed']} ({metrics['encoder']})"
    )
    save_figure(curve_figure(pd.read_csv(curve_csv), title, metrics["chance"]), output)


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per variant and measure: mean, std (ddof 1; NaN for one seed), min, max, seeds."""
    rows = []
    for variant, part in runs.groupby("variant", sort=False):
        for measure in MEASURES:
            values = part[measure].to_numpy(dtype=float)
            rows.append(
                {
                    "variant": variant,
                    "measure": measure,
                    "mean": values.mean(),
                    "std": values.std(ddof=1) if len(values) > 1 else np.nan,
                    "min": values.min(),
                    "max": values.max(),
                    "seeds": len(values),
                }
            )
    return pd.DataFrame(rows)


def compare_figure(runs: pd.DataFrame, curves: dict[tuple[str, int], pd.DataFrame]) -> Figure:
    """Each seed's test accuracy at the best dev epoch per variant, with the mean (left); the
    dev accuracy per epoch, mean over seeds (right)."""
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    bars, lines = fig.subplots(1, 2)
    variants = list(dict.fromkeys(runs["variant"]))
    for x, variant in enumerate(variants):
        values = runs.loc[runs["variant"] == variant, "test_accuracy_at_best_dev"].to_numpy()
        color = COLORS.get(variant)
        bars.bar(x, values.mean(), color=color, alpha=0.5)
        bars.scatter(np.full(len(values), x), values, color=color, zorder=3)
        dev = pd.concat(
            [c.set_index("epoch")["dev_accuracy"] for (v, _), c in curves.items() if v == variant],
            axis=1,
        )
        lines.plot(dev.index, dev.mean(axis=1), marker="o", color=color, label=variant)
    chance = float(runs["chance"].iloc[0])
    for ax in (bars, lines):
        ax.axhline(chance, color="black", linewidth=0.8, linestyle="--", label="chance")
        ax.set_ylim(0, 1)
    bars.set_xticks(range(len(variants)), variants)
    bars.set(ylabel="test accuracy at best dev epoch", title="per seed (dots) and mean (bar)")
    lines.set(xlabel="epoch", ylabel="dev accuracy (mean over seeds)")
    lines.legend()
    dataset, seeds = runs["dataset"].iloc[0], runs["seed"].nunique()
    fig.suptitle(f"{dataset}: QAT vs LM-only over {seeds} seed(s) ({runs['encoder'].iloc[0]})")
    return fig


def summarise(
    metrics_jsons: Sequence[str | os.PathLike],
    curve_csvs: Sequence[str | os.PathLike],
    summary_csv: str | os.PathLike,
    summary_json: str | os.PathLike,
    figure: str | os.PathLike,
) -> pd.DataFrame:
    """Stage `summary`: the table, the DVC metric and the comparison figure over every run."""
    if len(metrics_jsons) != len(curve_csvs) or not metrics_jsons:
        raise ValueError("qat summary: give one metrics.json and one curve.csv per run")
    records = [json.loads(Path(p).read_text(encoding="utf-8")) for p in metrics_jsons]
    runs = pd.DataFrame(records)
    curves = {
        (r["variant"], r["seed"]): pd.read_csv(c) for r, c in zip(records, curve_csvs, strict=True)
    }
    table = summary_table(runs)
    with atomic_path(summary_csv) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g", na_rep="NaN")
    metric = {row["variant"]: {} for _, row in table.iterrows()}
    for _, row in table.iterrows():
        metric[row["variant"]][row["measure"]] = {
            key: None if pd.isna(row[key]) else float(row[key]) for key in ("mean", "std")
        }
        metric[row["variant"]]["seeds"] = int(row["seeds"])
    if {"qat", "lm_only"} <= set(metric):
        gain = (
            metric["qat"]["test_accuracy_at_best_dev"]["mean"]
            - metric["lm_only"]["test_accuracy_at_best_dev"]["mean"]
        )
        metric["test_accuracy_gain_qat_over_lm_only"] = gain
    write_json(summary_json, metric)
    save_figure(compare_figure(runs, curves), figure)
    return table
